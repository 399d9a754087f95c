"""SignDataPreprocessor: stacks the packed views of a batch, moves them and normalises RGB on device."""
from typing import List, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from cclslr.registry import MODELS
from cclslr.structures import MODALITIES, check_modalities

# One view of one key as collated: a stacked (N, ...) tensor (``default_collate``) or a list of the N
# samples' tensors (``pseudo_collate``).
CollatedView = Union[torch.Tensor, Sequence[torch.Tensor]]


def collated_views(inputs: dict, key: str, owner: str) -> List[CollatedView]:
    """The list over views of ``inputs[key]``, as both MMEngine collate functions leave it; a clear error
    for anything else (e.g. a bare tensor: the packer always writes a list of views)."""
    value = inputs[key]
    if isinstance(value, torch.Tensor) or not isinstance(value, (list, tuple)) or not value:
        raise TypeError(f'{owner}: inputs[{key!r}] must be a non-empty list over views (as PackSignInputs '
                        f'writes it), got {type(value).__name__}; see cclslr/structures/inputs.py')
    return list(value)


@MODELS.register_module()
class SignDataPreprocessor(BaseDataPreprocessor):
    """Batch the output of ``PackSignInputs`` into the model inputs of :mod:`cclslr.structures.inputs`.

    In: ``data['inputs']`` as collated by ``pseudo_collate`` (per key a list over views of a list over
    samples) or ``default_collate`` (per key a list over views of stacked tensors): ``rgb`` uint8
    (3, T, H, W), ``pose`` float (T, J, 3) per sample and view.
    Out: ``{'rgb': [float (N, 3, T, H, W) per view], 'pose': [float (N, T_max, J, 3) per view],
    'pose_mask': [bool (N, T_max) per view]}`` on the preprocessor's device; RGB is ``(x - mean) / std``;
    shorter pose sequences are zero-padded at the end and ``pose_mask`` is False there.

    Args:
        mean, std: per-channel RGB statistics on the 0-255 scale (default: ImageNet's).
        modalities: the modalities to return (a missing one in the batch is an error).
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 modalities: Sequence[str] = MODALITIES, non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)
        self.modalities = check_modalities(modalities, type(self).__name__)
        if len(mean) != 3 or len(std) != 3:
            raise ValueError('SignDataPreprocessor: mean and std need 3 values (RGB, 0-255 scale)')
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1, 1), False)

    @staticmethod
    def _pad_stack(view: CollatedView):
        """(N, T_max, J, 3) pose and its (N, T_max) bool mask of real frames."""
        if isinstance(view, torch.Tensor):
            return view, torch.ones(view.shape[:2], dtype=torch.bool)
        t_max = max(s.shape[0] for s in view)
        pose = torch.stack([F.pad(s, (0, 0, 0, 0, 0, t_max - s.shape[0])) for s in view])
        mask = torch.zeros(len(view), t_max, dtype=torch.bool)
        for i, s in enumerate(view):
            mask[i, :s.shape[0]] = True
        return pose, mask

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        owner = type(self).__name__
        if 'pose_mask' in inputs:
            raise KeyError(f'{owner}: the batch already has a pose_mask; it is made here, from the '
                           'sequence lengths (cclslr/structures/inputs.py), so the packer must not write one')
        out = {}
        for m in self.modalities:
            if m not in inputs:
                raise KeyError(f'{owner}: the batch has no {m!r} input (it has {sorted(inputs)}); check the '
                               "pipeline's PackSignInputs modalities")
        if 'rgb' in self.modalities:
            out['rgb'] = []
            for view in collated_views(inputs, 'rgb', owner):
                x = view if isinstance(view, torch.Tensor) else torch.stack(list(view))
                x = self.cast_data(x).float()
                out['rgb'].append((x - self.mean) / self.std)
        if 'pose' in self.modalities:
            out['pose'], out['pose_mask'] = [], []
            for view in collated_views(inputs, 'pose', owner):
                pose, valid = self._pad_stack(view)
                out['pose'].append(self.cast_data(pose).float())
                out['pose_mask'].append(self.cast_data(valid))
        data_samples = data.get('data_samples')
        if data_samples is not None:
            data_samples = self.cast_data(data_samples)
        return dict(inputs=out, data_samples=data_samples)
