"""The projection head of contrastive pre-training."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from cclslr.registry import MODELS


@MODELS.register_module()
class ProjectionHead(BaseModule):
    """2-layer MLP g -> f (MoCo v2's head): Linear, ReLU, Linear.

    Args:
        in_channels: width of the encoder output g (2048 for R3D-50, 1024 for the pose encoder).
        hidden_channels: hidden width; ``None`` means ``in_channels`` (docs/method.md §4).
        out_channels: width of f, 128 in the paper.

    Shapes: (N, in_channels) -> (N, out_channels), not normalised (the algorithm normalises).
    """

    def __init__(self, in_channels: int, hidden_channels: Optional[int] = None, out_channels: int = 128,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        hidden_channels = hidden_channels or in_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hidden_channels), nn.ReLU(inplace=True),
            nn.Linear(hidden_channels, out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(f'ProjectionHead expects (N, {self.in_channels}), got {tuple(x.shape)}')
        return self.mlp(x)
