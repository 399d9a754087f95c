"""The base of cclslr's models: MMEngine's forward dispatch and the per-modality encoding of the inputs."""
from abc import abstractmethod
from typing import List, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from cclslr.structures import SignDataSample


class BaseSignModel(BaseModel):
    """Owns ``forward``'s dispatch on ``mode`` and reads one view of one modality from the inputs of
    :mod:`cclslr.structures.inputs`; subclasses write :meth:`loss`, :meth:`predict` and :meth:`_forward`.
    """

    def forward(self, inputs: dict, data_samples: Optional[List[SignDataSample]] = None,
                mode: str = 'tensor'):
        """``'loss'`` -> dict of losses; ``'predict'`` -> data samples; ``'tensor'`` -> a dict of tensors."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise ValueError(f"{type(self).__name__}: invalid mode {mode!r}; use 'loss', 'predict' or 'tensor'")

    @abstractmethod
    def loss(self, inputs: dict, data_samples: Optional[List[SignDataSample]] = None) -> dict:
        """The losses of one training step."""

    @abstractmethod
    def predict(self, inputs: dict, data_samples: Optional[List[SignDataSample]] = None
                ) -> List[SignDataSample]:
        """Data samples carrying the predictions."""

    @abstractmethod
    def _forward(self, inputs: dict, data_samples: Optional[List[SignDataSample]] = None) -> dict:
        """Raw network outputs."""

    def encode_view(self, encoder: nn.Module, modality: str, inputs: dict, view: int = 0,
                    **kwargs) -> torch.Tensor:
        """``encoder`` on view ``view`` of ``modality``: RGB ``(N, 3, T, H, W) -> (N, D)``; pose
        ``(N, T, J, 3)`` with its ``pose_mask`` ``(N, T)`` ``-> (N, D)``. ``kwargs`` go to the encoder."""
        keys = ('pose', 'pose_mask') if modality == 'pose' else (modality,)
        missing = [k for k in keys if k not in inputs]
        if missing:
            raise KeyError(f'{type(self).__name__}: inputs lack {", ".join(map(repr, missing))} (have '
                           f"{sorted(inputs)}); check the pipeline's PackSignInputs modalities and the data "
                           'preprocessor')
        views = [inputs[k] for k in keys]
        for key, value in zip(keys, views):
            if not isinstance(value, (list, tuple)):
                raise TypeError(f'{type(self).__name__}: inputs[{key!r}] must be a list over views '
                                f'(cclslr/structures/inputs.py), got {type(value).__name__}')
            if len(value) <= view:
                raise ValueError(f'{type(self).__name__}: view {view} of {key!r} requested but the inputs '
                                 f'hold {len(value)} view(s)')
        return encoder(*(v[view] for v in views), **kwargs)
