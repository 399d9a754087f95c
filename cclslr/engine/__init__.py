from .hooks import AtomicCheckpointHook, BadSampleHook, KNNEvalHook, ProgressBarHook, RNGStateHook

__all__ = ['AtomicCheckpointHook', 'BadSampleHook', 'KNNEvalHook', 'ProgressBarHook', 'RNGStateHook']
