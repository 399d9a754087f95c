"""The latent-codec interface MPM is built on.

A codec maps a clip's frames to latents and back, frame by frame:

* ``encode(frames)``: float Tensor (T, 3, H, W) in [0, 1] -> latents (T, C, h, w);
* ``decode(latents)``: (T, C, h, w) -> frames (T, 3, H, W) (not clamped).

MPM zeroes the latent dimensions that do not change over time, so a codec's latents should be centred:
the all-zero latent decodes to a "neutral" image (the prior mode for a flow or a VAE).
"""
import torch
from torch import nn


class BaseLatentCodec(nn.Module):
    """Base class of the MPM latent codecs.

    Attributes:
        size_divisor: H and W given to :meth:`encode` must be multiples of it (the mask generator resizes
            frames to such a size).
    """

    size_divisor = 1

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def check_frames(self, frames: torch.Tensor) -> None:
        """Raise a clear error for frames the codec cannot take."""
        if frames.ndim != 4 or frames.shape[1] != 3:
            raise ValueError(f'{type(self).__name__}.encode expects frames (T, 3, H, W), '
                             f'got shape {tuple(frames.shape)}')
        h, w = frames.shape[-2:]
        if h % self.size_divisor or w % self.size_divisor:
            raise ValueError(f'{type(self).__name__}: frame size {h}x{w} is not a multiple of '
                             f'{self.size_divisor}')
        if not torch.isfinite(frames).all():
            raise ValueError(f'{type(self).__name__}.encode: frames contain NaN or Inf')
