"""Mixed precision: CCL-SLR under bf16 autocast keeps queues and losses fp32; tools/train.py --amp on CPU."""
import json
import math
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from ccl_tiny_parts import build_tiny_model
from cclslr.engine import AutocastOptimWrapper, amp_optim_wrapper

# A real R3D (BatchNorm: shuffle BN runs under autocast too) at tiny sizes (no spatial striding: 4x4 maps,
# so that each BN group has 64 values per channel), the tiny pose encoder, SPM on
# at the paper's tau_spm 0.02 (logits up to +-50: exp(50) would overflow fp16).
CONFIG = """
custom_imports = dict(imports=['ccl_tiny_parts'], allow_failed_imports=False)
default_scope = 'cclslr'
model = dict(
    type='CCLSLR',
    rgb_encoder=dict(type='RGBEncoder', backbone=dict(
        type='mmaction.ResNet3d', depth=18, pretrained=None, pretrained2d=False, base_channels=4,
        inflate=(1, 1, 1, 1), conv1_kernel=(1, 3, 3), conv1_stride_t=1, pool1_stride_t=1, conv1_stride_s=1,
        pool1_stride_s=1, spatial_strides=(1, 1, 1, 1), temporal_strides=(1, 1, 1, 1))),
    pose_encoder=dict(type='TinyPoseEncoderE'),
    feat_dim=8, queue_size=16, momentum=0.9,
    spm_head=dict(type='SPMHead', topk=2, loss=dict(type='SPMLoss', temperature=0.02)),
    shuffle_bn=dict(type='ShuffleBN', num_splits=2),
    data_preprocessor=dict(type='SignDataPreprocessor', mean=(0, 0, 0), std=(1, 1, 1)))
train_dataloader = dict(
    dataset=dict(type='TinyTwoViewDataset', num=8), sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'), batch_size=4, num_workers=0)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
default_hooks = dict(logger=dict(type='LoggerHook', interval=1),
                     checkpoint=dict(type='CheckpointHook', interval=100, by_epoch=False))
randomness = dict(seed=0)
"""


def test_amp_optim_wrapper_configs():
    base = dict(optimizer=dict(type='SGD', lr=0.1))
    cuda = amp_optim_wrapper(base, 'cuda')
    assert (cuda['type'], cuda['dtype'], cuda['loss_scale']) == ('AmpOptimWrapper', 'float16', 'dynamic')
    assert amp_optim_wrapper(base, 'cuda', 'bfloat16')['dtype'] == 'bfloat16'
    cpu = amp_optim_wrapper(base, 'cpu')
    assert (cpu['type'], cpu['dtype']) == ('AutocastOptimWrapper', 'bfloat16') and 'loss_scale' not in cpu
    assert base == dict(optimizer=dict(type='SGD', lr=0.1))  # not modified in place
    with pytest.raises(ValueError, match='bfloat16 only'):
        amp_optim_wrapper(base, 'cpu', 'float16')
    with pytest.raises(ValueError, match='needs optim_wrapper.type OptimWrapper'):
        amp_optim_wrapper(dict(base, type='ApexOptimWrapper'), 'cuda')
    with pytest.raises(ValueError, match='loss scaling'):
        AutocastOptimWrapper(optimizer=torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1),
                             dtype='float16')


def test_losses_and_queues_stay_fp32_under_bf16_autocast():
    torch.manual_seed(0)
    model = build_tiny_model(spm_head=dict(type='SPMHead', topk=2,
                                           loss=dict(type='SPMLoss', temperature=0.02)))
    model.eval()  # no dropout
    g = torch.Generator().manual_seed(0)
    inputs = {'rgb': [torch.randn(4, 3, 2, 4, 4, generator=g) for _ in range(2)],
              'pose': [torch.randn(4, 2, 4, 3, generator=g) for _ in range(2)],
              'pose_mask': [torch.ones(4, 2, dtype=torch.bool)] * 2}
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert model.encoders['rgb'](inputs['rgb'][0]).dtype == torch.bfloat16  # autocast is active
        query = model.extract_query(inputs)
        losses = model.loss(inputs)
    assert all(query[m][kind].dtype == torch.float32 for m in query for kind in ('g', 'f'))
    for name, value in losses.items():
        assert value.dtype == torch.float32 and torch.isfinite(value), name
    assert {'loss_spm_rgb', 'loss_spm_pose', 'loss_cross_r2p'} <= set(losses)
    assert all(model.queues[n].dtype == torch.float32 for n in model.queues.names)
    assert model.queues.ptr.item() == 4  # enqueued without a dtype error
    losses['loss_cl_rgb'].backward()  # the graph through the bf16 encoder works


def test_train_tool_amp_on_cpu_runs_several_finite_steps(tmp_path):
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = tmp_path / 'ccl_amp_tiny.py'
    cfg.write_text(CONFIG)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([repo, osp.join(repo, 'tests', 'engine')]),
               CUDA_VISIBLE_DEVICES='')  # CPU even where a GPU exists: the bf16 path under test
    proc = subprocess.run([sys.executable, 'tools/train.py', str(cfg), '--amp',
                           '--work-dir', str(tmp_path / 'wd')], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    scalars = [p for p in (tmp_path / 'wd').rglob('scalars.json')]
    assert len(scalars) == 1
    rows = [json.loads(line) for line in scalars[0].read_text().splitlines() if '"loss' in line]
    assert [r['iter'] for r in rows] == [1, 2, 3, 4]
    for row in rows:
        terms = {k: v for k, v in row.items() if k.startswith(('loss', 'spread'))}
        assert {'loss_cl_rgb', 'loss_spm_rgb', 'loss_cross_p2r', 'spread_f_rgb'} <= set(terms)
        assert all(math.isfinite(v) for v in terms.values()), row
    assert 'AutocastOptimWrapper' in (tmp_path / 'wd').joinpath(
        next(p.name for p in (tmp_path / 'wd').iterdir() if p.suffix == '.py')).read_text()
