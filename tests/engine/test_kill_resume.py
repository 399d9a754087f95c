"""A tiny CCL-SLR pre-training run killed with SIGKILL resumes exactly with ``tools/train.py --resume``.

Each run is a ``tools/train.py`` subprocess; ``kill_plugin`` (loaded with ``custom_imports``) kills it at a
given iteration or in the middle of a checkpoint write, and logs every iteration's losses to a file.
"""
import json
import os
import os.path as osp
import random
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from ccl_tiny_parts import tiny_model_cfg
from cclslr.engine.hooks.atomic_checkpoint_hook import TMP_MARK
from cclslr.utils import allow_mmengine_checkpoint_globals

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HERE = osp.dirname(osp.abspath(__file__))
MAX_ITERS, INTERVAL = 9, 3


def write_config(path, ckpt_hook='AtomicCheckpointHook'):
    cfg = dict(
        custom_imports=dict(imports=['ccl_tiny_parts', 'kill_plugin'], allow_failed_imports=False),
        default_scope='cclslr',
        model=tiny_model_cfg(type='CCLSLRPseudoLabel', queue_size=12,
                             losses=dict(pl=dict(rgb=1.0, pose=0.0)), pseudo_label=dict(num_clusters=3)),
        train_dataloader=dict(dataset=dict(type='TinyTwoViewDataset', num=10),
                              sampler=dict(type='InfiniteSampler', shuffle=True),
                              collate_fn=dict(type='default_collate'), batch_size=4, num_workers=0),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=MAX_ITERS),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.5, momentum=0.9)),
        # max_keep_ckpts=1: the case where MMEngine's hook removes the only complete checkpoint first.
        default_hooks=dict(checkpoint=dict(type=ckpt_hook, interval=INTERVAL, by_epoch=False,
                                           max_keep_ckpts=1),
                           logger=dict(type='LoggerHook', interval=100)),
        custom_hooks=[dict(type='KillAndRecordHook'), dict(type='RNGStateHook')],
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        log_processor=dict(by_epoch=False),
        randomness=dict(seed=0), log_level='WARNING')
    Config(cfg).dump(str(path))
    return str(path)


def train(config, work_dir, resume=False, **kill):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, HERE]), OMP_NUM_THREADS='1')
    env.pop('CCLSLR_TEST_KILL_AT_ITER', None)
    env.pop('CCLSLR_TEST_KILL_IN_WRITE', None)
    env.update({f'CCLSLR_TEST_KILL_{k.upper()}': str(v) for k, v in kill.items()})
    cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py'), config, '--work-dir', str(work_dir)]
    return subprocess.run(cmd + (['--resume'] if resume else []), env=env, cwd=REPO, timeout=300,
                          capture_output=True, text=True)


def losses(work_dir):
    with open(osp.join(work_dir, 'losses.jsonl')) as f:
        return [json.loads(line) for line in f]


def checkpoint_files(work_dir):
    return sorted(n for n in os.listdir(work_dir) if n.endswith('.pth') or n.endswith(TMP_MARK))


def last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return osp.basename(f.read().strip())


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    """The uninterrupted run: losses by iteration."""
    root = tmp_path_factory.mktemp('ref')
    proc = train(write_config(root / 'cfg.py'), root / 'full')
    assert proc.returncode == 0, proc.stderr[-3000:]
    by_iter = {rec['iter']: rec for rec in losses(root / 'full')}
    assert sorted(by_iter) == list(range(MAX_ITERS))
    return by_iter


def resume_and_compare(config, work_dir, reference, expected_start):
    killed_lines = len(losses(work_dir))
    proc = train(config, work_dir, resume=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    resumed = losses(work_dir)[killed_lines:]
    # It starts from the last complete checkpoint, and from there repeats the uninterrupted losses exactly.
    assert [rec['iter'] for rec in resumed] == list(range(expected_start, MAX_ITERS))
    for rec in resumed:
        assert rec == reference[rec['iter']], rec['iter']
    assert checkpoint_files(work_dir) == [f'iter_{MAX_ITERS}.pth']  # the stale temp file is gone too
    assert last_checkpoint(work_dir) == f'iter_{MAX_ITERS}.pth'


def test_kill_at_a_random_iteration_then_resume(tmp_path, reference):
    kill_at = random.Random(20261201).randint(INTERVAL + 1, MAX_ITERS - 1)  # after >= 1 checkpoint
    config, work_dir = write_config(tmp_path / 'cfg.py'), tmp_path / 'run'
    proc = train(config, work_dir, at_iter=kill_at)
    assert proc.returncode == -9, proc.stderr[-3000:]
    assert [rec['iter'] for rec in losses(work_dir)] == list(range(kill_at))
    start = kill_at // INTERVAL * INTERVAL
    assert checkpoint_files(work_dir) == [f'iter_{start}.pth']
    assert last_checkpoint(work_dir) == f'iter_{start}.pth'
    resume_and_compare(config, work_dir, reference, start)


def test_kill_while_a_checkpoint_is_written_then_resume(tmp_path, reference):
    config, work_dir = write_config(tmp_path / 'cfg.py'), tmp_path / 'run'
    proc = train(config, work_dir, in_write='iter_6.pth')
    assert proc.returncode == -9, proc.stderr[-3000:]
    # The half-written bytes are only under the temporary name; iter_3.pth is kept and still named.
    names = checkpoint_files(work_dir)
    assert len(names) == 2 and names[0].startswith('.iter_6.pth.') and names[1] == 'iter_3.pth', names
    assert last_checkpoint(work_dir) == 'iter_3.pth'
    allow_mmengine_checkpoint_globals()
    assert torch.load(work_dir / 'iter_3.pth', weights_only=True)['meta']['iter'] == 3
    resume_and_compare(config, work_dir, reference, 3)


def test_control_mmengine_hook_loses_the_checkpoint_when_killed_mid_write(tmp_path):
    """MMEngine's own CheckpointHook, killed at the same point: why AtomicCheckpointHook exists."""
    config, work_dir = write_config(tmp_path / 'cfg.py', 'CheckpointHook'), tmp_path / 'run'
    proc = train(config, work_dir, in_write='iter_6.pth')
    assert proc.returncode == -9, proc.stderr[-3000:]
    # iter_3.pth was removed before the write; iter_6.pth is truncated; last_checkpoint names iter_3.pth.
    assert checkpoint_files(work_dir) == ['iter_6.pth']
    assert last_checkpoint(work_dir) == 'iter_3.pth'
    allow_mmengine_checkpoint_globals()
    with pytest.raises(Exception):
        torch.load(work_dir / 'iter_6.pth', weights_only=True)


def test_default_runtime_uses_the_atomic_hook():
    from cclslr.engine.hooks import AtomicCheckpointHook
    from cclslr.registry import HOOKS
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'default_runtime.py'))
    hook = HOOKS.build(cfg.default_hooks.checkpoint)
    assert isinstance(hook, AtomicCheckpointHook) and hook.max_keep_ckpts == 3
    assert hook.backend_args == dict(backend='cclslr_atomic_local')
