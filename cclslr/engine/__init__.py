from .hooks import BadSampleHook, KNNEvalHook, ProgressBarHook, RNGStateHook

__all__ = ['BadSampleHook', 'KNNEvalHook', 'ProgressBarHook', 'RNGStateHook']
