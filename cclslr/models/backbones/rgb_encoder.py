"""The RGB encoder: any video backbone + global average pooling to one vector (docs/method.md §4)."""
import copy
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from cclslr.registry import MODELS
from cclslr.utils import load_plain_state_dict

# R3D-50 of Hara et al.: every bottleneck's middle convolution is 3x3x3 (46.2 M parameters).
# MMAction2's default inflate_style='3x1x1' would build a 32 M I3D-style net instead.
R3D50 = dict(type='mmaction.ResNet3d', depth=50, inflate=(1, 1, 1, 1), inflate_style='3x3x3',
             conv1_kernel=(7, 7, 7), pretrained=None, pretrained2d=False)


@MODELS.register_module()
class RGBEncoder(BaseModule):
    """Wraps a video backbone built from a config and pools its last feature map to (N, C).

    The backbone can be any MMAction2 backbone (``type='mmaction.ResNet3dSlowOnly'``, ...), or a user
    plugin registered in cclslr's ``MODELS``; it must map (N, 3, T, H, W) to a (N, C, T', H', W') map
    (a tuple of maps is accepted: the last one is used).

    Args:
        backbone: backbone config; R3D-50 (:data:`R3D50`) by default.
        out_channels: feature width C. If None, read from the backbone's ``feat_dim`` / ``out_channels``
            attribute, else measured by one forward of a dummy clip of ``probe_shape`` at build time.
        pretrained: optional local file of backbone weights, loaded as plain tensors (never a URL) by
            :meth:`init_weights`, after the backbone's own initialisation, so MMEngine's Runner keeps it.
        pretrained_prefix: keep only the checkpoint keys under this prefix (stripped), e.g. ``'backbone.'``.
        probe_shape: (N, 3, T, H, W) of the dummy clip used to infer ``out_channels``.

    Shapes: (N, 3, T, H, W) -> (N, out_channels).
    """

    def __init__(self, backbone: Optional[dict] = None, out_channels: Optional[int] = None,
                 pretrained: Optional[str] = None, pretrained_prefix: Optional[str] = None,
                 probe_shape: Sequence[int] = (1, 3, 8, 64, 64), init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        cfg = copy.deepcopy(R3D50 if backbone is None else backbone)
        if not isinstance(cfg, dict) or 'type' not in cfg:
            raise ValueError(f'RGBEncoder: backbone must be a config dict with a "type", got {cfg!r}')
        self.backbone = MODELS.build(cfg)
        self.pretrained = pretrained
        self.pretrained_prefix = pretrained_prefix
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.out_channels = out_channels or self._infer_out_channels(probe_shape)

    def _infer_out_channels(self, probe_shape: Sequence[int]) -> int:
        for attr in ('feat_dim', 'out_channels'):
            value = getattr(self.backbone, attr, None)
            if isinstance(value, int):
                return value
        was_training = self.backbone.training
        self.backbone.eval()
        with torch.no_grad():
            feat = self._feature_map(torch.zeros(*probe_shape))
        self.backbone.train(was_training)
        return int(feat.shape[1])

    def _feature_map(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.backbone(x)
        if isinstance(feat, (tuple, list)):
            feat = feat[-1]
        if feat.dim() != 5:
            raise ValueError(f'RGBEncoder: backbone {type(self.backbone).__name__} returned a feature of '
                             f'shape {tuple(feat.shape)}; expected (N, C, T, H, W)')
        return feat

    def init_weights(self) -> None:
        super().init_weights()
        if self.pretrained is None:
            return
        state = load_plain_state_dict(self.pretrained, prefix=self.pretrained_prefix)
        missing, unexpected = self.backbone.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise RuntimeError(f'{self.pretrained}: does not match the RGB backbone '
                               f'(missing keys: {missing[:10]}, unexpected keys: {unexpected[:10]})')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5 or x.shape[1] != 3:
            raise ValueError(f'RGBEncoder expects a clip batch (N, 3, T, H, W), got {tuple(x.shape)}')
        return self.pool(self._feature_map(x)).flatten(1)
