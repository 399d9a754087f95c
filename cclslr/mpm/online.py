"""Online MPM: compute a clip's mask inside the data pipeline when the cache has none.

Slow (one codec pass over all frames per clip): the ``MotionMask`` transform calls it only when asked to,
for clips without a cached mask. The generator is built once per process (per distinct config) and kept.
"""
import warnings

import cv2
import numpy as np
import torch

from .mask_generator import MotionMaskGenerator

_GENERATORS = {}
_WARNED = False


def _generator(codec_cfg: dict, generator_cfg: dict) -> MotionMaskGenerator:
    key = repr((sorted(codec_cfg.items()), sorted((generator_cfg or {}).items())))
    if key not in _GENERATORS:
        _GENERATORS[key] = MotionMaskGenerator(dict(codec_cfg), **(generator_cfg or {}))
    return _GENERATORS[key]


def compute_mask(video_frames_uint8: np.ndarray, codec_cfg: dict, generator_cfg: dict = None) -> np.ndarray:
    """Mask of a clip, at the frames' own size.

    Args:
        video_frames_uint8: uint8 (T, H, W, 3) RGB frames (the clip to mask).
        codec_cfg: codec config, e.g. ``dict(type='GlowCodec', checkpoint='work_dirs/flow/latest.pth')``.
        generator_cfg: keyword arguments of :class:`MotionMaskGenerator` (``size``, ``threshold``, ...).

    Returns:
        bool (T, H, W), 1 = keep the pixel.
    """
    global _WARNED
    if not _WARNED:
        warnings.warn('MPM online mode: computing motion masks inside the data pipeline is slow (a codec '
                      'pass per clip); precompute them with tools/mpm/generate_masks.py.')
        _WARNED = True
    frames = np.asarray(video_frames_uint8)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f'compute_mask expects uint8 (T, H, W, 3) frames, got {frames.dtype} {frames.shape}')
    with torch.no_grad():
        mask = _generator(codec_cfg, generator_cfg)(frames)
    h, w = frames.shape[1:3]
    if mask.shape[1:] == (h, w):
        return mask
    return np.stack([cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
                     for m in mask]).astype(bool)


#: Environment variable naming the flow checkpoint that :func:`build_online_mask_fn` uses by default.
FLOW_ENV = 'CCLSLR_MPM_FLOW_CHECKPOINT'


def build_online_mask_fn(codec_cfg: dict = None, generator_cfg: dict = None):
    """The ``mask_fn(frames uint8 (T, H, W, 3), results) -> bool (T, H, W)`` of ``MotionMask``'s
    ``on_missing='online'``.

    Args:
        codec_cfg: codec config. Default: ``GlowCodec`` with the checkpoint named by the environment
            variable ``CCLSLR_MPM_FLOW_CHECKPOINT``; without it, the frame-difference codec (with a warning).
        generator_cfg: :class:`MotionMaskGenerator` keyword arguments. Default: ``size=(112, 112)`` and
            ``threshold=0.5`` for the flow, ``threshold=0.1`` for frame difference (pixel units).
    """
    import os
    if codec_cfg is None:
        ckpt = os.environ.get(FLOW_ENV)
        if ckpt:
            codec_cfg, default_gen = dict(type='GlowCodec', checkpoint=ckpt), dict(size=(112, 112))
        else:
            warnings.warn(f'MPM online mode: {FLOW_ENV} is not set, masks come from the frame-difference '
                          'codec; set it to a flow trained with tools/mpm/train_flow.py')
            codec_cfg, default_gen = dict(type='FrameDiffCodec'), dict(size=(112, 112), threshold=0.1)
        generator_cfg = generator_cfg if generator_cfg is not None else default_gen

    def mask_fn(frames: np.ndarray, results: dict = None) -> np.ndarray:
        return compute_mask(frames, codec_cfg, generator_cfg)

    return mask_fn
