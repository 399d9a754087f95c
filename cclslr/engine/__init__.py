from .hooks import KNNEvalHook, RNGStateHook, knn_evaluate

__all__ = ['KNNEvalHook', 'RNGStateHook', 'knn_evaluate']
