"""SignDataPreprocessor: stacks the packed views of a batch, moves them and normalises RGB on device."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from cclslr.registry import MODELS

MODALITIES = ('rgb', 'pose')


@MODELS.register_module()
class SignDataPreprocessor(BaseDataPreprocessor):
    """Batch the output of ``PackSignInputs`` into the model inputs of docs/architecture.md.

    In: ``data['inputs']`` as collated by ``pseudo_collate``: per key a list over views of a list over
    samples (``rgb`` uint8 (3, T, H, W), ``pose`` float (T, J, 3), ``pose_mask`` bool (T,)); a list of
    per-sample dicts, or already stacked tensors (one view), are accepted too.
    Out: ``{'rgb': [float (N, 3, T, H, W) per view], 'pose': [float (N, T_max, J, 3) per view],
    'pose_mask': [bool (N, T_max) per view]}`` on the preprocessor's device; RGB is ``(x - mean) / std``;
    shorter pose sequences are zero-padded and their padding marked False in ``pose_mask``.

    Args:
        mean, std: per-channel RGB statistics on the 0-255 scale (default: ImageNet's).
        modalities: the modalities to return (a missing one in the batch is an error).
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 modalities: Sequence[str] = MODALITIES, non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)
        bad = [m for m in modalities if m not in MODALITIES]
        if bad or not modalities:
            raise ValueError(f'SignDataPreprocessor: modalities must be a subset of {MODALITIES}, '
                             f'got {modalities}')
        if len(mean) != 3 or len(std) != 3:
            raise ValueError('SignDataPreprocessor: mean and std need 3 values (RGB, 0-255 scale)')
        self.modalities = tuple(modalities)
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1, 1), False)

    @staticmethod
    def _views(value, sample_ndim: int) -> list:
        """Normalise one key's collated value to a list over views of lists over samples (or stacks)."""
        if isinstance(value, torch.Tensor):
            return [value] if value.dim() == sample_ndim + 1 else [[value]]
        value = list(value)
        if value and isinstance(value[0], torch.Tensor):
            # A list of stacked views (N, ...) or a list of samples of a single view.
            return value if value[0].dim() == sample_ndim + 1 else [value]
        return [list(v) for v in value]

    @staticmethod
    def _pad_stack(seqs: Sequence[torch.Tensor], masks: Optional[Sequence[torch.Tensor]]):
        if isinstance(seqs, torch.Tensor):
            mask = torch.stack(list(masks)) if masks is not None and not isinstance(masks, torch.Tensor) \
                else masks
            return seqs, mask if mask is not None else torch.ones(seqs.shape[:2], dtype=torch.bool)
        t_max = max(s.shape[0] for s in seqs)
        pose = torch.stack([F.pad(s, (0, 0, 0, 0, 0, t_max - s.shape[0])) for s in seqs])
        mask = torch.zeros(len(seqs), t_max, dtype=torch.bool)
        for i, s in enumerate(seqs):
            mask[i, :s.shape[0]] = True if masks is None else masks[i][:s.shape[0]].bool()
        return pose, mask

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):  # a list of per-sample input dicts
            inputs = {k: [[s[k][v] for s in inputs] for v in range(len(inputs[0][k]))] for k in inputs[0]}
        out = {}
        if 'rgb' in self.modalities:
            if 'rgb' not in inputs:
                raise KeyError('SignDataPreprocessor: the batch has no "rgb" input')
            out['rgb'] = []
            for view in self._views(inputs['rgb'], 4):
                x = view if isinstance(view, torch.Tensor) else torch.stack(view)
                x = self.cast_data(x).float()
                out['rgb'].append((x - self.mean) / self.std)
        if 'pose' in self.modalities:
            if 'pose' not in inputs:
                raise KeyError('SignDataPreprocessor: the batch has no "pose" input')
            views = self._views(inputs['pose'], 3)
            masks = self._views(inputs['pose_mask'], 1) if 'pose_mask' in inputs else [None] * len(views)
            out['pose'], out['pose_mask'] = [], []
            for view, mask in zip(views, masks):
                pose, valid = self._pad_stack(view, mask)
                out['pose'].append(self.cast_data(pose).float())
                out['pose_mask'].append(self.cast_data(valid))
        data_samples = data.get('data_samples')
        if data_samples is not None:
            data_samples = self.cast_data(data_samples)
        return dict(inputs=out, data_samples=data_samples)
