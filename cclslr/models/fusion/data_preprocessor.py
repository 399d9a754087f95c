"""Batching of the hand inputs of score-aware sampling, on top of :class:`SignDataPreprocessor`."""
from typing import Sequence

import torch

from cclslr.registry import MODELS

from cclslr.structures import HAND_KEYS
from ..data_preprocessors.sign_data_preprocessor import SignDataPreprocessor, collated_views



@MODELS.register_module()
class PGFDataPreprocessor(SignDataPreprocessor):
    """:class:`SignDataPreprocessor` that also stacks the hand inputs of ``PackSignInputsWithHands``.

    Out, in addition to the RGB / pose keys (one list entry per view):
    ``hand_crops`` float (N, 2, K, 3, S, S) normalised by ``crop_mean`` / ``crop_std``,
    ``hand_kpts`` float (N, 2, K, 21, 2), ``hand_frame_inds`` long (N, 2, K), ``hand_valid`` bool (N, 2, K).
    All samples of a batch must have the same K (``ScoreAwareHandSampling.max_frames``) and crop size.

    Args:
        crop_mean / crop_std: per-channel statistics of the crops on the 0-255 scale (ImageNet's).
        Other arguments: see :class:`SignDataPreprocessor` (``modalities=('pose',)`` for PGF alone).
    """

    def __init__(self, crop_mean: Sequence[float] = (123.675, 116.28, 103.53),
                 crop_std: Sequence[float] = (58.395, 57.12, 57.375), **kwargs):
        super().__init__(**kwargs)
        self.register_buffer('crop_mean', torch.tensor(crop_mean, dtype=torch.float32).view(1, 1, 1, 3, 1, 1),
                             False)
        self.register_buffer('crop_std', torch.tensor(crop_std, dtype=torch.float32).view(1, 1, 1, 3, 1, 1),
                             False)

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        hands = {k: inputs[k] for k in HAND_KEYS if k in inputs}
        rest = {k: v for k, v in inputs.items() if k not in hands}
        out = super().forward(dict(data, inputs=rest), training)
        if not hands:
            return out
        if len(hands) != len(HAND_KEYS):
            raise KeyError(f'PGFDataPreprocessor: the batch has {sorted(hands)} but not all of '
                           f'{sorted(HAND_KEYS)}')
        for key in hands:
            stacked = []
            for view in collated_views(hands, key, type(self).__name__):
                try:
                    x = view if isinstance(view, torch.Tensor) else torch.stack(list(view))
                except RuntimeError as e:
                    raise ValueError(f'PGFDataPreprocessor: {key} differs in shape across the batch; set '
                                     'ScoreAwareHandSampling.max_frames so every clip has the same K') from e
                x = self.cast_data(x)
                if key == 'hand_crops':
                    x = (x.float() - self.crop_mean) / self.crop_std
                stacked.append(x)
            out['inputs'][key] = stacked
        return out
