"""A checkpoint whose pickle would run code is refused by every loading path, even when the user's
environment sets TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 (which turns off torch's weights-only default for
any ``torch.load`` that does not pass ``weights_only``, as MMEngine's ``load_from_local`` does)."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.registry import DefaultScope

from cclslr.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS_TESTS = osp.join(REPO, 'tests', 'tools')
TOY_CONFIG = osp.join(TOOLS_TESTS, 'toy_config.py')
TINY_POSE = dict(type='PoseEncoder', group_channels=8, gcn_channels=(), d_model=8, num_layers=1,
                 num_heads=2, dropout=0.0)


class CreatesMarker:
    """Unpickling this calls ``open(marker, 'w')``: the file appears iff the pickle's code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, 'w')


@pytest.fixture
def evil(tmp_path):
    marker, path = tmp_path / 'MARKER', tmp_path / 'evil.pth'
    # Looks like an MMEngine checkpoint (and a flow checkpoint): the payload hides in one entry.
    torch.save({'state_dict': {'w': torch.zeros(2)}, 'flow_cfg': {}, 'meta': {'x': CreatesMarker(marker)}},
               path)
    assert not marker.exists()
    return str(path), marker


def _tool(args, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, TOOLS_TESTS]), OMP_NUM_THREADS='1',
               TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD='1')
    return subprocess.run([sys.executable] + args + ['--work-dir', str(tmp_path / 'wd')], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize('how', ['test', 'load_from', 'resume'])
def test_tools_refuse_a_code_running_checkpoint(evil, tmp_path, how):
    path, marker = evil
    args = {'test': ['tools/test.py', TOY_CONFIG, path],
            'load_from': ['tools/train.py', TOY_CONFIG, '--cfg-options', f'load_from={path}'],
            'resume': ['tools/train.py', TOY_CONFIG, '--resume', path]}[how]
    proc = _tool(args, tmp_path)
    assert proc.returncode != 0
    assert f'RuntimeError: {path}: refused' in proc.stderr, proc.stderr[-3000:]
    assert 'GLOBAL io.open' in proc.stderr
    assert not marker.exists()


def test_init_from_refuses_a_code_running_checkpoint(evil, monkeypatch):
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    path, marker = evil
    # In cclslr's scope explicitly: MMPose's init_model (keypoint tests) leaves 'mmpose' as the default.
    cfg = dict(type='SignRecognizer', num_classes=3, rgb_backbone=None, pose_backbone=TINY_POSE,
               init_from=path)
    with DefaultScope.overwrite_default_scope('cclslr'):
        with pytest.raises(RuntimeError, match=f'{path}: refused'):
            MODELS.build(cfg)
    assert not marker.exists()


def test_mpm_codec_loader_refuses_a_code_running_checkpoint(evil, monkeypatch):
    from cclslr.mpm import GlowCodec
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    path, marker = evil
    with pytest.raises(RuntimeError, match=f'{path}: refused.*GLOBAL io.open'):
        GlowCodec(checkpoint=path)
    assert not marker.exists()


def test_plain_torch_load_would_run_it(evil):
    """Control: the file really runs code when unpickled without weights-only."""
    path, marker = evil
    torch.load(path, weights_only=False)
    assert marker.exists()
