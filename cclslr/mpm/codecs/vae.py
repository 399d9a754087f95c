"""A diffusers ``AutoencoderKL`` as MPM latent codec (the alternative to the flow, docs/method.md section 6).

The VAE is built from a local ``from_pretrained`` folder (nothing downloads at run time) or from a config
dict (random weights: tests, the quality baseline). Latents are the posterior mode, normalised as in SD3 /
FLUX: ``(z - shift) * scale``, so that they are roughly unit-variance and MPM's threshold p applies.
"""
import os
import os.path as osp

import torch
import torch.nn.functional as F

from cclslr.registry import CODECS

from .base import BaseLatentCodec

#: (scaling_factor, shift_factor) of the 16-channel VAEs.
VAE_PRESETS = {'sd3': (1.5305, 0.0609), 'flux': (0.3611, 0.1159)}

#: The SD3 / FLUX VAE architecture (16 latent channels, x8 downsampling), used when no config is given.
SD3_VAE_CONFIG = dict(
    in_channels=3, out_channels=3, latent_channels=16, layers_per_block=2, norm_num_groups=32,
    block_out_channels=(128, 256, 512, 512), down_block_types=('DownEncoderBlock2D',) * 4,
    up_block_types=('UpDecoderBlock2D',) * 4, use_quant_conv=False, use_post_quant_conv=False)


@CODECS.register_module()
class DiffusersVAECodec(BaseLatentCodec):
    """frames (T, 3, H, W) in [0, 1] <-> latents (T, C_lat, H'/8, W'/8), H', W' = H, W rounded to a
    multiple of 8 (frames are resized when they are not; ``decode`` returns the H' x W' size).

    Args:
        pretrained: a local folder holding ``config.json`` + weights (``AutoencoderKL.save_pretrained``).
        subfolder: e.g. ``'vae'`` for a full pipeline folder.
        vae_cfg: a config dict for ``AutoencoderKL.from_config`` (random weights) when ``pretrained`` is
            None; default :data:`SD3_VAE_CONFIG`.
        preset: ``'sd3'`` or ``'flux'`` (scale / shift of :data:`VAE_PRESETS`), or ``None`` to read them
            from the VAE's config.
        scaling_factor, shift_factor: explicit values, override the preset.
        seed: seed of the random weights when built from a config.
    """

    def __init__(self, pretrained: str = None, subfolder: str = None, vae_cfg: dict = None,
                 preset: str = None, scaling_factor: float = None, shift_factor: float = None,
                 seed: int = 0):
        super().__init__()
        from diffusers import AutoencoderKL
        if pretrained is not None:
            folder = osp.join(pretrained, subfolder) if subfolder else pretrained
            if not osp.isfile(osp.join(folder, 'config.json')):
                raise FileNotFoundError(f'{folder}: no AutoencoderKL config.json there (a local '
                                        'save_pretrained folder is expected; nothing is downloaded)')
            os.environ.setdefault('HF_HUB_OFFLINE', '1')
            self.vae = AutoencoderKL.from_pretrained(pretrained, subfolder=subfolder, local_files_only=True)
        else:
            with torch.random.fork_rng():
                torch.manual_seed(seed)
                self.vae = AutoencoderKL.from_config(dict(vae_cfg or SD3_VAE_CONFIG))
        if preset is not None and preset not in VAE_PRESETS:
            raise KeyError(f'DiffusersVAECodec: unknown preset {preset!r}, choose from {sorted(VAE_PRESETS)}')
        scale, shift = VAE_PRESETS[preset] if preset else (
            self.vae.config.scaling_factor, self.vae.config.shift_factor)
        self.scaling_factor = float(scaling_factor if scaling_factor is not None else scale)
        self.shift_factor = float(shift_factor if shift_factor is not None else (shift or 0.0))
        self.eval()

    def train(self, mode: bool = True):
        return super().train(False)  # inference only

    @torch.no_grad()
    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        self.check_frames(frames)
        h, w = frames.shape[-2:]
        h8, w8 = max(8, round(h / 8) * 8), max(8, round(w / 8) * 8)
        if (h8, w8) != (h, w):
            frames = F.interpolate(frames, size=(h8, w8), mode='bilinear', align_corners=False)
        # The posterior mode (not a sample) keeps masks deterministic.
        z = self.vae.encode(frames * 2 - 1).latent_dist.mode()
        return (z - self.shift_factor) * self.scaling_factor

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        z = latents / self.scaling_factor + self.shift_factor
        return (self.vae.decode(z).sample + 1) / 2
