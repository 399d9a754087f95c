from .hooks import KNNEvalHook, ProgressBarHook, RNGStateHook, knn_evaluate

__all__ = ['KNNEvalHook', 'ProgressBarHook', 'RNGStateHook', 'knn_evaluate']
