"""Invertible layers of a Glow-type flow (Kingma & Dhariwal, 2018): actnorm, invertible 1x1 convolution
(LU-parametrised), affine coupling and squeeze.

Every layer maps ``x (N, C, H, W) -> (y, logdet (N,))`` in ``forward`` and inverts it exactly (up to float
error) in ``inverse``.
"""
import torch
import torch.nn.functional as F
from torch import nn


def squeeze2d(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """(N, C, H, W) -> (N, C * factor**2, H / factor, W / factor), space-to-depth."""
    if factor == 1:
        return x
    n, c, h, w = x.shape
    x = x.view(n, c, h // factor, factor, w // factor, factor)
    return x.permute(0, 1, 3, 5, 2, 4).reshape(n, c * factor * factor, h // factor, w // factor)


def unsqueeze2d(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Inverse of :func:`squeeze2d`."""
    if factor == 1:
        return x
    n, c, h, w = x.shape
    c_out = c // (factor * factor)
    x = x.view(n, c_out, factor, factor, h, w)
    return x.permute(0, 1, 4, 2, 5, 3).reshape(n, c_out, h * factor, w * factor)


class ActNorm(nn.Module):
    """Per-channel affine y = (x + loc) * exp(logs), initialised from the first training batch so that
    the output has zero mean and unit variance per channel. Untrained and never initialised = identity."""

    def __init__(self, channels: int):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.logs = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.register_buffer('initialized', torch.tensor(0, dtype=torch.uint8))

    @torch.no_grad()
    def _data_init(self, x: torch.Tensor) -> None:
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        std = x.std(dim=(0, 2, 3), keepdim=True)
        self.loc.copy_(-mean)
        self.logs.copy_(-torch.log(std + 1e-6))
        self.initialized.fill_(1)

    def forward(self, x: torch.Tensor):
        if self.training and not self.initialized:
            self._data_init(x)
        y = (x + self.loc) * torch.exp(self.logs)
        logdet = self.logs.sum() * x.shape[2] * x.shape[3]
        return y, logdet.expand(x.shape[0])

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return y * torch.exp(-self.logs) - self.loc


class InvConv1x1(nn.Module):
    """Invertible 1x1 convolution, W = P L (U + diag(sign(s) exp(log|s|))), initialised to a random
    rotation. The LU form makes log|det W| a sum, and keeps W invertible during training."""

    def __init__(self, channels: int):
        super().__init__()
        w = torch.linalg.qr(torch.randn(channels, channels))[0]
        p, lower, upper = torch.linalg.lu(w)
        s = torch.diagonal(upper)
        self.register_buffer('p', p)
        self.register_buffer('sign_s', torch.sign(s))
        self.register_buffer('l_mask', torch.tril(torch.ones(channels, channels), -1))
        self.register_buffer('eye', torch.eye(channels))
        self.lower = nn.Parameter(lower)
        self.log_s = nn.Parameter(torch.log(torch.abs(s)))
        self.upper = nn.Parameter(torch.triu(upper, 1))

    def weight(self) -> torch.Tensor:
        lower = self.lower * self.l_mask + self.eye
        upper = self.upper * self.l_mask.T + torch.diag(self.sign_s * torch.exp(self.log_s))
        return self.p @ lower @ upper

    def forward(self, x: torch.Tensor):
        c = x.shape[1]
        y = F.conv2d(x, self.weight().view(c, c, 1, 1))
        logdet = self.log_s.sum() * x.shape[2] * x.shape[3]
        return y, logdet.expand(x.shape[0])

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        c = y.shape[1]
        # Inverting in float64 keeps encode -> decode at float32 round-off even for deep flows.
        w_inv = torch.linalg.inv(self.weight().double()).to(y.dtype)
        return F.conv2d(y, w_inv.view(c, c, 1, 1))


class AffineCoupling(nn.Module):
    """y_a = x_a; y_b = (x_b + t(x_a)) * sigmoid(s(x_a) + 2).

    The network is conv3x3 - ReLU - conv1x1 - ReLU - conv3x3, its last layer zero-initialised so that an
    untrained coupling is the identity (as in Glow). The sigmoid scale is Glow's stable choice.
    """

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        if channels % 2:
            raise ValueError(f'AffineCoupling needs an even channel count, got {channels}')
        half = channels // 2
        self.net = nn.Sequential(
            nn.Conv2d(half, hidden, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, 1), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, 2 * half, 3, padding=1))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def _scale_shift(self, xa: torch.Tensor):
        h = self.net(xa)
        shift, raw = h[:, 0::2], h[:, 1::2]
        return torch.sigmoid(raw + 2.0), shift

    def forward(self, x: torch.Tensor):
        xa, xb = x.chunk(2, dim=1)
        scale, shift = self._scale_shift(xa)
        yb = (xb + shift) * scale
        logdet = torch.log(scale).flatten(1).sum(1)
        return torch.cat([xa, yb], dim=1), logdet

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        ya, yb = y.chunk(2, dim=1)
        scale, shift = self._scale_shift(ya)
        return torch.cat([ya, yb / scale - shift], dim=1)


class FlowStep(nn.Module):
    """One Glow step: actnorm -> invertible 1x1 conv -> affine coupling."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.layers = nn.ModuleList([ActNorm(channels), InvConv1x1(channels),
                                     AffineCoupling(channels, hidden)])

    def forward(self, x: torch.Tensor):
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        for layer in reversed(self.layers):
            y = layer.inverse(y)
        return y
