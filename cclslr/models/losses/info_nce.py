"""InfoNCE with a memory queue of negatives (MoCo v2)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from cclslr.registry import MODELS


def moco_logits(query: torch.Tensor, key: torch.Tensor, queue: torch.Tensor, temperature: float,
                caller: str = 'info_nce') -> torch.Tensor:
    """MoCo's logits: column 0 the own key, columns 1..N the queue, all divided by the temperature.

    Args:
        query: (B, C) L2-normalised query features; key: (B, C) their positive keys; queue: (N, C).
        caller: named in the shape error.

    Returns:
        (B, 1 + N) logits.
    """
    if query.shape != key.shape or query.shape[1] != queue.shape[1]:
        raise ValueError(f'{caller}: query {tuple(query.shape)}, key {tuple(key.shape)} and queue '
                         f'{tuple(queue.shape)} must agree as (B, C), (B, C), (N, C)')
    pos = (query * key).sum(dim=1, keepdim=True)  # (B, 1)
    return torch.cat([pos, query @ queue.t()], dim=1) / temperature


def info_nce(query: torch.Tensor, key: torch.Tensor, queue: torch.Tensor,
             temperature: float = 0.07) -> torch.Tensor:
    """L_cl(q, k, S) = -log( e^{q.k/t} / (e^{q.k/t} + sum_{s in S} e^{q.s/t}) ), averaged over the batch.

    Args:
        query: (B, C) L2-normalised query features (gradient flows here).
        key: (B, C) L2-normalised positive keys, row i is the positive of query i.
        queue: (N, C) L2-normalised negatives.
        temperature: tau.

    Returns:
        scalar loss.
    """
    logits = moco_logits(query, key, queue, temperature)
    # The positive is column 0 for every row.
    target = torch.zeros(query.shape[0], dtype=torch.long, device=query.device)
    return F.cross_entropy(logits, target)


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """Module form of :func:`info_nce` (``temperature`` default 0.07, the paper's tau): the contrastive loss
    of CCL-SLR's within-modality and cross-modal terms (``CCLSLR(loss_cl=...)``). A replacement takes the
    same ``forward(query (B, C), key (B, C), queue (N, C)) -> scalar``."""

    def __init__(self, temperature: float = 0.07, loss_weight: float = 1.0):
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, query: torch.Tensor, key: torch.Tensor, queue: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * info_nce(query, key, queue, self.temperature)
