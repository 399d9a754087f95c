from .base import BaseLatentCodec
from .frame_diff import FrameDiffCodec
from .glow import GlowCodec, GlowFlow, load_flow_checkpoint
from .vae import SD3_VAE_CONFIG, VAE_PRESETS, DiffusersVAECodec

__all__ = ['BaseLatentCodec', 'FrameDiffCodec', 'GlowCodec', 'GlowFlow', 'load_flow_checkpoint',
           'DiffusersVAECodec', 'VAE_PRESETS', 'SD3_VAE_CONFIG']
