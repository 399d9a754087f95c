from .hooks import AtomicCheckpointHook, BadSampleHook, KNNEvalHook, ProgressBarHook, RNGStateHook
from .optim_wrappers import AutocastOptimWrapper, amp_optim_wrapper

__all__ = ['AtomicCheckpointHook', 'AutocastOptimWrapper', 'BadSampleHook', 'KNNEvalHook', 'ProgressBarHook',
           'RNGStateHook', 'amp_optim_wrapper']
