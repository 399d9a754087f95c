"""MotionMask: Motion-Preserving Masking (docs/method.md §6) applied from the mask cache."""
from typing import Callable, Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from cclslr.fileio import load_mask
from cclslr.registry import TRANSFORMS
from cclslr.structures import SharedFrames

ON_MISSING = ('pass', 'error', 'online')


@TRANSFORMS.register_module()
class MotionMask(BaseTransform):
    """Multiply a view's RGB frames by the clip's motion mask with probability ``prob`` (alpha = 0.2).

    The mask (cclslr/fileio/mask_cache.py, key = ``sample_id``) indexes the video file's frames, so the
    view reads ``mask[clip_offset + frame_inds]``, resized (nearest) to the decoded frame size. Put it
    right after ``DecodeFrames``, before any crop/flip: the geometric transforms then act on the masked
    frames. With ``keep_mask=True`` the mask also stays in ``results['motion_mask']`` and is cropped and
    flipped with the frames by the geometric transforms. Frames shared by the views
    (:class:`~cclslr.structures.SharedFrames`) carry the mask lazily: it multiplies the
    cropped region only, with the same result as masking the full frames first.

    Args:
        cache_root: folder of the mask cache.
        prob: per-view probability of masking.
        on_missing: no mask for the clip -> 'pass' (frames unchanged, counted in :attr:`num_missing`),
            'error', or 'online' (compute it with ``mask_fn``).
        mask_fn: for 'online': ``mask_fn(frames uint8 (T, H, W, 3), results) -> bool (T, H, W)``. If
            None, ``cclslr.mpm.build_online_mask_fn()`` is imported lazily (the MPM package provides it).
        keep_mask: keep the applied mask in the results.
        online_cfg: for 'online' without ``mask_fn``: ``dict(codec_cfg=..., generator_cfg=...)`` passed to
            ``cclslr.mpm.build_online_mask_fn``, e.g.
            ``dict(codec_cfg=dict(type='GlowCodec', checkpoint='work_dirs/flow/flow.pth'))``.
    """

    def __init__(self, cache_root: str = '', prob: float = 0.2, on_missing: str = 'pass',
                 mask_fn: Optional[Callable] = None, keep_mask: bool = False,
                 online_cfg: Optional[dict] = None):
        if on_missing not in ON_MISSING:
            raise ValueError(f'MotionMask: on_missing must be one of {ON_MISSING}, got {on_missing!r}')
        self.cache_root, self.prob, self.on_missing = cache_root, prob, on_missing
        self.mask_fn, self.keep_mask = mask_fn, keep_mask
        unknown = set(online_cfg or {}) - {'codec_cfg', 'generator_cfg'}
        if unknown:
            raise KeyError(f'MotionMask: online_cfg takes codec_cfg and generator_cfg, got {sorted(unknown)}')
        self.online_cfg = dict(online_cfg or {})
        self.num_missing = 0  # clips without a cached mask (per process)

    def _online_fn(self) -> Callable:
        if self.mask_fn is None:
            try:
                from cclslr.mpm import build_online_mask_fn
            except ImportError as e:
                raise ImportError("MotionMask(on_missing='online') needs mask_fn= or "
                                  'cclslr.mpm.build_online_mask_fn') from e
            self.mask_fn = build_online_mask_fn(**self.online_cfg)
        return self.mask_fn

    def transform(self, results: dict) -> dict:
        return self.transform_views([results])[0]

    def transform_views(self, views: list) -> list:
        apply = [np.random.rand() < self.prob for _ in views]
        for v in views:
            v['motion_masked'] = False
        if not any(apply):
            return views
        sample_id = views[0]['sample_id']
        mask = load_mask(self.cache_root, sample_id)  # read once for all views
        if mask is None:
            if self.on_missing == 'error':
                raise FileNotFoundError(f'{self.cache_root}: no motion mask for sample {sample_id!r}')
            if self.on_missing == 'pass':
                self.num_missing += 1
                if self.num_missing == 1:
                    MMLogger.get_current_instance().warning(
                        f'MotionMask: no mask for {sample_id!r} in {self.cache_root!r}; such clips pass '
                        'unmasked (counted in num_missing)')
                return views
        for v, do in zip(views, apply):
            if not do:
                continue
            if mask is None:
                m = np.asarray(self._online_fn()(np.asarray(v['imgs']), v), dtype=bool)
            else:
                inds = np.asarray(v['frame_inds']) + v.get('clip_offset', 0) + _prepared_offset(v, mask)
                if inds.max() >= len(mask):
                    raise ValueError(f'{self.cache_root}: mask of {sample_id!r} has {len(mask)} frames, '
                                     f'the view needs frame {int(inds.max())}')
                m = mask[inds]
            h, w = v['imgs'].shape[1:3]
            lazy = isinstance(v['imgs'], SharedFrames) and not self.keep_mask
            if m.shape[1:] != (h, w) and not lazy:  # SharedFrames resizes it frame by frame as it crops
                m = np.stack([cv2.resize(f.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
                              for f in m]).astype(bool)
            if isinstance(v['imgs'], SharedFrames):  # applied lazily, when the view is cropped
                v['imgs'] = v['imgs'].with_mask(m)
            else:
                v['imgs'] = v['imgs'] * m[..., None].astype(np.uint8)
            v['motion_masked'] = True
            if self.keep_mask:
                v['motion_mask'] = m
        return views


def _prepared_offset(results: dict, mask: np.ndarray) -> int:
    """Where the view reads a prepared video (cclslr/datasets/prepared.py) whose cut is shorter than the
    original: the cut's first source frame for a mask made from the original video (it has the original's
    length), else 0. A cut of the whole original reads the same frames either way; a cropped one needs
    masks made from the prepared files (docs/prepare_videos.md)."""
    total = results.get('pose_source_frames')
    if total is None or len(mask) != total or results['video_num_frames'] == total:
        return 0
    geom = results['prepared_geometry']
    if list(geom['crop_box']) != [0, 0] + list(geom['source_size']):
        raise ValueError(f'motion mask of {results["sample_id"]!r} was made from the original video, whose '
                         'frames the prepared file crops: make the mask cache from the prepared files')
    return results['source_frame_offset']
