from .knn_eval import (embed_for_eval, extract_embeddings, knn_evaluate, knn_scores, knn_top1,
                       retrieval_recall_at1)
from .knn_eval_hook import KNNEvalHook
from .progress_bar_hook import ProgressBarHook
from .rng_state_hook import RNGStateHook, get_rng_state, set_rng_state

__all__ = ['KNNEvalHook', 'ProgressBarHook', 'RNGStateHook', 'knn_evaluate', 'knn_top1',
           'retrieval_recall_at1',
           'embed_for_eval', 'extract_embeddings', 'knn_scores', 'get_rng_state', 'set_rng_state']
