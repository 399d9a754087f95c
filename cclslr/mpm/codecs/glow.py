"""A multi-scale Glow-type normalizing flow on images, and the MPM codec around it.

The paper uses AdvFlow's ImageNet-pretrained Glow; no such weights can be downloaded here, so
``tools/mpm/train_flow.py`` trains this flow on a dataset's frames and :class:`GlowCodec` loads the
checkpoint it writes. The flow is exactly invertible: ``decode(encode(x)) == x`` up to float error.

Layout (L levels, K steps per level): at each level squeeze (space-to-depth x2), K x (actnorm, invertible
1x1 conv, affine coupling), then split off half of the channels as latents (the last level keeps all).
All latents share one standard-normal prior, so a latent dimension's temporal standard deviation is in
prior units, which is what MPM's threshold p = 0.5 refers to.
"""
import math
import os.path as osp
import pickle
import warnings

import torch
from torch import nn

from cclslr.registry import CODECS
from cclslr.utils.checkpoint import refused_checkpoint_message

from .base import BaseLatentCodec
from .flow_layers import FlowStep, squeeze2d, unsqueeze2d


class GlowFlow(nn.Module):
    """Multi-scale flow x (N, C, H, W) -> latents (N, C * 4**L, H / 2**L, W / 2**L).

    The latents split off at the finer levels are squeezed down to the coarsest resolution and
    concatenated along channels, so the latent of one frame is a single (C * 4**L, h, w) tensor.

    Args:
        in_channels: image channels (3).
        levels: number of scales L (Glow: 3 for 32x32, 6 for 256x256).
        steps: flow steps K per level (Glow: 32).
        hidden: width of the coupling networks (Glow: 512).
    """

    def __init__(self, in_channels: int = 3, levels: int = 3, steps: int = 16, hidden: int = 512):
        super().__init__()
        if levels < 1 or steps < 1:
            raise ValueError(f'GlowFlow needs levels >= 1 and steps >= 1, got {levels}, {steps}')
        self.in_channels, self.levels, self.steps, self.hidden = in_channels, levels, steps, hidden
        self.blocks = nn.ModuleList()
        self.split_channels = []  # channels split off at each level (the last keeps all of them)
        c = in_channels
        for level in range(levels):
            c *= 4
            self.blocks.append(nn.ModuleList([FlowStep(c, hidden) for _ in range(steps)]))
            if level < levels - 1:
                self.split_channels.append(c // 2)
                c = c // 2
            else:
                self.split_channels.append(c)
        self.size_divisor = 2 ** levels

    def config(self) -> dict:
        return dict(in_channels=self.in_channels, levels=self.levels, steps=self.steps, hidden=self.hidden)

    def forward(self, x: torch.Tensor):
        """x (N, C, H, W), centred -> (latents (N, C*4**L, H/2**L, W/2**L), logdet (N,))."""
        logdet = x.new_zeros(x.shape[0])
        zs = []
        for level, block in enumerate(self.blocks):
            x = squeeze2d(x)
            for step in block:
                x, ld = step(x)
                logdet = logdet + ld
            if level < self.levels - 1:
                z, x = x.split([self.split_channels[level], x.shape[1] - self.split_channels[level]], 1)
                zs.append(squeeze2d(z, 2 ** (self.levels - 1 - level)))
            else:
                zs.append(x)
        return torch.cat(zs, dim=1), logdet

    def inverse(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents (N, C*4**L, h, w) -> x (N, C, h*2**L, w*2**L)."""
        sizes = [c * 4 ** (self.levels - 1 - lv) for lv, c in enumerate(self.split_channels)]
        if latents.shape[1] != sum(sizes):
            raise ValueError(f'GlowFlow.inverse expects {sum(sizes)} latent channels, got {latents.shape[1]}')
        zs = latents.split(sizes, dim=1)
        x = None
        for level in reversed(range(self.levels)):
            z = unsqueeze2d(zs[level], 2 ** (self.levels - 1 - level))
            x = z if x is None else torch.cat([z, x], dim=1)
            for step in reversed(self.blocks[level]):
                x = step.inverse(x)
            x = unsqueeze2d(x)
        return x

    def nll_bits_per_dim(self, x: torch.Tensor, n_bins: int) -> torch.Tensor:
        """Mean negative log-likelihood in bits/dim of dequantised, centred images x (N, C, H, W)."""
        z, logdet = self(x)
        dims = x[0].numel()
        log_pz = -0.5 * (z ** 2 + math.log(2 * math.pi)).flatten(1).sum(1)
        log_px = log_pz + logdet - dims * math.log(n_bins)
        return (-log_px / (dims * math.log(2))).mean()


def load_flow_checkpoint(path: str) -> dict:
    """Read a checkpoint written by ``tools/mpm/train_flow.py`` as plain tensors and containers.

    Returns:
        ``{'flow_cfg': dict, 'state_dict': dict, 'n_bits': int, ...}``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: flow checkpoint not found (train one with tools/mpm/train_flow.py)')
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as e:  # a pickle naming code: refused, and said so
        raise RuntimeError(refused_checkpoint_message(path, e)) from None
    except Exception as e:
        raise RuntimeError(f'{path}: not a readable flow checkpoint ({type(e).__name__}: {e})') from e
    if not isinstance(ckpt, dict) or 'flow_cfg' not in ckpt or 'state_dict' not in ckpt:
        raise RuntimeError(f'{path}: not a flow checkpoint of tools/mpm/train_flow.py '
                           '(expects keys "flow_cfg" and "state_dict")')
    return ckpt


@CODECS.register_module()
class GlowCodec(BaseLatentCodec):
    """MPM codec around :class:`GlowFlow`: frames (T, 3, H, W) in [0, 1] <-> latents.

    For L levels the latents are (T, 3 * 4**L, H / 2**L, W / 2**L), e.g. (T, 192, 14, 14) for 112x112
    frames and L = 3.

    Args:
        levels, steps, hidden: flow size (``None`` = the Glow-like defaults: 3 levels x 16 steps, width
            512). With a ``checkpoint``, its own sizes are used (a warning if they differ from given ones).
        checkpoint: a ``.pth`` written by ``tools/mpm/train_flow.py``. ``None`` = an untrained flow (its
            couplings are the identity, its 1x1 convs random rotations), seeded with ``seed``.
        seed: seed of the untrained flow's random rotations, so that two processes build the same codec.
    """

    def __init__(self, levels: int = None, steps: int = None, hidden: int = None, checkpoint: str = None,
                 seed: int = 0):
        super().__init__()
        given = dict(levels=levels, steps=steps, hidden=hidden)
        flow_cfg = dict(in_channels=3, levels=3, steps=16, hidden=512)
        flow_cfg.update({k: v for k, v in given.items() if v is not None})
        ckpt = None
        if checkpoint is not None:
            ckpt = load_flow_checkpoint(checkpoint)
            clash = {k: v for k, v in given.items() if v is not None and ckpt['flow_cfg'].get(k) != v}
            if clash:
                warnings.warn(f'GlowCodec: {checkpoint} holds a flow of size {ckpt["flow_cfg"]}, '
                              f'not {clash}; using the checkpoint\'s size')
            flow_cfg = dict(ckpt['flow_cfg'])
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.flow = GlowFlow(**flow_cfg)
        if ckpt is not None:
            try:
                self.flow.load_state_dict(ckpt['state_dict'])
            except RuntimeError as e:
                raise RuntimeError(f'{checkpoint}: weights do not match the flow size {flow_cfg}: {e}') from e
        self.size_divisor = self.flow.size_divisor
        self.eval()

    def train(self, mode: bool = True):
        # The codec only runs inference; training mode would re-initialise unset actnorms from data.
        return super().train(False)

    @torch.no_grad()
    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        self.check_frames(frames)
        return self.flow(frames - 0.5)[0]

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        return self.flow.inverse(latents) + 0.5
