"""A collapse monitor for contrastive embeddings."""
import torch


@torch.no_grad()
def feature_spread(features: torch.Tensor) -> torch.Tensor:
    """How much a batch of L2-normalised embeddings spreads over the sphere.

    ``sqrt(C) * mean over channels of the standard deviation over the batch`` (SimSiam's collapse
    indicator, scaled so that directions drawn uniformly on the sphere give about 1). 0 means every row is
    the same vector; a projection squeezed into a narrow cone gives a small value long before the losses
    show it, which is why pre-training logs it.

    Args:
        features: (N, C) L2-normalised rows.

    Returns:
        scalar tensor, 0 for N = 1.
    """
    if features.dim() != 2:
        raise ValueError(f'feature_spread expects (N, C), got {tuple(features.shape)}')
    return features.float().std(dim=0, correction=0).mean() * features.shape[1] ** 0.5
