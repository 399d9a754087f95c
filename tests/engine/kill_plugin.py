"""Test-only plugin (loaded with ``custom_imports``) that kills a training run deterministically.

Environment variables (read in the training subprocess):

* ``CCLSLR_TEST_KILL_AT_ITER=k``: SIGKILL before iteration ``k`` runs;
* ``CCLSLR_TEST_KILL_IN_WRITE=iter_6.pth``: SIGKILL while that checkpoint is being written, after half of
  its bytes are on disk and before the rename (for MMEngine's own ``LocalBackend`` too: the control).

Every iteration's losses go to ``<work_dir>/losses.jsonl``, one line each, so that they survive the kill.
"""
import json
import os
import os.path as osp
import signal

from mmengine.fileio import LocalBackend
from mmengine.hooks import Hook

from cclslr.engine.hooks.atomic_checkpoint_hook import AtomicLocalBackend
from cclslr.registry import HOOKS


def _kill_now():
    os.kill(os.getpid(), signal.SIGKILL)


def _half_then_kill(f, data: bytes):
    f.write(data[:len(data) // 2])
    f.flush()
    os.fsync(f.fileno())
    _kill_now()


def _kill_in_write(final_path: str) -> bool:
    return osp.basename(str(final_path)) == os.environ.get('CCLSLR_TEST_KILL_IN_WRITE')


_atomic_write = AtomicLocalBackend._write
_plain_put = LocalBackend.put


def _atomic_write_or_kill(f, data, final_path):
    if _kill_in_write(final_path):
        _half_then_kill(f, data)
    _atomic_write(f, data, final_path)


def _plain_put_or_kill(self, obj, filepath):
    if _kill_in_write(filepath) and not isinstance(self, AtomicLocalBackend):
        with open(filepath, 'wb') as f:  # what LocalBackend.put does: the final name, in place
            _half_then_kill(f, obj)
    _plain_put(self, obj, filepath)


AtomicLocalBackend._write = staticmethod(_atomic_write_or_kill)
LocalBackend.put = _plain_put_or_kill


@HOOKS.register_module(force=True)
class KillAndRecordHook(Hook):
    priority = 'VERY_HIGH'

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if str(runner.iter) == os.environ.get('CCLSLR_TEST_KILL_AT_ITER'):
            _kill_now()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        line = json.dumps({'iter': runner.iter, **{k: v.item() for k, v in outputs.items()}})
        with open(osp.join(runner.work_dir, 'losses.jsonl'), 'a') as f:
            f.write(line + '\n')
