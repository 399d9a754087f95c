"""Save and restore the random number generators with the checkpoint, for exact resumption."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine import dist
from mmengine.hooks import Hook

from cclslr.registry import HOOKS

CKPT_KEY = 'rng_state'


def get_rng_state() -> dict:
    """Python, numpy and torch (CPU and every CUDA device) generator states, as checkpoint-safe types.

    numpy's state is stored as plain ints so that a weights-only ``torch.load`` accepts it.
    """
    np_state = np.random.get_state()
    state = dict(python=random.getstate(),
                 numpy=dict(key=np_state[1].tolist(), pos=int(np_state[2]), has_gauss=int(np_state[3]),
                            cached_gaussian=float(np_state[4])),
                 torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Inverse of :func:`get_rng_state`."""
    py = state['python']
    # A checkpoint round trip may turn the inner tuple into a list; random.setstate needs tuples.
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state['numpy']
    np.random.set_state(('MT19937', np.asarray(n['key'], dtype=np.uint32), n['pos'], n['has_gauss'],
                         n['cached_gaussian']))
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])


class _RestoreAfterSkip:
    """Wraps the iteration-based loop's data iterator: restores the RNG state right before batch k+1.

    MMEngine's ``IterBasedTrainLoop`` replays the first k batches after resuming (to advance the
    sampler). With ``num_workers=0`` the replayed transforms draw from the main process's generators,
    so the state restored at load time would be consumed again; restoring after the replay makes the
    next batch see exactly the state of the uninterrupted run.
    """

    def __init__(self, iterator, skip: int, state: dict):
        self._iterator = iterator
        self._skip = skip
        self._state = state

    def __iter__(self):
        return self

    def __next__(self):
        if self._state is not None and self._skip == 0:
            set_rng_state(self._state)
            self._state = None
        self._skip -= 1
        return next(self._iterator)

    def __getattr__(self, name):
        return getattr(self._iterator, name)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Store the RNG states in every checkpoint; restore them on resume.

    With ``randomness=dict(seed=...)``, MMEngine restores the model, optimiser, schedulers, message hub
    and (through ``InfiniteSampler``/``DefaultSampler`` seeds and the batch replay) the data order, but
    not the generators themselves: dropout masks, queue-independent augmentations in the main process
    and anything else drawing from ``random``/``numpy``/``torch`` would diverge after a resume. This hook
    closes that gap, so a resumed run reproduces the losses of an uninterrupted one.

    Distributed runs: only rank 0 writes the checkpoint, so every rank's states are gathered (one small
    ``all_gather_object`` per iteration, at priority LOW, i.e. right before ``CheckpointHook``) and saved
    as a list; on resume each rank takes its own, if the world size is unchanged.
    """

    priority = 'LOW'

    def __init__(self):
        self._pending: Optional[dict] = None
        self._all_ranks: Optional[list] = None

    def _gather(self) -> None:
        if dist.get_world_size() > 1:
            self._all_ranks = dist.all_gather_object(get_rng_state())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._gather()

    def after_train_epoch(self, runner) -> None:
        self._gather()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if dist.get_world_size() > 1 and self._all_ranks is not None:
            checkpoint[CKPT_KEY] = dict(ranks=self._all_ranks)
        else:
            checkpoint[CKPT_KEY] = get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get(CKPT_KEY)
        if state is None:
            runner.logger.warning('RNGStateHook: the checkpoint has no RNG state (written without this '
                                  'hook); the resumed run will not repeat the uninterrupted one exactly')
            return
        if 'ranks' in state:
            ranks, rank, world = state['ranks'], dist.get_rank(), dist.get_world_size()
            if len(ranks) != world:
                runner.logger.warning(f'RNGStateHook: checkpoint written by {len(ranks)} ranks, resumed on '
                                      f'{world}; the RNG streams will not repeat exactly')
            state = ranks[rank % len(ranks)]
        set_rng_state(state)
        self._pending = state

    def before_train_epoch(self, runner) -> None:
        # Only the iteration-based loop replays batches after a resume (see _RestoreAfterSkip).
        if self._pending is None:
            return
        loop = runner.train_loop
        if getattr(loop, 'dataloader_iterator', None) is not None and loop.iter > 0:
            loop.dataloader_iterator = _RestoreAfterSkip(loop.dataloader_iterator, loop.iter, self._pending)
        self._pending = None
