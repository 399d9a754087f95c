"""2D encoder of hand crops for prior-guided fusion (docs/method.md §10)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from cclslr.registry import MODELS


@MODELS.register_module()
class CropEncoder(BaseModule):
    """Any registered 2D backbone → a small ``map_size`` × ``map_size`` feature map of ``embed_dims``.

    Uni-Sign uses an EfficientNet-B0 trunk, which no installed library registers; MMAction2's
    ``MobileNetV2`` (an inverted-residual network of the same family, 2.2 M parameters) is the default,
    and ``mmaction.ResNet`` (depth 18/50) or any other backbone returning a (B, C, h, w) map — or a
    tuple of them, the last one is used — works from the config.

    Args:
        backbone: config of the 2D backbone.
        embed_dims: output channels (the pose hand-node width, 512 in CCL-SLR's pose encoder).
        map_size: side of the output map after adaptive average pooling (4 in Uni-Sign).
        backbone_channels: channels of the backbone's last map; ``None`` infers them with one dummy
            forward of a ``probe_size`` image at construction.
        probe_size: image side used to infer ``backbone_channels``.

    Shapes: (B, 3, H, W) float → (B, embed_dims, map_size, map_size).
    """

    def __init__(self, backbone: dict = dict(type='mmaction.MobileNetV2', pretrained=None),
                 embed_dims: int = 512, map_size: int = 4, backbone_channels: Optional[int] = None,
                 probe_size: int = 112, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.map_size = map_size
        self.embed_dims = embed_dims
        if backbone_channels is None:
            backbone_channels = self._probe_channels(probe_size)
        self.proj = nn.Sequential(nn.Conv2d(backbone_channels, embed_dims, 1), nn.GroupNorm(1, embed_dims))

    @torch.no_grad()
    def _probe_channels(self, size: int) -> int:
        was_training = self.backbone.training
        self.backbone.eval()  # keep BatchNorm running statistics untouched by the probe
        out = self._trunk(torch.zeros(1, 3, size, size))
        self.backbone.train(was_training)
        return out.shape[1]

    def _trunk(self, x: torch.Tensor) -> torch.Tensor:
        out = self.backbone(x)
        if isinstance(out, (tuple, list)):
            out = out[-1]
        if out.dim() != 4:
            raise ValueError(f'CropEncoder: the backbone must return a (B, C, h, w) map, got '
                             f'{tuple(out.shape)}')
        return out

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        if crops.dim() != 4 or crops.shape[1] != 3:
            raise ValueError(f'CropEncoder expects crops of shape (B, 3, H, W), got {tuple(crops.shape)}')
        fmap = F.adaptive_avg_pool2d(self._trunk(crops), self.map_size)
        return self.proj(fmap)
