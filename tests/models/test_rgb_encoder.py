import pytest
import torch
import torch.nn as nn

from cclslr.models.backbones import R3D50, RGBEncoder
from cclslr.registry import MODELS


@MODELS.register_module(force=True)
class _TinyVideoNet(nn.Module):
    """A plugin backbone without feat_dim/out_channels: RGBEncoder must measure its width."""

    def __init__(self, width=6, as_tuple=False):
        super().__init__()
        self.conv = nn.Conv3d(3, width, 3, stride=2, padding=1)
        self.as_tuple = as_tuple

    def forward(self, x):
        y = self.conv(x)
        return (y[:, :2], y) if self.as_tuple else y


def test_plugin_backbone_width_inferred_and_pooled():
    enc = MODELS.build(dict(type='RGBEncoder', backbone=dict(type='_TinyVideoNet', width=6)))
    assert enc.out_channels == 6
    x = torch.randn(2, 3, 4, 16, 16)
    out = enc(x)
    assert out.shape == (2, 6)
    assert torch.allclose(out, enc.backbone(x).mean(dim=(2, 3, 4)), atol=1e-6)  # global average pool


def test_tuple_output_uses_last_map():
    enc = RGBEncoder(backbone=dict(type='_TinyVideoNet', width=5, as_tuple=True))
    assert enc.out_channels == 5 and enc(torch.randn(1, 3, 4, 8, 8)).shape == (1, 5)


def test_mmaction_backbone_cross_scope():
    enc = RGBEncoder(backbone=dict(type='mmaction.ResNet3dSlowOnly', depth=18, pretrained=None,
                                   pretrained2d=False, lateral=False, conv1_kernel=(1, 7, 7),
                                   inflate=(0, 0, 1, 1)))
    assert enc.out_channels == 512  # from the backbone's feat_dim
    enc.init_weights()
    enc.eval()
    with torch.no_grad():
        out = enc(torch.randn(1, 3, 4, 32, 32))
    assert out.shape == (1, 512) and torch.isfinite(out).all()


def test_default_is_r3d50_with_46_2m_params():
    enc = RGBEncoder()
    assert enc.backbone.__class__.__name__ == 'ResNet3d' and R3D50['inflate_style'] == '3x3x3'
    assert enc.out_channels == 2048
    n_params = sum(p.numel() for p in enc.parameters())
    assert abs(n_params - 46.2e6) < 0.05e6, n_params
    # Every bottleneck's middle convolution is 3x3x3 (R3D, not I3D's 3x1x1 default).
    assert all(b.conv2.conv.kernel_size == (3, 3, 3) for layer in (enc.backbone.layer1, enc.backbone.layer4)
               for b in layer)


def test_pretrained_local_plain_tensors(tmp_path):
    src = RGBEncoder(backbone=dict(type='_TinyVideoNet', width=4))
    path = tmp_path / 'tiny.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in src.backbone.state_dict().items()}}, path)
    enc = RGBEncoder(backbone=dict(type='_TinyVideoNet', width=4), pretrained=str(path),
                     pretrained_prefix='backbone.')
    assert not torch.equal(enc.backbone.conv.weight, src.backbone.conv.weight)
    enc.init_weights()
    assert torch.equal(enc.backbone.conv.weight, src.backbone.conv.weight)

    wrong = RGBEncoder(backbone=dict(type='_TinyVideoNet', width=4), pretrained=str(path))
    with pytest.raises(RuntimeError, match='does not match the RGB backbone'):
        wrong.init_weights()  # no prefix stripping: every key is unexpected
    with pytest.raises(ValueError, match='only local'):
        RGBEncoder(backbone=dict(type='_TinyVideoNet'), pretrained='https://x/y.pth').init_weights()


def test_bad_config_and_input():
    with pytest.raises(ValueError, match='config dict'):
        RGBEncoder(backbone='ResNet3d')
    enc = RGBEncoder(backbone=dict(type='_TinyVideoNet'))
    with pytest.raises(ValueError, match=r'\(N, 3, T, H, W\)'):
        enc(torch.randn(1, 4, 8, 8))
