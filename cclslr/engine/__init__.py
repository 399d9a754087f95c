from .hooks import KNNEvalHook, ProgressBarHook, RNGStateHook

__all__ = ['KNNEvalHook', 'ProgressBarHook', 'RNGStateHook']
