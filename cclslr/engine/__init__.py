from .hooks import AtomicCheckpointHook, KNNEvalHook, ProgressBarHook, RNGStateHook

__all__ = ['AtomicCheckpointHook', 'KNNEvalHook', 'ProgressBarHook', 'RNGStateHook']
