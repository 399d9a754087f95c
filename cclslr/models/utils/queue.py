"""FIFO memory queues written in lockstep: the write rule and the module that holds the queues."""
from typing import Dict, Sequence

import torch
import torch.nn as nn


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


class LockstepQueues(nn.Module):
    """Named FIFO queues of N rows that share one write pointer (MoCo's memory bank, several at once).

    The queues are registered buffers (saved and resumed with the checkpoint; in DDP identical on every
    rank by construction, so they need no broadcasting). :meth:`push` writes one batch of keys into every
    queue at the same slots (:func:`enqueue_lockstep`), so slot ``s`` holds the same clip in each.

    Args:
        initial: name -> (N, D_name) starting rows (MoCo starts from random unit rows), the same N for all.
    """

    def __init__(self, initial: Dict[str, torch.Tensor]):
        super().__init__()
        sizes = {name: rows.shape[0] for name, rows in initial.items()}
        if not initial or len(set(sizes.values())) != 1:
            raise ValueError(f'LockstepQueues: give one or more queues of the same length, got {sizes}')
        self.names = tuple(initial)
        for name, rows in initial.items():
            self.register_buffer(name, rows)
        self.register_buffer('ptr', torch.zeros(1, dtype=torch.long))

    @property
    def size(self) -> int:
        """N, the slots of every queue."""
        return self[self.names[0]].shape[0]

    def __getitem__(self, name: str) -> torch.Tensor:
        if name not in self.names:
            raise KeyError(f'LockstepQueues: no queue {name!r}; have {self.names}')
        return getattr(self, name)

    @torch.no_grad()
    def push(self, keys: Dict[str, torch.Tensor]) -> None:
        """Write ``keys[name]`` (B, D_name) into every queue at slots ``(ptr + arange(B)) % N``."""
        if set(keys) != set(self.names):
            raise KeyError(f'LockstepQueues.push: keys for {sorted(keys)}, queues {sorted(self.names)}')
        enqueue_lockstep([self[n] for n in self.names], self.ptr, [keys[n] for n in self.names])
