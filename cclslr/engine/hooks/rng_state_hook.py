"""Save and restore the random number generators with the checkpoint, for exact resumption."""
from typing import Optional

from mmengine import dist
from mmengine.hooks import Hook

from cclslr.registry import HOOKS
from cclslr.utils.rng import get_rng_state, set_rng_state

CKPT_KEY = 'rng_state'


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
