"""FIFO memory queues written in lockstep.

The queues are plain tensors owned (as registered buffers) by the algorithm, so that they keep their names
in the state dict and are saved and resumed with the checkpoint. This module only holds the write rule.
"""
from typing import Sequence

import torch


@torch.no_grad()
def enqueue_lockstep(queues: Sequence[torch.Tensor], ptr: torch.Tensor,
                     keys: Sequence[torch.Tensor]) -> None:
    """Write ``keys[i]`` into ``queues[i]`` at the same slots, then advance the shared pointer.

    All queues use the same slot indices ``(ptr + arange(B)) % N``, so slot ``s`` holds the same clip in
    every queue (semantic positive mining relies on it). The write wraps around the end of the queue, so
    ``N`` need not be a multiple of the batch.

    Args:
        queues: tensors of shape (N, D_i), modified in place.
        ptr: LongTensor of shape (1,), the next slot to write; modified in place.
        keys: tensors of shape (B, D_i), the same B for all, B <= N.
    """
    if len(queues) != len(keys):
        raise ValueError(f'enqueue_lockstep: {len(queues)} queues but {len(keys)} key tensors')
    size = queues[0].shape[0]
    batch = keys[0].shape[0]
    for i, (queue, key) in enumerate(zip(queues, keys)):
        if queue.shape[0] != size or key.shape[0] != batch:
            raise ValueError(
                f'enqueue_lockstep: queue {i} has {queue.shape[0]} slots and {key.shape[0]} keys, '
                f'expected {size} slots and {batch} keys like queue 0 (lockstep writes need equal sizes)')
        if queue.shape[1:] != key.shape[1:]:
            raise ValueError(f'enqueue_lockstep: queue {i} rows are {tuple(queue.shape[1:])}, '
                             f'keys are {tuple(key.shape[1:])}')
    if batch > size:
        raise ValueError(f'enqueue_lockstep: {batch} keys (the global batch) do not fit a queue of {size}')
    start = int(ptr.item())
    slots = (start + torch.arange(batch, device=ptr.device)) % size
    for queue, key in zip(queues, keys):
        queue[slots.to(queue.device)] = key.to(queue.dtype)
    ptr[0] = (start + batch) % size
