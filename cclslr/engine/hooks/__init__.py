from .bad_sample_hook import BadSampleHook
from .knn_eval_hook import KNNEvalHook
from .progress_bar_hook import ProgressBarHook
from .rng_state_hook import RNGStateHook

__all__ = ['BadSampleHook', 'KNNEvalHook', 'ProgressBarHook', 'RNGStateHook']
