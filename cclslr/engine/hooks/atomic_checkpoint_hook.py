"""Checkpoints that a kill cannot leave half-written.

MMEngine 0.10.7 writes checkpoints in place (see docs/notes/resume.md for the file:line):

* ``LocalBackend.put`` opens the final path with ``'wb'`` and writes: a kill mid-write leaves a truncated
  ``iter_N.pth`` under the final name;
* ``CheckpointHook._save_checkpoint_with_step`` removes the oldest checkpoint (``max_keep_ckpts``) *before*
  it writes the new one: with ``max_keep_ckpts=1`` a kill mid-write leaves no complete checkpoint at all,
  and ``last_checkpoint`` names the file just removed;
* ``last_checkpoint`` itself is rewritten with ``open(..., 'w')`` (truncate, then write).

Here: :class:`AtomicLocalBackend` writes every file to a temporary name in the same folder, fsyncs it and
``os.replace`` s it onto the final name; :class:`AtomicCheckpointHook` uses it, removes outdated checkpoints
only after the new one is complete, writes ``last_checkpoint`` the same way, and removes temporary files
a killed run left behind. A kill at any point therefore leaves the previous complete checkpoints and a
``last_checkpoint`` that names one of them (or the new one, once it is complete).
"""
import os.path as osp
from pathlib import Path
from typing import Union

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook

from cclslr.fileio.atomic import TMP_MARK, atomic_open, remove_stale_temp_files
from cclslr.registry import HOOKS

__all__ = ['AtomicCheckpointHook', 'AtomicLocalBackend', 'TMP_MARK']


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` atomically and fsynced (:func:`cclslr.fileio.atomic.atomic_open`)."""
    with atomic_open(str(filepath), fsync=True) as f:  # the bytes are on disk before the name points at them
        AtomicLocalBackend._write(f, data, str(filepath))


class AtomicLocalBackend(LocalBackend):
    """A local file backend whose ``put`` / ``put_text`` replace the target atomically."""

    @staticmethod
    def _write(f, data: bytes, final_path: str) -> None:
        # One seam, so that tests can kill the process here (temp file partly written, not yet renamed).
        f.write(data)

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


register_backend('cclslr_atomic_local', AtomicLocalBackend, force=True)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """MMEngine's CheckpointHook, with writes that a kill cannot leave half-done (local folders only).

    Same arguments as ``CheckpointHook``. ``backend_args`` defaults to the atomic local backend; a config
    that names another backend (e.g. object storage) keeps it, with MMEngine's own write semantics.
    """

    def __init__(self, *args, backend_args=None, file_client_args=None, **kwargs):
        if backend_args is None and file_client_args is None:
            backend_args = dict(backend='cclslr_atomic_local')
        super().__init__(*args, backend_args=backend_args, file_client_args=file_client_args, **kwargs)

    @property
    def _atomic(self) -> bool:
        return isinstance(self.file_backend, AtomicLocalBackend)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self._atomic and is_main_process():
            # Left by a run killed mid-write: never complete, never named by last_checkpoint.
            for path in remove_stale_temp_files(self.out_dir, recursive=False):
                runner.logger.warning(f'Removed the partial checkpoint {path} of a killed run')

    def _save_checkpoint_with_step(self, runner, step, meta):
        if not self._atomic:
            return super()._save_checkpoint_with_step(runner, step, meta)
        # As MMEngine's, except: the outdated checkpoint goes only after the new one is complete.
        outdated = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir, ckpt_filename, self.file_client_args, save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler, meta=meta, by_epoch=self.by_epoch,
            backend_args=self.backend_args, **self.args)
        if not is_main_process():
            return
        atomic_write_bytes(str(self.last_ckpt).encode(), osp.join(runner.work_dir, 'last_checkpoint'))
        if outdated is not None:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(outdated))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                self.file_backend.rmtree(path)
