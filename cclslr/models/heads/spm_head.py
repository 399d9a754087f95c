"""The semantic positive mining (SPM) head: mines extra positives in the queue and owns their loss."""
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule

from cclslr.registry import MODELS
from ..losses import spm_targets, union_targets


@MODELS.register_module()
class SPMHead(BaseModule):
    """SPM of docs/method.md §5: for each modality m, the top-k queue slots of g_q^m . M_g^m (encoder
    outputs) are mined; the indicators of all modalities are united, y = max_m y^m; each modality's
    head output f_q^m is then trained against the f queue with ``loss`` on those targets.

    Args:
        topk: k, mined positives per query and modality (10).
        loss: config of the loss on the mined targets, with ``forward(query_f (B, C), key_f (B, C),
            queue_f (N, C), targets (B, N)) -> scalar``: ``SPMLoss`` (the paper's sigmoid BCE, tau_spm
            0.02, the default) or ``SPMSoftmaxLoss`` (beyond the paper).
    """

    def __init__(self, topk: int = 10, loss: Optional[dict] = None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if topk < 1:
            raise ValueError(f'SPMHead: topk must be >= 1, got {topk}')
        self.topk = topk
        self.loss_module = MODELS.build(loss or dict(type='SPMLoss', temperature=0.02))

    @torch.no_grad()
    def mine(self, query_g: Dict[str, torch.Tensor], queue_g: Dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, N) 0/1 targets: the union over modalities of each one's top-k slots.

        Args:
            query_g: modality -> (B, D_m) L2-normalised query encoder outputs.
            queue_g: modality -> (N, D_m) the g queue of that modality (slot-aligned across modalities).
        """
        return union_targets([spm_targets(query_g[m], queue_g[m], self.topk) for m in query_g])

    def loss(self, query_f: torch.Tensor, key_f: torch.Tensor, queue_f: torch.Tensor,
             targets: torch.Tensor) -> torch.Tensor:
        """One modality's SPM loss: (B, C) queries and keys, (N, C) f queue, (B, N) targets -> scalar."""
        return self.loss_module(query_f, key_f, queue_f, targets)
