from .knn import (embed_for_eval, extract_embeddings, knn_evaluate, knn_scores, knn_top1,
                  retrieval_recall_at1)
from .metrics import ISLRAccuracy

__all__ = ['ISLRAccuracy', 'embed_for_eval', 'extract_embeddings', 'knn_evaluate', 'knn_scores', 'knn_top1',
           'retrieval_recall_at1']
