"""Beyond the paper: CCL-SLR with a cross-modal pseudo-label term (XDC-style), for measurement.

For each modality m with a ``pl`` weight, a linear classifier on the query embedding g_q^m is trained
with cross-entropy against the cluster of the clip's key embedding g_k^s of the *other* modality s, the
clusters being an online k-means of the g queue M_g^s (refined every step, before this step's keys are
written). Logged: ``loss_pl_<m>`` and ``pl_clusters_<m>``, how many clusters the batch's targets use.
docs/method.md (beyond the paper) says where it helped the demo and where it did not.
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import ModuleDict

from cclslr.registry import MODELS
from ..utils import OnlineKMeans
from .ccl_slr import CCLSLR, Features

OTHER = {'rgb': 'pose', 'pose': 'rgb'}


@MODELS.register_module()
class CCLSLRPseudoLabel(CCLSLR):
    """:class:`CCLSLR` plus the ``pl`` loss family (terms ``rgb`` / ``pose``, default weight 1).

    Args:
        pseudo_label: ``num_clusters`` K (default 10), ``temperature`` of the classifier logits (0.1),
            ``iters`` Lloyd steps per training step (5), ``seed`` of the k-means start (0).
        Other arguments: see :class:`CCLSLR`; ``losses`` also takes ``pl``.

    Modules added: ``pl_heads`` (modality m -> Linear(D_m, K), trained) and ``kmeans`` (source modality
    s -> :class:`OnlineKMeans` over M_g^s, buffers only), both ``ModuleDict``.
    """

    LOSS_TERMS = dict(CCLSLR.LOSS_TERMS, pl=('rgb', 'pose'))
    CROSS_MODAL = CCLSLR.CROSS_MODAL + ('pl',)
    DEFAULT_WEIGHTS = dict(CCLSLR.DEFAULT_WEIGHTS, pl=1.0)

    def __init__(self, pseudo_label: Optional[dict] = None, **kwargs):
        super().__init__(**kwargs)
        cfg = dict(pseudo_label or {})
        known = {'num_clusters', 'temperature', 'iters', 'seed'}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise ValueError(f'{type(self).__name__}: unknown pseudo_label option(s) {unknown}; known: '
                             f'{sorted(known)}')
        self.pl_temperature = float(cfg.get('temperature', 0.1))
        if self.pl_temperature <= 0:
            raise ValueError(f'{type(self).__name__}: pseudo_label temperature must be > 0, got '
                             f'{self.pl_temperature}')
        num_clusters = int(cfg.get('num_clusters', 10))
        self.pl_modalities = tuple(m for m in self.modalities if self.loss_weights['pl'][m])
        if self.pl_modalities and num_clusters > self.queues.size:
            raise ValueError(f'{type(self).__name__}: pseudo_label num_clusters={num_clusters} exceeds '
                             f'queue_size={self.queues.size}')
        self.pl_heads, self.kmeans = ModuleDict(), ModuleDict()
        for m in self.pl_modalities:
            source = OTHER[m]
            self.pl_heads[m] = nn.Linear(self.encoders[m].out_channels, num_clusters)
            self.kmeans[source] = OnlineKMeans(num_clusters, self.queue('g', source).shape[1],
                                               iters=int(cfg.get('iters', 5)), seed=int(cfg.get('seed', 0)))

    @torch.no_grad()
    def pseudo_labels(self, modality: str, key: Features) -> torch.Tensor:
        """(B,) targets of ``modality``'s term: refine the k-means of the other modality's g queue, then
        assign this batch's keys g_k of that modality to their nearest centroid."""
        source = OTHER[modality]
        self.kmeans[source].update(self.queue('g', source))
        return self.kmeans[source].assign(key[source]['g'])

    def compute_losses(self, query: Features, key: Features) -> Dict[str, torch.Tensor]:
        losses = super().compute_losses(query, key)
        for m in self.pl_modalities:
            targets = self.pseudo_labels(m, key)
            logits = self.pl_heads[m](query[m]['g']) / self.pl_temperature
            losses[f'loss_pl_{m}'] = self.loss_weights['pl'][m] * F.cross_entropy(logits, targets)
            losses[f'pl_clusters_{m}'] = targets.unique().numel() * torch.ones((), device=logits.device)
        return losses
