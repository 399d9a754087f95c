"""tools/deployment/export_onnx.py: the fused, pose-only and PGF recognizers export with a dynamic batch
and match PyTorch within 1e-4 in ONNX Runtime; demo.py --onnx gives PyTorch's top-5; an untrained model
fails with a message naming the operator."""
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'apis'))
from tiny_models import FUSED_CFG, POSE_CFG, REPO, write_random_checkpoint  # noqa: E402

PGF_CFG = osp.join(REPO, 'configs', 'fusion', 'pgf_tiny_1xb8-40e_synthetic-2shot.py')


@pytest.mark.parametrize('config', [FUSED_CFG, POSE_CFG, PGF_CFG])
def test_export_tool_matches_pytorch(config, tmp_path, repo_root):
    pytest.importorskip('onnxruntime')
    ckpt = write_random_checkpoint(config, str(tmp_path / 'm.pth'))
    out = str(tmp_path / 'm.onnx')
    proc = subprocess.run([sys.executable, 'tools/deployment/export_onnx.py', config, ckpt, '--out', out],
                          cwd=repo_root, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    diff = float(re.search(r'max abs difference of the logits, PyTorch vs ONNX Runtime \(batch of 3\): '
                           r'(\S+)', proc.stdout).group(1))
    assert diff <= 1e-4
    assert "pose ('N', 16, 75, 3)" in proc.stdout and 'logits (N, 10)' in proc.stdout
    if config == PGF_CFG:
        assert "hand_crops ('N', 2, 2, 3, 112, 112)" in proc.stdout
    if config == FUSED_CFG:
        assert "rgb ('N', 3, 16, 64, 64)" in proc.stdout
        _onnx_top5_equals_pytorch(config, ckpt, out, repo_root)


def _onnx_top5_equals_pytorch(config, ckpt, onnx_path, repo_root):
    """demo.py's run() with and without --onnx on a synthetic clip with its pose file."""
    import importlib.util

    from cclslr.datasets.synthetic import make_synthetic_dataset
    root = osp.join(osp.dirname(onnx_path), 'data')
    make_synthetic_dataset(root, preset='tiny', seed=0, num_workers=1, num_classes=2, num_signers=3,
                           num_reps=1, size=64, min_frames=8, max_frames=10)
    spec = importlib.util.spec_from_file_location('demo_script', osp.join(repo_root, 'demo', 'demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    argv = [osp.join(root, 'videos', '00000.mp4'), config, ckpt, '--pose-file',
            osp.join(root, 'poses', '00000.pkl')]
    ref = demo.run(demo.parse_args(argv))
    got = demo.run(demo.parse_args(argv + ['--onnx', onnx_path]))
    assert list(got.topk_ids) == list(ref.topk_ids) and len(ref.topk_ids) == 5
    np.testing.assert_allclose(got.scores, ref.scores, atol=1e-5)


def test_untrained_model_names_what_does_not_export(tmp_path):
    from cclslr.apis import init_recognizer
    from cclslr.apis.export import ExportError, export_onnx
    model = init_recognizer(PGF_CFG)  # no checkpoint: the norm has no running statistics
    with pytest.raises(ExportError, match=r'pose\.data_norm has no running statistics.*index_add_'):
        export_onnx(model, str(tmp_path / 'pgf.onnx'))
