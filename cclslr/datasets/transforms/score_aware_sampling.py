"""Uni-Sign's score-aware hand sampling (docs/method.md §10): which frames of a view get RGB hand crops.

Per hand, the frames whose keypoints are least trustworthy are the ones where RGB evidence helps most.
Valid frames have a mean hand score above ``score_thr``; ``ceil(ratio * n_valid)`` of them are drawn
without replacement with probability proportional to ``max(c) - c + eps``, ``c`` being the frame's minimum
fingertip score. A square crop around the hand (the same side for both hands) is cut from each chosen
frame and resized; the hand keypoints are re-expressed inside the crop.

Only the chosen frames are decoded (at most ``2 * max_frames`` per clip), with ``cclslr.fileio.video``.
"""
import math
import zlib
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from cclslr.fileio import decode_frames, open_video, read_pose
from cclslr.registry import TRANSFORMS
from cclslr.structures import HAND_KEYS
from cclslr.structures.keypoint_layout import NUM_WHOLEBODY, WHOLEBODY_GROUPS
from .formatting import PackSignInputs

HANDS = ('left_hand', 'right_hand')
# Fingertips inside the 21-point hand (thumb, index, middle, ring, little).
FINGERTIPS = (4, 8, 12, 16, 20)


def select_hand_frames(hand_scores: np.ndarray, ratio: float = 0.1, score_thr: float = 0.3,
                       eps: float = 1e-5, rng: Optional[np.random.Generator] = None,
                       max_frames: Optional[int] = None) -> np.ndarray:
    """Choose the frames of one hand that get an RGB crop.

    Args:
        hand_scores: (T, 21) keypoint scores of one hand.
        ratio: fraction of the valid frames to choose (rounded up).
        score_thr: a frame is valid when its mean hand score is above this.
        eps: keeps every valid frame drawable (also the most confident one).
        rng: random generator; ``None`` takes the ``k`` least confident frames (ties: earliest first).
        max_frames: cap on the number of chosen frames (for fixed-size batching).

    Returns:
        Sorted int64 array (k,) of frame positions, ``k = min(ceil(ratio * n_valid), max_frames)``;
        empty when no frame is valid.
    """
    hand_scores = np.asarray(hand_scores, dtype=np.float64)
    if hand_scores.ndim != 2 or hand_scores.shape[1] != 21:
        raise ValueError(f'hand scores must be (T, 21), got {hand_scores.shape}')
    if not np.isfinite(hand_scores).all():
        raise ValueError('hand scores contain NaN or inf')
    valid = np.flatnonzero(hand_scores.mean(axis=1) > score_thr)
    k = math.ceil(ratio * len(valid))
    if max_frames is not None:
        k = min(k, max_frames)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    c = hand_scores[valid][:, FINGERTIPS].min(axis=1)
    if rng is None:
        chosen = valid[np.argsort(c, kind='stable')[:k]]
    else:
        p = c.max() - c + eps
        chosen = rng.choice(valid, size=k, replace=False, p=p / p.sum())
    return np.sort(chosen).astype(np.int64)


def hand_boxes(hand_xy: np.ndarray, hand_scores: np.ndarray, point_thr: float = 0.0):
    """Bounding-box centres and largest extent of one hand over some frames.

    Args:
        hand_xy: (k, 21, 2) pixel coordinates.
        hand_scores: (k, 21); points with score <= ``point_thr`` (e.g. zeroed missing points) are ignored,
            unless a frame has no other point.

    Returns:
        centres (k, 2) and the largest side ``max(w, h)`` of the per-frame boxes (a float, 0 if k == 0).
    """
    centres = np.zeros((len(hand_xy), 2), dtype=np.float64)
    extent = 0.0
    for i, (xy, sc) in enumerate(zip(hand_xy, hand_scores)):
        keep = sc > point_thr
        pts = xy[keep] if keep.any() else xy
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        centres[i] = (lo + hi) / 2
        extent = max(extent, float((hi - lo).max()))
    return centres, extent


def crop_square(frame: np.ndarray, centre: Sequence[float], side: float, out_size: int) -> tuple:
    """Cut a square of ``side`` pixels centred at ``centre`` (zero outside the image) and resize it.

    Args:
        frame: (H, W, 3) uint8.

    Returns:
        The (out_size, out_size, 3) uint8 crop and its top-left corner (x0, y0) in frame pixels; the
        integer side actually cut is ``round(side)``.
    """
    s = max(int(round(side)), 1)
    x0 = int(round(centre[0] - s / 2))
    y0 = int(round(centre[1] - s / 2))
    h, w = frame.shape[:2]
    canvas = np.zeros((s, s, frame.shape[2]), dtype=frame.dtype)
    fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + s, w), min(y0 + s, h)
    if fx1 > fx0 and fy1 > fy0:
        canvas[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0] = frame[fy0:fy1, fx0:fx1]
    interp = cv2.INTER_AREA if s > out_size else cv2.INTER_LINEAR
    return cv2.resize(canvas, (out_size, out_size), interpolation=interp), (x0, y0, s)


def _clip_rng(sample_id: str, seed: int) -> np.random.Generator:
    """A generator that depends only on the clip (stable across runs, processes and Python versions)."""
    return np.random.default_rng([zlib.crc32(str(sample_id).encode('utf-8')), seed])


@TRANSFORMS.register_module()
class ScoreAwareHandSampling(BaseTransform):
    """Uni-Sign's score-aware sampling of hand crops for prior-guided fusion (docs/method.md §10).

    Place it after ``LoadPose`` and the temporal sampling (``frame_inds``: the view's frames, relative to
    the clip, whose first frame is the file's ``clip_offset``), before the pose normalisation and any
    horizontal flip (crops are not flipped; Uni-Sign's pipelines do not flip). It reads the raw
    whole-body pose of the clip, ``results[keypoint_key]`` (total_frames, 133, 2) in the unit
    ``keypoints_unit`` ('normalized' 0-1 or 'pixel') and ``results[score_key]`` (total_frames, 133), as
    ``LoadPose`` writes them; without these keys it reads the pose file ``pose_path`` itself
    (``cclslr.fileio.read_pose``, format by extension).

    Frames: per hand, :func:`select_hand_frames` over the view's T frames — random in training,
    deterministic in test mode: the same draw every epoch, seeded by ``sample_id`` (so test clips see the
    same distribution of frames as training, not only the very worst ones). Frames whose ``pose_mask`` is
    False (padding) are never chosen. Only the chosen frames are decoded: from the open
    ``results['video_reader']`` (``DecordInit``) if present, else opened from ``video_path``; or,
    with ``from_decoded_frames=True``, taken from ``results['imgs']`` (then the transform must come right
    after ``DecodeFrames``, before any spatial augmentation).

    Crops: a square of side ``crop_scale`` × the largest extent (max of box width and height) of either
    hand over its chosen frames — the same side for both hands — centred on the hand's box in each
    frame, zero outside the image, resized to ``crop_size``.

    Added keys (hands stacked as (left, right), padded to ``max_frames`` = K):
        ``hand_crops`` uint8 (2, K, crop_size, crop_size, 3) RGB; ``hand_kpts`` float32 (2, K, 21, 2), the
        keypoints in crop coordinates in [0, 1]; ``hand_frame_inds`` int64 (2, K), positions among the
        view's T frames (0 at padding); ``hand_valid`` bool (2, K).

    Args:
        ratio: fraction of a hand's valid frames that get a crop (0.1).
        score_thr: frame validity threshold on the mean hand score (0.3).
        eps: added to every frame's draw weight (1e-5).
        crop_scale: crop side relative to the hand extent (1.2).
        crop_size: output crop side in pixels (112).
        max_frames: K; ``None`` uses ``ceil(ratio * T)``, which is the most a view of T frames can need.
            Set it explicitly when views of one batch can have different T.
        test_mode: deterministic sampling (see above).
        seed: mixed into the per-clip seed of test mode.
        keypoint_key / score_key: result keys of the clip's raw whole-body pose (see above).
        from_decoded_frames: crop from ``results['imgs']`` instead of decoding.
        min_side: smallest crop side in pixels (guards a degenerate single-point hand).
    """

    def __init__(self, ratio: float = 0.1, score_thr: float = 0.3, eps: float = 1e-5,
                 crop_scale: float = 1.2, crop_size: int = 112, max_frames: Optional[int] = None,
                 test_mode: bool = False, seed: int = 0, keypoint_key: str = 'clip_keypoints',
                 score_key: str = 'clip_keypoint_scores', from_decoded_frames: bool = False,
                 min_side: float = 8.0):
        if not 0 < ratio <= 1:
            raise ValueError(f'ScoreAwareHandSampling: ratio must be in (0, 1], got {ratio}')
        self.ratio, self.score_thr, self.eps = ratio, score_thr, eps
        self.crop_scale, self.crop_size, self.max_frames = crop_scale, crop_size, max_frames
        self.test_mode, self.seed = test_mode, seed
        self.keypoint_key, self.score_key = keypoint_key, score_key
        self.from_decoded_frames, self.min_side = from_decoded_frames, min_side

    # ------------------------------------------------------------------ inputs
    def _clip_pose(self, results: Dict) -> tuple:
        """The clip's whole-body keypoints (total_frames, 133, 2), scores, and their unit."""
        if self.keypoint_key in results and self.score_key in results:
            return (np.asarray(results[self.keypoint_key]), np.asarray(results[self.score_key]),
                    results.get('keypoints_unit', 'normalized'))
        path = results.get('pose_path')
        if not path:
            raise KeyError(f'ScoreAwareHandSampling: {results.get("sample_id", "?")} has neither '
                           f'{self.keypoint_key!r}/{self.score_key!r} (LoadPose) nor a pose_path')
        pose = read_pose(path)
        offset = int(results.get('clip_offset', results.get('frame_start', 0)))
        return pose.keypoints[offset:], pose.scores[offset:], pose.unit

    def _view_pose(self, results: Dict) -> tuple:
        """Keypoints (T, 133, 2), scores (T, 133) at the view's frames (scores 0 at padding), unit."""
        if 'frame_inds' not in results:
            raise KeyError('ScoreAwareHandSampling needs frame_inds (place it after the temporal sampling)')
        inds = np.asarray(results['frame_inds']).reshape(-1).astype(np.int64)
        kpts, scores, unit = self._clip_pose(results)
        where = results.get('pose_path') or results.get('video_path', '?')
        if kpts.ndim != 3 or kpts.shape[1:] != (NUM_WHOLEBODY, 2) or scores.shape != kpts.shape[:2]:
            raise ValueError(f'{where}: ScoreAwareHandSampling expects raw whole-body keypoints '
                             f'(T, 133, 2) and scores (T, 133), got {kpts.shape} and {scores.shape}')
        mask = np.ones(len(inds), dtype=bool)
        if 'pose_mask' in results:
            mask = np.asarray(results['pose_mask'], dtype=bool).reshape(-1)
            if len(mask) != len(inds):
                raise ValueError(f'{where}: pose_mask has {len(mask)} frames but frame_inds {len(inds)}')
        if (inds[mask] >= len(kpts)).any() or (inds < 0).any():
            raise ValueError(f'{where}: frame indices up to {inds.max()} but the pose has {len(kpts)} '
                             'frames (pose file and video disagree in length)')
        safe = np.clip(inds, 0, len(kpts) - 1)
        view_kpts, view_scores = kpts[safe].astype(np.float64), scores[safe].astype(np.float64)
        if not np.isfinite(view_kpts[mask]).all() or not np.isfinite(view_scores[mask]).all():
            raise ValueError(f'{where}: NaN/inf keypoints or scores in the sampled frames')
        view_scores[~mask] = 0.0  # padding frames are never valid
        return view_kpts, view_scores, unit

    def _frames(self, results: Dict, positions: np.ndarray) -> Dict[int, np.ndarray]:
        """{view position: (H, W, 3) uint8 RGB} for the given positions only."""
        if self.from_decoded_frames:
            if 'imgs' not in results:
                raise KeyError('ScoreAwareHandSampling(from_decoded_frames=True) needs imgs (DecodeFrames)')
            return {int(p): np.asarray(results['imgs'][int(p)]) for p in positions}
        path = results.get('video_path', '?')
        inds = np.asarray(results['frame_inds']).reshape(-1).astype(np.int64)
        file_inds = inds[positions] + int(results.get('clip_offset', 0))
        unique = sorted(set(int(i) for i in file_inds))
        reader = results.get('video_reader')
        if reader is None:
            reader = open_video(path)
        frames = dict(zip(unique, decode_frames(reader, unique, path)))
        return {int(p): frames[int(f)] for p, f in zip(positions, file_inds)}

    # ------------------------------------------------------------------ transform
    def transform(self, results: Dict) -> Dict:
        kpts, scores, unit = self._view_pose(results)
        t = len(kpts)
        k_max = self.max_frames if self.max_frames is not None else math.ceil(self.ratio * t)
        rng = (_clip_rng(results.get('sample_id', results.get('video_path', '')), self.seed)
               if self.test_mode else np.random.default_rng(np.random.randint(0, 2**31 - 1)))
        hand_idx = {h: np.asarray(WHOLEBODY_GROUPS[h]) for h in HANDS}
        chosen = {h: select_hand_frames(scores[:, hand_idx[h]], self.ratio, self.score_thr, self.eps, rng,
                                        k_max) for h in HANDS}

        s = self.crop_size
        crops = np.zeros((2, k_max, s, s, 3), dtype=np.uint8)
        crop_kpts = np.zeros((2, k_max, 21, 2), dtype=np.float32)
        frame_inds = np.zeros((2, k_max), dtype=np.int64)
        valid = np.zeros((2, k_max), dtype=bool)
        all_chosen = np.concatenate([chosen[h] for h in HANDS])
        if len(all_chosen):
            frames = self._frames(results, np.unique(all_chosen))
            height, width = next(iter(frames.values())).shape[:2]
            size = np.array([width, height] if unit == 'normalized' else [1, 1], dtype=np.float64)
            geometry, side = {}, 0.0
            for h in HANDS:  # one side for both hands: the largest extent of either
                xy = kpts[chosen[h]][:, hand_idx[h]] * size
                centres, extent = hand_boxes(xy, scores[chosen[h]][:, hand_idx[h]])
                geometry[h] = (xy, centres)
                side = max(side, extent)
            side = max(self.crop_scale * side, self.min_side)
            for i, h in enumerate(HANDS):
                xy, centres = geometry[h]
                for j, pos in enumerate(chosen[h]):
                    crops[i, j], (x0, y0, s_int) = crop_square(frames[int(pos)], centres[j], side, s)
                    crop_kpts[i, j] = np.clip((xy[j] - (x0, y0)) / s_int, 0.0, 1.0)
                    frame_inds[i, j] = pos
                    valid[i, j] = True
        results.update(hand_crops=crops, hand_kpts=crop_kpts, hand_frame_inds=frame_inds, hand_valid=valid)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ratio={self.ratio}, score_thr={self.score_thr}, '
                f'crop_scale={self.crop_scale}, crop_size={self.crop_size}, max_frames={self.max_frames}, '
                f'test_mode={self.test_mode})')


@TRANSFORMS.register_module()
class PackSignInputsWithHands(PackSignInputs):
    """:class:`PackSignInputs` plus the hand inputs of :class:`ScoreAwareHandSampling`, per view:

    ``inputs['hand_crops']`` uint8 (2, K, 3, S, S), ``inputs['hand_kpts']`` float32 (2, K, 21, 2),
    ``inputs['hand_frame_inds']`` int64 (2, K), ``inputs['hand_valid']`` bool (2, K) — hands in (left,
    right) order. Batch them with ``PGFDataPreprocessor``.
    """

    def transform(self, results: Dict) -> Dict:
        packed = super().transform(results)
        inputs = packed['inputs']
        for view in results.get('views', [results]):
            missing = [k for k in HAND_KEYS if k not in view]
            if missing:
                raise KeyError(f'{view.get("video_path")}: no {missing} to pack (ScoreAwareHandSampling '
                               'missing from the pipeline?)')
            crops = np.ascontiguousarray(np.asarray(view['hand_crops']).transpose(0, 1, 4, 2, 3))
            inputs.setdefault('hand_crops', []).append(torch.from_numpy(crops))
            inputs.setdefault('hand_kpts', []).append(torch.from_numpy(np.asarray(view['hand_kpts'],
                                                                                  np.float32)))
            inputs.setdefault('hand_frame_inds', []).append(
                torch.from_numpy(np.asarray(view['hand_frame_inds'], np.int64)))
            inputs.setdefault('hand_valid', []).append(torch.from_numpy(np.asarray(view['hand_valid'], bool)))
        return packed
