"""Semantic positive mining (SPM): the queue entries nearest to a query are treated as extra positives.

For modality m: y^m = top-k indicator of g_q^m . M_g^m (encoder outputs, before the head); the targets of
both modalities are united, y = max(y^R, y^P); each modality's head output is then trained with a
multi-label BCE against the queue of head outputs: sigmoid(f_q^m . M_f^m / tau_spm) vs y, averaged over
the N queue slots (and the batch).
"""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from cclslr.registry import MODELS
from .info_nce import moco_logits


@torch.no_grad()
def spm_targets(query_g: torch.Tensor, queue_g: torch.Tensor, topk: int = 10) -> torch.Tensor:
    """Binary top-k indicator of the most similar queue slots.

    Args:
        query_g: (B, D) L2-normalised query encoder outputs.
        queue_g: (N, D) L2-normalised key encoder outputs of past clips.
        topk: number of mined positives per query (k <= N).

    Returns:
        (B, N) float tensor of 0/1 with exactly ``topk`` ones per row.
    """
    if topk > queue_g.shape[0]:
        raise ValueError(f'spm_targets: top-k {topk} exceeds the queue size {queue_g.shape[0]}')
    sim = query_g @ queue_g.t()
    idx = sim.topk(topk, dim=1).indices
    return torch.zeros_like(sim).scatter_(1, idx, 1.0)


def union_targets(targets: Sequence[torch.Tensor]) -> torch.Tensor:
    """y = elementwise max of the per-modality indicators (the union of the mined neighbours)."""
    out = targets[0]
    for t in targets[1:]:
        out = torch.maximum(out, t)
    return out


def spm_loss(query_f: torch.Tensor, queue_f: torch.Tensor, targets: torch.Tensor,
             temperature: float = 0.02) -> torch.Tensor:
    """Mean BCE between sigmoid(f_q . M_f / tau_spm) and the mined targets.

    Computed from the logits (``binary_cross_entropy_with_logits``) because with tau_spm = 0.02 the
    logits reach +-50, where sigmoid followed by log loses all precision.

    Args:
        query_f: (B, C) L2-normalised query head outputs.
        queue_f: (N, C) L2-normalised key head outputs, slot-aligned with the queue used for ``targets``.
        targets: (B, N) 0/1 targets.

    Returns:
        scalar: mean over the N slots and the batch.
    """
    logits = query_f @ queue_f.t() / temperature
    if logits.shape != targets.shape:
        raise ValueError(f'spm_loss: logits {tuple(logits.shape)} vs targets {tuple(targets.shape)}')
    return F.binary_cross_entropy_with_logits(logits, targets)


def spm_nce_loss(query_f: torch.Tensor, key_f: torch.Tensor, queue_f: torch.Tensor,
                 targets: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """Multi-positive InfoNCE over [own key, queue]: -log of the softmax mass on the positives.

    The softmax form of SPM (CrosSCLR's and CoCLR's): the positives are the query's own key and the
    mined slots, the rest of the queue the negatives. Unlike the sigmoid BCE, a shift that raises every
    logit of a row leaves it unchanged, so it does not push the projections off the queue's mean
    direction (docs/method.md §5).

    Args:
        query_f: (B, C) L2-normalised query head outputs.
        key_f: (B, C) L2-normalised key head outputs of the same clips (always a positive).
        queue_f: (N, C) L2-normalised key head outputs, slot-aligned with ``targets``.
        targets: (B, N) 0/1 mined positives.
        temperature: tau of the softmax.

    Returns:
        scalar: mean over the batch of -log(sum of softmax over the positives).
    """
    if targets.shape != (query_f.shape[0], queue_f.shape[0]):
        raise ValueError(f'spm_nce_loss: targets {tuple(targets.shape)} vs query {tuple(query_f.shape)} '
                         f'and queue {tuple(queue_f.shape)}: expected (B, N)')
    log_prob = moco_logits(query_f, key_f, queue_f, temperature, 'spm_nce_loss').log_softmax(dim=1)
    # Column 0 (the own key) is always a positive.
    mask = torch.cat([torch.ones_like(targets[:, :1], dtype=torch.bool), targets.bool()], dim=1)
    return -torch.logsumexp(log_prob.masked_fill(~mask, float('-inf')), dim=1).mean()


@MODELS.register_module()
class SPMLoss(nn.Module):
    """The paper's SPM loss, :func:`spm_loss` (sigmoid BCE over the N queue slots; ``temperature`` =
    tau_spm, default 0.02). The key ``key_f`` is not used: the BCE sees only the queue."""

    def __init__(self, temperature: float = 0.02, loss_weight: float = 1.0):
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, query_f: torch.Tensor, key_f: torch.Tensor, queue_f: torch.Tensor,
                targets: torch.Tensor) -> torch.Tensor:
        """(B, C) queries, (B, C) their keys, (N, C) queue, (B, N) 0/1 mined targets -> scalar."""
        return self.loss_weight * spm_loss(query_f, queue_f, targets, self.temperature)


@MODELS.register_module()
class SPMSoftmaxLoss(SPMLoss):
    """Beyond the paper: the softmax (multi-positive InfoNCE) form of SPM, :func:`spm_nce_loss`, whose
    positives are the own key and the mined slots (use with ``temperature`` 0.07; docs/method.md §5)."""

    def forward(self, query_f: torch.Tensor, key_f: torch.Tensor, queue_f: torch.Tensor,
                targets: torch.Tensor) -> torch.Tensor:
        """Shapes as :meth:`SPMLoss.forward`."""
        return self.loss_weight * spm_nce_loss(query_f, key_f, queue_f, targets, self.temperature)
