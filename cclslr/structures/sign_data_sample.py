"""The data sample that travels with every clip, from the pipeline to the metric."""
from typing import Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement


class SignDataSample(BaseDataElement):
    """One clip's annotation and predictions.

    Metainfo (set by the pipeline): ``sample_id`` (str, the dataset key, also the mask-cache key),
    ``video_path``, ``signer_id`` (int, -1 if unknown), ``dataset`` (str name, optional).

    Data fields:
        gt_label (LongTensor, shape (1,)): class index, -1 when unlabelled (pre-training).
        pred_score (Tensor, shape (num_classes,)): set by recognizers (sum of branch logits, softmaxed).
        pred_label (LongTensor, shape (1,)): argmax of ``pred_score``.
        rgb_embedding / pose_embedding (Tensor, shape (D,)): L2-normalised encoder outputs, set by the
            pre-training algorithm's ``predict`` for k-NN evaluation.
    """

    def set_gt_label(self, value: Union[int, np.integer, torch.Tensor]) -> 'SignDataSample':
        if isinstance(value, torch.Tensor):
            value = value.reshape(-1)[:1].long()
        else:
            value = torch.tensor([int(value)], dtype=torch.long)
        self.set_field(value, 'gt_label', dtype=torch.Tensor)
        return self

    def set_pred_score(self, value: torch.Tensor) -> 'SignDataSample':
        self.set_field(value, 'pred_score', dtype=torch.Tensor)
        self.set_field(value.argmax(dim=-1, keepdim=True).reshape(1), 'pred_label',
                       dtype=torch.Tensor)
        return self
