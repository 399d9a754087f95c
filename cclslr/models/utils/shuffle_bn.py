"""MoCo's shuffle BN for a key encoder: its BatchNorm never sees a query's batch of clips (docs/method.md §5).

A query and its positive key are two views of the same clip. If the query encoder's BatchNorm and the
key encoder's BatchNorm normalise the same set of clips, the batch statistics carry which clips are in the
batch, and the model can solve instance discrimination through them instead of through the content (MoCo,
He et al. 2020, §3.3 "Shuffling BN"; kept by MoCo v2). The fix changes which clips the *key* encoder's BN
sees together, and then puts each key back in its clip's row:

- several processes: MoCo's batch shuffle. Gather the key views of every rank, permute the global batch
  with a permutation broadcast from rank 0, encode this rank's share, gather the outputs, unshuffle, keep
  this rank's rows;
- one process: SplitBatchNorm, as in MoCo's single-GPU CIFAR demo. Permute the key batch, split it into
  ``num_splits`` groups and encode each group on its own, so each group's BN statistics come from its own
  clips only; then unshuffle. With the same permutation, group r is exactly what rank r encodes in the
  distributed form, so the keys are the same.

The BN running statistics of the one-process form are updated once per step, to the mean of the groups'
updates (MoCo's SplitBatchNorm), not once per group. Encoders without batch-coupled normalisation (the
pose encoder uses LayerNorm) are called directly: shuffling changes nothing for them.
"""
from typing import Callable, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine import dist
from torch.nn.modules.batchnorm import _BatchNorm

from cclslr.registry import MODELS
from .dist_utils import concat_all_gather


def batch_norms(module: nn.Module) -> List[_BatchNorm]:
    """The batch-coupled normalisation layers of ``module`` (BatchNorm1d/2d/3d, SyncBatchNorm)."""
    return [m for m in module.modules() if isinstance(m, _BatchNorm)]


class _AveragedRunningStats:
    """Make G forwards of the groups update each BN's running stats once, to the mean of their updates.

    Each group starts from the same running stats (restored after every group); at the end the running
    mean / var are the mean over the groups and ``num_batches_tracked`` advances by one, as MoCo's
    SplitBatchNorm does with its split-wise running stats.
    """

    def __init__(self, encoder: nn.Module):
        self.layers = [m for m in batch_norms(encoder) if m.training and m.track_running_stats]
        self.start = [(m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
                      for m in self.layers]
        self.sums = [(torch.zeros_like(mean), torch.zeros_like(var)) for mean, var, _ in self.start]
        self.groups = 0

    def after_group(self) -> None:
        for m, (mean0, var0, n0), (mean_sum, var_sum) in zip(self.layers, self.start, self.sums):
            mean_sum += m.running_mean
            var_sum += m.running_var
            m.running_mean.copy_(mean0)
            m.running_var.copy_(var0)
            m.num_batches_tracked.copy_(n0)
        self.groups += 1

    def finish(self) -> None:
        for m, (_, _, n0), (mean_sum, var_sum) in zip(self.layers, self.start, self.sums):
            m.running_mean.copy_(mean_sum / self.groups)
            m.running_var.copy_(var_sum / self.groups)
            m.num_batches_tracked.copy_(n0 + 1)


@MODELS.register_module()
class ShuffleBN:
    """Run a key encoder so that its BatchNorm statistics come from other clips than the query's.

    Called as ``shuffle_bn(encoder, *inputs)`` in place of ``encoder(*inputs)``; every input has the batch
    on dim 0 (RGB ``(B, 3, T, H, W)``; pose ``(B, T, J, 3)`` with its mask ``(B, T)``), the output is
    ``(B, D)`` with row i the key of clip i, as without the shuffle. Must run under ``no_grad`` (keys only:
    the gathers are not differentiable).

    Args:
        num_splits: groups of the one-process form (SplitBatchNorm); each is normalised on its own. The
            batch must hold at least ``num_splits`` clips (``drop_last=True``). Unused with several ranks,
            where each rank's share is one group (the global batch split ``world_size`` ways).
    """

    def __init__(self, num_splits: int = 2):
        if int(num_splits) != num_splits or num_splits < 1:
            raise ValueError(f'ShuffleBN: num_splits must be a positive integer, got {num_splits!r}')
        self.num_splits = int(num_splits)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_splits={self.num_splits})'

    @torch.no_grad()
    def __call__(self, encoder: Callable, *inputs: torch.Tensor) -> torch.Tensor:
        if not isinstance(encoder, nn.Module) or not batch_norms(encoder):
            return encoder(*inputs)
        batch = inputs[0].shape[0]
        bad = [tuple(x.shape) for x in inputs if x.shape[0] != batch]
        if bad:
            raise ValueError(f'ShuffleBN: inputs disagree on the batch size: {batch} and {bad}')
        # Every rank draws (rank 0's permutation wins the broadcast) so that the torch RNG streams of the
        # ranks advance alike; on CPU so that the permutation does not depend on the device.
        perm = torch.randperm(batch * dist.get_world_size()).to(inputs[0].device)
        if dist.get_world_size() > 1:
            return self._across_ranks(encoder, inputs, perm)
        return self._split(encoder, inputs, perm)

    def _split(self, encoder: nn.Module, inputs: Sequence[torch.Tensor], perm: torch.Tensor
               ) -> torch.Tensor:
        """One process: encode ``num_splits`` shuffled groups separately, then unshuffle."""
        batch = perm.numel()
        if batch < self.num_splits:
            raise ValueError(f'ShuffleBN: a key batch of {batch} clip(s) cannot be split into '
                             f'num_splits={self.num_splits} groups; use drop_last=True in the train '
                             'dataloader or a smaller num_splits')
        stats = _AveragedRunningStats(encoder)
        outputs = []
        for group in perm.tensor_split(self.num_splits):
            outputs.append(encoder(*(x[group] for x in inputs)))
            stats.after_group()
        stats.finish()
        return torch.cat(outputs)[torch.argsort(perm)]

    def _across_ranks(self, encoder: nn.Module, inputs: Sequence[torch.Tensor], perm: torch.Tensor
                      ) -> torch.Tensor:
        """Several processes: MoCo's gather, shuffle, encode this rank's share, gather, unshuffle."""
        rank, local = dist.get_rank(), inputs[0].shape[0]
        _check_same_shapes(inputs)
        gathered = [concat_all_gather(x) for x in inputs]
        dist.broadcast(perm, src=0)
        share = perm[rank * local:(rank + 1) * local]
        shuffled_out = concat_all_gather(encoder(*(x[share] for x in gathered)))
        return shuffled_out[torch.argsort(perm)][rank * local:(rank + 1) * local]


def _check_same_shapes(inputs: Sequence[torch.Tensor]) -> None:
    """All-gather needs equal shapes on every rank (e.g. pose padded to different lengths fails here)."""
    shapes: Tuple[torch.Tensor, ...] = tuple(
        torch.tensor(x.shape, device=x.device) for x in inputs)
    for i, shape in enumerate(shapes):
        everyone = dist.all_gather(shape)
        if any(s.shape != shape.shape or not torch.equal(s, shape) for s in everyone):
            raise ValueError(f'ShuffleBN: key input {i} has shapes {[tuple(s.tolist()) for s in everyone]} '
                             'across ranks; the batch shuffle gathers them and needs one shape')
