"""Spherical k-means over a memory queue, refined a few Lloyd steps per training step.

Used by CCL-SLR's cross-modal pseudo-label term (beyond the paper, ``CCLSLRPseudoLabel``): the clusters of
one modality's key embeddings become class targets for the other modality, as in XDC (Alwassel et al.,
"Self-Supervised Learning by Cross-Modal Audio-Video Clustering", NeurIPS 2020), but online over the MoCo
queue instead of offline over the dataset.

The centroids are a registered buffer, so they are saved and resumed with the checkpoint, and each step
starts from the previous step's centroids: cluster ``k`` keeps meaning the same group of clips from one
step to the next, which a linear classifier on those indices needs. Everything is deterministic (seeded
initialisation, argmax with first-index ties), so ranks holding identical queues hold identical centroids
without any communication.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class OnlineKMeans(nn.Module):
    """K centroids on the unit sphere, fitted to a bank of rows by warm-started Lloyd iterations.

    Rows are *centred* before clustering (the bank's mean is subtracted, then rows are re-normalised):
    MoCo embeddings of all clips tend to share a large common direction (the demo's pose embeddings have
    mean pairwise cosine 0.96 between classes), and clustering the deviations from it is what separates
    the groups.

    Args:
        num_clusters: K.
        dim: width D of the rows.
        iters: Lloyd iterations per :meth:`update` (assign every row to its nearest centroid by cosine,
            move each centroid to the normalised mean of its rows). A centroid that no row chooses is
            re-seeded on the row its centroid fits worst (one row per empty cluster, worst first): without
            this, centroids drawn while the queue still holds MoCo's random initial rows stay empty once the
            real keys (a small region of the sphere) arrive, and all clips fall into 2-4 clusters.
        seed: seed of the initial choice of K rows as centroids.
    """

    def __init__(self, num_clusters: int, dim: int, iters: int = 5, seed: int = 0):
        super().__init__()
        if num_clusters < 2:
            raise ValueError(f'OnlineKMeans: num_clusters must be >= 2, got {num_clusters}')
        if iters < 1:
            raise ValueError(f'OnlineKMeans: iters must be >= 1, got {iters}')
        self.num_clusters = num_clusters
        self.iters = iters
        self.seed = seed
        self.register_buffer('centroids', torch.zeros(num_clusters, dim))
        # The bank's mean at the last update: rows are centred by it before clustering and assignment.
        self.register_buffer('mean', torch.zeros(dim))
        self.register_buffer('initialised', torch.zeros(1, dtype=torch.bool))

    def centre(self, x: torch.Tensor) -> torch.Tensor:
        """(M, D) rows minus the bank mean of the last update, L2-normalised."""
        return F.normalize(x - self.mean, dim=1)

    @torch.no_grad()
    def update(self, bank: torch.Tensor) -> None:
        """Refine the centroids on ``bank`` (N, D), N >= K, centred by its mean."""
        if bank.dim() != 2 or bank.shape[1] != self.centroids.shape[1]:
            raise ValueError(f'OnlineKMeans.update: bank must be (N, {self.centroids.shape[1]}), '
                             f'got {tuple(bank.shape)}')
        if bank.shape[0] < self.num_clusters:
            raise ValueError(f'OnlineKMeans.update: {bank.shape[0]} rows for {self.num_clusters} clusters')
        self.mean.copy_(bank.mean(dim=0))
        x = self.centre(bank)
        centroids = self.centroids.clone()
        if not bool(self.initialised):
            gen = torch.Generator().manual_seed(self.seed)
            pick = torch.randperm(x.shape[0], generator=gen)[:self.num_clusters].to(x.device)
            centroids = x[pick].clone()
        for _ in range(self.iters):
            sim = x @ centroids.t()
            fit, assign = sim.max(dim=1)
            counts = torch.bincount(assign, minlength=self.num_clusters)
            empty = (counts == 0).nonzero().flatten()
            if len(empty):
                # Worst-fitting rows (stable order on ties) become the empty clusters' centroids.
                worst = torch.sort(fit, stable=True).indices[:len(empty)]
                centroids[empty] = x[worst]
                assign[worst] = empty
            sums = torch.zeros_like(centroids).index_add_(0, assign, x)
            counts = torch.bincount(assign, minlength=self.num_clusters)
            filled = counts > 0
            centroids[filled] = F.normalize(sums[filled], dim=1)
        self.centroids.copy_(centroids)
        self.initialised.fill_(True)

    @torch.no_grad()
    def assign(self, x: torch.Tensor) -> torch.Tensor:
        """Nearest centroid (by cosine) of each centred row of ``x`` (B, D) -> (B,) long."""
        if not bool(self.initialised):
            raise RuntimeError('OnlineKMeans.assign called before update')
        return (self.centre(x) @ self.centroids.t()).argmax(dim=1)
