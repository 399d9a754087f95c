"""Gathering tensors across ranks, with or without a process group."""
import torch
from mmengine import dist


@torch.no_grad()
def concat_all_gather(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate ``tensor`` from every rank along dim 0, in rank order.

    Works without a process group (returns ``tensor`` unchanged), with NCCL and with gloo on CPU
    (MMEngine's ``all_gather`` moves the tensor to the backend's device and back). Not differentiable:
    use it for keys only, which carry no gradient.

    Args:
        tensor: (B, ...) on this rank; every rank must pass the same shape.

    Returns:
        (world_size * B, ...): rank 0's rows first.
    """
    if dist.get_world_size() == 1:
        return tensor
    gathered = dist.all_gather(tensor.contiguous())
    return torch.cat(gathered, dim=0)
