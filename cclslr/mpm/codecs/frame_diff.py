"""Codec-free baseline: pixels are their own latents.

With this codec, MPM's ranking of latent dimensions by temporal standard deviation keeps the pixels that
change over the clip and zeroes the rest, i.e. the classic frame-difference / background-subtraction
baseline. Latents are centred pixels (x - 0.5), so the all-zero latent decodes to mid-gray.
"""
import torch

from cclslr.registry import CODECS

from .base import BaseLatentCodec


@CODECS.register_module()
class FrameDiffCodec(BaseLatentCodec):
    """Identity codec: ``encode`` (T, 3, H, W) -> (T, 3, H, W) = frames - 0.5; ``decode`` adds 0.5."""

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        self.check_frames(frames)
        return frames - 0.5

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        return latents + 0.5
