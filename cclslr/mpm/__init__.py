"""Motion-Preserving Masking (docs/method.md section 6): latent codecs, the mask generator, online mode."""
from .codecs import (BaseLatentCodec, DiffusersVAECodec, FrameDiffCodec, GlowCodec, GlowFlow,
                     load_flow_checkpoint)
from .mask_generator import MotionMaskGenerator, otsu_threshold
from .online import build_online_mask_fn, compute_mask

__all__ = ['BaseLatentCodec', 'DiffusersVAECodec', 'FrameDiffCodec', 'GlowCodec', 'GlowFlow',
           'load_flow_checkpoint', 'MotionMaskGenerator', 'otsu_threshold', 'compute_mask',
           'build_online_mask_fn']
