"""Top-k accuracy per instance and per class for ISLR (docs/method.md §8)."""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.structures import BaseDataElement

from cclslr.registry import METRICS


@METRICS.register_module()
class ISLRAccuracy(BaseMetric):
    """Top-k accuracy over test clips (per instance) and averaged over classes (per class).

    Per-class accuracy is the mean of the per-class top-k accuracies over the classes **present** in the
    evaluated split: a class without any test clip (WLASL2000's test split lacks one) is ignored, not
    counted as zero. Values are percentages (0–100), as the papers report them.

    Args:
        topk: the k values, e.g. ``(1, 5)``.
        per_class: also report the per-class figures.
        collect_device / prefix: see :class:`mmengine.evaluator.BaseMetric`.

    Reads ``pred_score`` (num_classes,) and ``gt_label`` (1,) of every data sample (dicts, as MMEngine's
    Evaluator passes them, or :class:`SignDataSample`). Returns ``top{k}_instance`` and, with
    ``per_class``, ``top{k}_class`` for each k.
    """

    default_prefix: Optional[str] = None

    def __init__(self, topk: Union[int, Sequence[int]] = (1, 5), per_class: bool = True,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk,) if isinstance(topk, int) else tuple(topk)
        if not self.topk or any(int(k) < 1 for k in self.topk):
            raise ValueError(f'ISLRAccuracy: topk must be positive integers, got {topk}')
        self.per_class = per_class

    def process(self, data_batch, data_samples: Sequence[Union[dict, BaseDataElement]]) -> None:
        maxk = max(self.topk)
        for ds in data_samples:
            if isinstance(ds, BaseDataElement):
                ds = ds.to_dict()
            if 'pred_score' not in ds or 'gt_label' not in ds:
                raise KeyError(f'ISLRAccuracy needs pred_score and gt_label in every data sample; got keys '
                               f'{sorted(ds)} (sample {ds.get("sample_id", "?")})')
            score = torch.as_tensor(ds['pred_score']).reshape(-1)
            label = int(torch.as_tensor(ds['gt_label']).reshape(-1)[0])
            if not 0 <= label < score.numel():
                raise ValueError(f'ISLRAccuracy: sample {ds.get("sample_id", "?")} has label {label}, '
                                 f'outside [0, {score.numel()}) (unlabelled clips cannot be scored)')
            # Only the top-k indices are kept: a test set × 2000 classes of scores is not needed.
            top = score.topk(min(maxk, score.numel())).indices.cpu().numpy()
            self.results.append((top, label))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        labels = np.array([label for _, label in results])
        metrics = {}
        for k in self.topk:
            hit = np.array([label in top[:k] for top, label in results], dtype=np.float64)
            metrics[f'top{k}_instance'] = float(hit.mean() * 100)
            if self.per_class:
                per_class = [hit[labels == c].mean() for c in np.unique(labels)]
                metrics[f'top{k}_class'] = float(np.mean(per_class) * 100)
        return metrics
