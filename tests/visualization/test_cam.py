"""Grad-CAM: the map lands where the evidence is, and vis_cam writes its strip, GIF and MP4."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.dataset import default_collate
from vis_helpers import assert_figure, demo_config, load_tool, save_checkpoint, tiny_recognizer

from cclslr.registry import MODELS
from cclslr.structures import SignDataSample
from cclslr.visualization.cam import RGBGradCAM


@MODELS.register_module(force=True)
class PointwiseVis(nn.Module):
    """(N, 3, T, H, W) -> (N, 2, T, H, W): a fixed 1x1x1 convolution + ReLU, so A is the input's
    brightness and Grad-CAM must peak where the bright blob is."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 2, 1, bias=False)
        nn.init.constant_(self.conv.weight, 1.0)

    def forward(self, x):
        return torch.relu(self.conv(x))


def test_cam_peaks_on_the_evidence():
    model = MODELS.build(dict(type='SignRecognizer', num_classes=2,
                              rgb_backbone=dict(type='RGBEncoder', backbone=dict(type='PointwiseVis'),
                                                out_channels=2),
                              data_preprocessor=dict(type='SignDataPreprocessor', mean=(0, 0, 0),
                                                     std=(1, 1, 1), modalities=('rgb',))))
    with torch.no_grad():
        model.heads['rgb'].fc.weight.copy_(torch.tensor([[1.0, 1.0], [-1.0, -1.0]]))
        model.heads['rgb'].fc.bias.zero_()
    clip = torch.zeros(3, 4, 16, 16, dtype=torch.uint8)
    clip[:, 2, 2:6, 9:13] = 255  # a blob in frame 2, upper right
    batch = default_collate([dict(inputs=dict(rgb=[clip]), data_samples=SignDataSample())])
    out = RGBGradCAM(model)(batch)
    cam = out['cam']
    assert cam.shape == (4, 16, 16) and out['label'] == 0 and 0.5 < out['confidence'] <= 1
    t, y, x = np.unravel_index(cam.argmax(), cam.shape)
    assert t == 2 and 2 <= y < 6 and 9 <= x < 13
    assert cam.max() == pytest.approx(1.0) and cam[0].max() < 0.05
    with pytest.raises(ValueError, match="no module 'layer9'"):
        RGBGradCAM(model, 'layer9')
    # the other class's evidence is negative everywhere: ReLU leaves nothing
    assert RGBGradCAM(model)(batch, target=1)['cam'].max() == 0


def test_vis_cam_on_a_recognizer_and_a_pretraining_checkpoint(tiny_root, tmp_path, capsys):
    import os.path as osp

    from mmengine.config import Config

    from cclslr.visualization import build_model
    from vis_helpers import tiny_cclslr
    cfg = demo_config('recognizer_tiny_1xb8-40e_synthetic-2shot.py', tiny_root, tmp_path, tiny_recognizer())
    ckpt = save_checkpoint(build_model(Config.fromfile(cfg), None, seed=1), tmp_path / 'rec.pth')
    video = osp.join(tiny_root, 'videos', '00000.mp4')  # a training clip
    tool = load_tool('visualization', 'vis_cam.py')
    with pytest.raises(ValueError, match='--pose'):
        tool.main([cfg, ckpt, video, '--out-dir', str(tmp_path / 'cam')])
    out = tool.main([cfg, ckpt, video, '--split', 'train', '--num-frames', '4', '--scale', '2',
                     '--out-dir', str(tmp_path / 'cam')])
    # 2 rows (frames, overlay) x 4 tiles of 64*2 pixels, 2-pixel padding around each
    img = assert_figure(out['png'], (2 * (128 + 4), 4 * (128 + 4)))
    assert out['cam'].shape == (16, 64, 64) and out['label'] in range(4)
    assert osp.getsize(out['gif']) > 1000 and osp.getsize(out['mp4']) > 1000
    from cclslr.fileio import read_video
    movie, _ = read_video(out['mp4'])
    assert movie.shape == (16, 128, 256, 3)
    assert 'explained class' in capsys.readouterr().out
    # the overlay row differs from the frame row: the heatmap is drawn
    assert np.abs(img[:132].astype(int) - img[132:].astype(int)).mean() > 5
    pre = demo_config('cclslr_tiny_1xb16-30e_synthetic.py', tiny_root, tmp_path, tiny_cclslr())
    out = tool.main([pre, 'none', video, '--split', 'train', '--out-dir', str(tmp_path / 'cam2')])
    assert out['label'] is None
    assert_figure(out['png'])
    assert 'agreement with the pose projection' in capsys.readouterr().out
