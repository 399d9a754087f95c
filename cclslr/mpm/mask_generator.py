"""Motion-preserving masks from a latent codec (docs/method.md section 6).

Per clip: encode every frame (batched), measure each latent dimension's standard deviation over time,
zero the static dimensions (sigma < p, or all but the top ``keep_ratio``), decode -> a "motion-preserving"
video, turn it into a gray map and binarise it (Otsu over the whole clip by default) -> mask (T, h, w).
Everything is deterministic: the same frames give the same mask, bit for bit.
"""
from typing import Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from cclslr.registry import CODECS

from .codecs.base import BaseLatentCodec

_LUMA = (0.299, 0.587, 0.114)


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of a 1-D float array (maximises the between-class variance of a histogram)."""
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return hi
    hist, edges = np.histogram(values, bins=bins, range=(lo, hi))
    hist = hist.astype(np.float64)
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centers)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = (w0 * w1 * (mu0 - mu1) ** 2)[:-1]
    # Every cut inside an empty gap between the classes scores the same: take the middle of that plateau.
    best = np.flatnonzero(between >= between.max() * (1 - 1e-9))
    return float(edges[int(best[len(best) // 2]) + 1])


def frames_to_tensor(frames, size) -> torch.Tensor:
    """uint8 (T, H, W, 3) RGB array / float (T, 3, H, W) tensor in [0, 1] -> float (T, 3, *size)."""
    if isinstance(frames, np.ndarray):
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(f'frames must be uint8 (T, H, W, 3), got shape {frames.shape}')
        frames = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255
    elif frames.ndim != 4 or frames.shape[1] != 3:
        raise ValueError(f'frames must be a float tensor (T, 3, H, W), got shape {tuple(frames.shape)}')
    frames = frames.float()
    if size is not None and tuple(frames.shape[-2:]) != tuple(size):
        frames = F.interpolate(frames, size=tuple(size), mode='bilinear', align_corners=False,
                               antialias=True).clamp_(0, 1)
    return frames


def _finite(x: torch.Tensor) -> torch.Tensor:
    # A zeroed latent is off the data manifold: a flow's inverse couplings may overflow there. Pixels
    # far outside [0, 1] carry no more information, so clip them (NaN -> mid-gray).
    return torch.nan_to_num(x, nan=0.5, posinf=2.0, neginf=-1.0).clamp_(-1.0, 2.0)


class MotionMaskGenerator:
    """Computes MPM masks for whole clips.

    Args:
        codec: a :class:`BaseLatentCodec` or its config dict (built from ``cclslr.registry.CODECS``).
        size: (h, w) working resolution: frames are resized to it, masks come out at it. Must suit the
            codec (a multiple of 8 for a 3-level flow or a VAE). ``None`` keeps the frames' size.
        threshold: p; keep the latent dimensions with temporal std >= p (paper: 0.5).
        keep_ratio: if set, keep this fraction of the dimensions with the largest std instead of ``p``.
        rank_by: ``'element'`` ranks every latent dimension (channel x position, the paper's d_z);
            ``'channel'`` ranks whole channels by their std averaged over positions.
        map_mode: ``'deviation'`` (our default): the gray map is |X_hat - h^-1(0)| averaged over RGB, i.e.
            how far the motion-preserving frame is from the decode of an all-static clip, so that dark
            and bright moving parts both count; ``'temporal'``: |X_hat_t - median_t X_hat|, how far each
            motion-preserving frame is from the clip's median one (follows the moving parts frame by frame
            instead of marking their whole path); ``'intensity'``: the luma of X_hat (the paper's literal
            "gray-scale it").
        binarize: ``'otsu'`` (one threshold per clip) or a float threshold on the map.
        morph_kernel: odd size of a morphological opening + closing per frame (0 = off).
        batch_size: frames per codec call.
    """

    def __init__(self, codec: Union[BaseLatentCodec, dict], size=(112, 112), threshold: float = 0.5,
                 keep_ratio: float = None, rank_by: str = 'element', map_mode: str = 'deviation',
                 binarize: Union[str, float] = 'otsu', morph_kernel: int = 3, batch_size: int = 16):
        self.codec = CODECS.build(codec) if isinstance(codec, dict) else codec
        if not isinstance(self.codec, BaseLatentCodec):
            raise TypeError(f'codec must be a BaseLatentCodec or its config, got {type(self.codec).__name__}')
        if rank_by not in ('element', 'channel'):
            raise ValueError(f"rank_by must be 'element' or 'channel', got {rank_by!r}")
        if map_mode not in ('deviation', 'temporal', 'intensity'):
            raise ValueError(f"map_mode must be 'deviation', 'temporal' or 'intensity', got {map_mode!r}")
        if not (binarize == 'otsu' or isinstance(binarize, (int, float))):
            raise ValueError(f"binarize must be 'otsu' or a float threshold, got {binarize!r}")
        if keep_ratio is not None and not 0 < keep_ratio <= 1:
            raise ValueError(f'keep_ratio must be in (0, 1], got {keep_ratio}')
        if size is not None and (size[0] % self.codec.size_divisor or size[1] % self.codec.size_divisor):
            raise ValueError(f'size {tuple(size)} is not a multiple of the codec\'s '
                             f'{self.codec.size_divisor}')
        self.size = None if size is None else tuple(size)
        self.threshold, self.keep_ratio, self.rank_by = threshold, keep_ratio, rank_by
        self.map_mode, self.binarize, self.morph_kernel = map_mode, binarize, morph_kernel
        self.batch_size = batch_size

    def _batched(self, fn, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([fn(x[i:i + self.batch_size]) for i in range(0, x.shape[0], self.batch_size)])

    def keep_dims(self, latents: torch.Tensor) -> torch.Tensor:
        """latents (T, C, h, w) -> bool (C, h, w): the dynamic dimensions that MPM keeps."""
        sigma = latents.std(dim=0, unbiased=False)
        if self.rank_by == 'channel':
            sigma = sigma.mean(dim=(1, 2), keepdim=True).expand_as(sigma)
        if self.keep_ratio is None:
            return sigma >= self.threshold
        k = max(1, int(round(self.keep_ratio * sigma.numel())))
        # A stable sort makes ties (e.g. whole channels) break the same way every time.
        order = torch.argsort(sigma.flatten(), descending=True, stable=True)
        keep = torch.zeros(sigma.numel(), dtype=torch.bool)
        keep[order[:k]] = True
        return keep.view_as(sigma)

    @torch.no_grad()
    def run(self, frames) -> dict:
        """Full pipeline, with intermediates for visualisation.

        Args:
            frames: uint8 (T, H, W, 3) RGB array or float (T, 3, H, W) tensor in [0, 1].

        Returns:
            dict with ``frames`` (T, 3, h, w) resized input, ``motion_frames`` (T, 3, h, w) the decoded
            motion-preserving video, ``motion_map`` float (T, h, w), ``mask`` bool np.ndarray (T, h, w),
            ``kept_fraction`` (share of latent dimensions kept).
        """
        x = frames_to_tensor(frames, self.size)
        t = x.shape[0]
        z = self._batched(self.codec.encode, x)
        keep = self.keep_dims(z) if t > 1 else torch.zeros(z.shape[1:], dtype=torch.bool)
        x_hat = _finite(self._batched(self.codec.decode, z * keep))
        if tuple(x_hat.shape[-2:]) != tuple(x.shape[-2:]):  # a VAE rounds odd sizes to multiples of 8
            x_hat = F.interpolate(x_hat, size=x.shape[-2:], mode='bilinear', align_corners=False)
        if self.map_mode == 'deviation':
            ref = _finite(self.codec.decode(torch.zeros_like(z[:1])))
            if tuple(ref.shape[-2:]) != tuple(x.shape[-2:]):
                ref = F.interpolate(ref, size=x.shape[-2:], mode='bilinear', align_corners=False)
            motion_map = (x_hat - ref).abs().mean(dim=1)
        elif self.map_mode == 'temporal':
            motion_map = (x_hat - x_hat.median(dim=0, keepdim=True).values).abs().mean(dim=1)
        else:
            luma = torch.tensor(_LUMA, dtype=x_hat.dtype).view(1, 3, 1, 1)
            motion_map = (x_hat.clamp(0, 1) * luma).sum(dim=1)
        mask = self.binarize_map(motion_map.numpy()) if keep.any() else None
        if mask is None:
            # No dynamic dimension (a still clip, or a single frame): nothing to preserve, keep the clip.
            mask = np.ones(motion_map.shape, dtype=bool)
        return dict(frames=x, motion_frames=x_hat, motion_map=motion_map, mask=mask,
                    kept_fraction=float(keep.float().mean()))

    def binarize_map(self, motion_map: np.ndarray) -> np.ndarray:
        """float (T, h, w) -> bool (T, h, w): threshold, then the optional opening + closing."""
        thr = otsu_threshold(motion_map.ravel()) if self.binarize == 'otsu' else float(self.binarize)
        if motion_map.max() <= motion_map.min():
            return np.ones(motion_map.shape, dtype=bool)
        mask = motion_map > thr
        if self.morph_kernel and self.morph_kernel > 1:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (self.morph_kernel, self.morph_kernel))
            m8 = mask.astype(np.uint8)
            for i in range(m8.shape[0]):
                m8[i] = cv2.morphologyEx(m8[i], cv2.MORPH_OPEN, kernel)
                m8[i] = cv2.morphologyEx(m8[i], cv2.MORPH_CLOSE, kernel)
            mask = m8.astype(bool)
        return mask

    def __call__(self, frames) -> np.ndarray:
        """frames (see :meth:`run`) -> bool mask (T, h, w) at the working size (1 = keep the pixel)."""
        return self.run(frames)['mask']
