"""Linear classification head for fine-tuning (docs/method.md §7)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from cclslr.registry import MODELS


@MODELS.register_module()
class ClsHead(BaseModule):
    """Optional dropout + one Linear layer; owns its cross-entropy loss.

    Args:
        in_channels: feature width D of the encoder.
        num_classes: number of glosses.
        dropout: dropout probability before the classifier (0 disables it).
        label_smoothing: label smoothing of the cross-entropy (0 = plain CE).
        init_std: std of the normal init of the weights (bias zero).

    Shapes: ``forward`` (N, D) -> logits (N, num_classes); ``loss(logits, labels (N,))`` -> scalar.
    """

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.0,
                 label_smoothing: float = 0.0, init_std: float = 0.01, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1:
            raise ValueError(f'ClsHead: num_classes must be positive, got {num_classes}')
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing
        self.init_std = init_std
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, num_classes)
        self._reset()

    def _reset(self) -> None:
        nn.init.normal_(self.fc.weight, std=self.init_std)
        nn.init.zeros_(self.fc.bias)

    def init_weights(self) -> None:
        super().init_weights()
        if not self.init_cfg:
            self._reset()

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(feat))

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f'ClsHead: labels must lie in [0, {self.num_classes}), got '
                             f'{labels.min().item()}..{labels.max().item()} (unlabelled clips cannot be '
                             'used for fine-tuning)')
        return F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)
