from .atomic_checkpoint_hook import AtomicCheckpointHook
from .bad_sample_hook import BadSampleHook
from .knn_eval_hook import KNNEvalHook
from .progress_bar_hook import ProgressBarHook
from .rng_state_hook import RNGStateHook

__all__ = ['AtomicCheckpointHook', 'BadSampleHook', 'KNNEvalHook', 'ProgressBarHook', 'RNGStateHook']
