"""MediaPipe Holistic landmarks, format name ``'mediapipe'``, extensions ``.npz`` / ``.npy``.

Holistic gives four parts: ``pose`` (33 points), ``face`` (468), ``left_hand`` and ``right_hand`` (21 each),
each point x, y in 0-1 of the frame, z, and for the pose a visibility. People save them in several
layouts (:data:`LAYOUTS`); the reader identifies the unambiguous ones from the array shape and asks for
``layout=`` otherwise (docs/datasets.md, "Pose file formats"):

- an ``.npz`` of the parts (keys ``pose``, ``face``, ``left_hand``, ``right_hand``; any subset), with
  optional scalars ``width``, ``height`` (the frame size in pixels) and ``fps``;
- one array, in an ``.npy`` or as the only array of an ``.npz``: (T, 543, C) in the Kaggle order (face,
  left hand, pose, right hand; checked, see :func:`check_543_order`), (T, 75, C) pose + hands, (T, 42, C)
  hands, or their flat (T, points * C) forms, C = 2, 3 or 4 (x, y[, z][, visibility]).

NaN = not detected; with ``zero_as_missing`` (default) a point whose coordinates are all exactly 0 (how
many scripts store "not detected") is missing too. The 133 COCO-WholeBody points correspond only partly
to MediaPipe's (:data:`MEDIAPIPE_APPROXIMATE`); points without a source get score 0. Coordinates stay
normalised to the frame. Files are read with ``np.load(allow_pickle=False)``.
"""
import warnings
from typing import Dict, Optional, Tuple

import numpy as np

from cclslr.structures.keypoint_layout import NUM_WHOLEBODY
from ..pose_files import PoseData, checked_fps, checked_image_size, register_pose_reader

# COCO body (0-16) and feet (17-22) <- MediaPipe Pose (33 points). Body points are the same anatomical
# landmarks; feet are approximate (MediaPipe has no small toe: those two points stay missing).
_MP_POSE_TO_WB = {0: 0, 1: 2, 2: 5, 3: 7, 4: 8, 5: 11, 6: 12, 7: 13, 8: 14, 9: 15, 10: 16, 11: 23, 12: 24,
                  13: 25, 14: 26, 15: 27, 16: 28, 17: 31, 19: 29, 20: 32, 22: 30}
# The 68 iBUG face points (COCO-WholeBody 23-90) <- nearest MediaPipe face-mesh vertices (approximate).
_MP_FACE_68 = [162, 234, 93, 58, 172, 136, 149, 148, 152, 377, 378, 365, 397, 288, 323, 454, 389,
               71, 63, 105, 66, 107, 336, 296, 334, 293, 301,
               168, 197, 5, 4, 75, 97, 2, 326, 305,
               33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
               61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
               78, 82, 13, 312, 308, 317, 14, 87]
# Part -> (COCO-WholeBody indices, indices in the part): how each MediaPipe part fills the 133 points.
MEDIAPIPE_TO_WHOLEBODY = {
    'pose': (list(_MP_POSE_TO_WB), list(_MP_POSE_TO_WB.values())),
    'face': (list(range(23, 91)), _MP_FACE_68),
    'left_hand': (list(range(91, 112)), list(range(21))),
    'right_hand': (list(range(112, 133)), list(range(21))),
}
# Which of the 133 points are only approximations when converted from MediaPipe (docs/datasets.md).
MEDIAPIPE_APPROXIMATE = sorted([17, 19, 20, 22] + list(range(23, 91)))
MEDIAPIPE_MISSING = [18, 21]

PART_SIZES = {'pose': 33, 'face': 468, 'left_hand': 21, 'right_hand': 21}
META_KEYS = ('width', 'height', 'fps')
# Layout name -> the parts in array order. A flat (T, N) array needs the coordinate suffix
# (``'pose_hands_xyzv'``); a (T, P, C) array may give it (it must then agree with C).
LAYOUTS = {
    'kaggle_543': ('face', 'left_hand', 'pose', 'right_hand'),    # Kaggle GISLR / ISLR order
    'holistic_543': ('pose', 'face', 'left_hand', 'right_hand'),  # pose-format / Holistic result order
    'pose_hands': ('pose', 'left_hand', 'right_hand'),            # 75 points
    'hands': ('left_hand', 'right_hand'),                         # 42 points
}
COORDS = {'xy': 2, 'xyz': 3, 'xyzv': 4}
# The common "keypoints as one vector" layout of MediaPipe tutorials: pose x, y, z, visibility, then
# face, left hand, right hand x, y, z (33*4 + 468*3 + 2*21*3 = 1662 values per frame). Flat only.
_LAYOUT_1662 = 'pose_face_hands_1662'
_PARTS_1662 = (('pose', 4), ('face', 3), ('left_hand', 3), ('right_hand', 3))
# Flat widths read without ``layout=``: 4 values per point only make sense as x, y, z, visibility, and
# 225 / 1662 match no other common landmark set. Others are ambiguous (docs/datasets.md): 126 is two
# hands x, y, z but also 63 points x, y; 150 is 75 points x, y but also 50 x, y, z, ...
AUTO_FLAT = {300: 'pose_hands_xyzv', 225: 'pose_hands_xyz', 1662: _LAYOUT_1662}
# A warning names the file when more than this fraction of its present points are exactly (0, 0[, 0]).
ZERO_WARN_FRACTION = 0.5


def layout_names() -> Tuple[str, ...]:
    """Every accepted ``layout=`` value."""
    return tuple(f'{b}_{c}' for b in LAYOUTS for c in COORDS) + tuple(LAYOUTS) + (_LAYOUT_1662,)


def _known() -> str:
    return (f"known layouts: {', '.join(LAYOUTS)} (+ _xy / _xyz / _xyzv for flat (T, N) arrays), "
            f"{_LAYOUT_1662}")


def _parse_layout(layout: str) -> Tuple[str, Optional[int]]:
    """'pose_hands_xyzv' -> ('pose_hands', 4); 'pose_hands' -> ('pose_hands', None)."""
    if layout == _LAYOUT_1662 or layout in LAYOUTS:
        return layout, None
    base, _, coords = layout.rpartition('_')
    if base in LAYOUTS and coords in COORDS:
        return base, COORDS[coords]
    raise ValueError(f'unknown MediaPipe layout {layout!r}; {_known()}')


def _split(arr: np.ndarray, base: str, c: Optional[int]) -> Dict[str, np.ndarray]:
    """Cut (T, P, C) or flat (T, N) ``arr`` into parts (T, n, C_part) by the named layout."""
    if base == _LAYOUT_1662:
        if arr.ndim != 2 or arr.shape[1] != 1662:
            raise ValueError(f"layout '{_LAYOUT_1662}' needs a (T, 1662) array, got {arr.shape}")
        spec = _PARTS_1662
    else:
        total = sum(PART_SIZES[p] for p in LAYOUTS[base])
        if arr.ndim == 3:
            wrong_c = (c is not None and arr.shape[2] != c) or arr.shape[2] not in (2, 3, 4)
            if arr.shape[1] != total or wrong_c:
                want = f'(T, {total}, {c if c else "2|3|4"})'
                raise ValueError(f'layout {base!r} needs a {want} array, got {arr.shape}')
            c = arr.shape[2]
        elif c is None:
            raise ValueError(f'a flat {arr.shape} array needs the coordinates in the layout name, e.g. '
                             f"layout='{base}_xyz'; {_known()}")
        elif arr.shape[1] != total * c:
            raise ValueError(f"layout '{base}' with {c} values per point needs (T, {total * c}), got "
                             f'{arr.shape}')
        spec = tuple((p, c) for p in LAYOUTS[base])
    parts, start = {}, 0
    flat = arr.reshape(len(arr), -1)
    for name, dims in spec:
        n = PART_SIZES[name] * dims
        parts[name] = flat[:, start:start + n].reshape(len(arr), PART_SIZES[name], dims)
        start += n
    return parts


def _partial_blocks(parts: Dict[str, np.ndarray]) -> int:
    """(frame, part) pairs where a part is partly missing: MediaPipe detects a part whole or not at all."""
    count = 0
    for p in parts.values():
        present = np.isfinite(p[..., :2]).all(-1)
        count += int((present.any(-1) & ~present.all(-1)).sum())
    return count


def _wrist_gap(parts: Dict[str, np.ndarray]) -> float:
    """Median distance (x, y units) between the pose wrists and the hand roots, NaN when never both seen."""
    gaps = [np.linalg.norm(parts['pose'][:, w, :2] - parts[h][:, 0, :2], axis=-1)
            for w, h in ((15, 'left_hand'), (16, 'right_hand'))]
    gaps = np.concatenate(gaps)
    gaps = gaps[np.isfinite(gaps)]
    return float(np.median(gaps)) if len(gaps) else float('nan')


def check_543_order(arr: np.ndarray) -> None:
    """Refuse a (T, 543, C) array that is not in the Kaggle order (face, left hand, pose, right hand).

    pose-format and Holistic's own result order is pose, face, left hand, right hand: read as Kaggle it
    would give wrong joints. Two facts of real MediaPipe output decide: a part is detected whole or not
    at all (in the wrong order, blocks straddle two parts and come out partly missing when one of them is
    undetected), and the pose wrists lie near the hand roots (``_wrist_gap``: ~0.02-0.06 of the frame in
    the right order, ~0.15 on the real GISLR files re-ordered). The array must be consistent with the
    Kaggle order and clearly less so with the Holistic one, or the reader asks for ``layout=``.
    """
    arr = np.array(arr, dtype=np.float32)
    zeros_to_nan({'all': arr})  # here always: exactly-0 points are how many scripts store "not detected"
    if not np.isfinite(arr[..., :2]).all(-1).any():
        return  # nothing detected: every order gives the same all-missing pose
    cand = {name: _split(arr, name, None) for name in ('kaggle_543', 'holistic_543')}
    partial = {n: _partial_blocks(p) for n, p in cand.items()}
    gap = {n: _wrist_gap(p) for n, p in cand.items()}
    k_ok, h_ok = partial['kaggle_543'] == 0, partial['holistic_543'] == 0
    gk, gh = gap['kaggle_543'], gap['holistic_543']
    if k_ok and (not h_ok or gk * 2 < gh or (np.isfinite(gk) and np.isnan(gh))):
        return
    if h_ok and (not k_ok or gh * 2 < gk):
        verdict = "it looks like the pose-format / Holistic order (pose, face, left hand, right hand)"
    else:
        verdict = 'the order cannot be told from the data'
    raise ValueError(
        f'(T, 543, C) MediaPipe array: {verdict}; candidate orders: '
        f"layout='kaggle_543' (face, left hand, pose, right hand: {partial['kaggle_543']} partly detected "
        f"parts, wrist-hand gap {gk:.3f}) or layout='holistic_543' (pose, face, left hand, right hand: "
        f"{partial['holistic_543']} partly detected parts, wrist-hand gap {gh:.3f}); pass the right one "
        f"as a reader option (LoadPose(reader_options=dict(layout=...)))")


def landmark_parts(arr: np.ndarray, layout: Optional[str] = None) -> Dict[str, np.ndarray]:
    """One landmark array -> the parts dict of :func:`mediapipe_to_wholebody`.

    Args:
        arr: (T, P, C) or flat (T, N) float array (see the module docstring).
        layout: one of :func:`layout_names`, or None to identify it from the shape (unambiguous shapes
            only; a (T, 543, C) array is checked with :func:`check_543_order`).
    """
    arr = np.asarray(arr)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f'landmarks must be a real number array, got dtype {arr.dtype}')
    arr = arr.astype(np.float32)
    if arr.ndim not in (2, 3):
        raise ValueError(f'a MediaPipe landmark array must be (T, points, C) or flat (T, N), got {arr.shape}')
    if layout is not None:
        return _split(arr, *_parse_layout(layout))
    if arr.ndim == 3:
        by_points = {543: 'kaggle_543', 75: 'pose_hands', 42: 'hands'}  # 543: once the order is checked
        if arr.shape[1] not in by_points or arr.shape[2] not in (2, 3, 4):
            raise ValueError(f'cannot tell the MediaPipe layout of a {arr.shape} array (points 543, 75 or '
                             f'42; C = 2, 3 or 4); set layout=; {_known()}')
        if arr.shape[1] == 543:
            check_543_order(arr)
        return _split(arr, by_points[arr.shape[1]], None)
    width = arr.shape[1]
    if width in AUTO_FLAT:
        return _split(arr, *_parse_layout(AUTO_FLAT[width]))
    fits = [f'{b}_{c}' for b, parts in LAYOUTS.items() for c, k in COORDS.items()
            if sum(PART_SIZES[p] for p in parts) * k == width]
    fits = f" (it fits {', '.join(fits)}, but other tools use {width} values per frame differently)" \
        if fits else ''
    raise ValueError(f'cannot tell the MediaPipe layout of a flat {arr.shape} array{fits}: set layout= as a '
                     f'reader option; {_known()}')


def zeros_to_nan(parts: Dict[str, np.ndarray]) -> Tuple[int, int]:
    """In place: points whose coordinates (x, y[, z], not the visibility) are all exactly 0 become NaN.

    Returns:
        (number of such points, number of present points before).
    """
    zeros = present = 0
    for p in parts.values():
        coords = p[..., :min(p.shape[-1], 3)]
        finite = np.isfinite(coords).all(-1)
        zero = finite & (coords == 0).all(-1)
        p[zero] = np.nan
        zeros += int(zero.sum())
        present += int(finite.sum())
    return zeros, present


def mediapipe_to_wholebody(landmarks, layout: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
    """MediaPipe Holistic landmarks -> (T, 133, 2) coordinates in [0, 1] and (T, 133) scores.

    Args:
        landmarks: a dict (or npz) with ``pose`` (T, 33, >=2; a 4th column is the visibility), ``face``
            (T, 468, >=2), ``left_hand`` and ``right_hand`` (T, 21, >=2), coordinates normalised to the
            frame; or one array (see :func:`landmark_parts`, with ``layout``). Missing landmarks are NaN
            (or absent keys). Hands keep their anatomical side (MediaPipe's ``left_hand`` is the signer's
            left hand, as COCO-WholeBody's 91-111).
        layout: for an array, see :func:`landmark_parts`.

    Scores: 1 for a present point, times the pose visibility (clipped to 0-1) for pose points with a
    4th column; face and hand points have no meaningful visibility in MediaPipe (it leaves it 0).
    """
    if isinstance(landmarks, np.ndarray):
        landmarks = landmark_parts(landmarks, layout)
    parts = {k: np.asarray(landmarks[k], dtype=np.float32) for k in PART_SIZES if k in landmarks}
    if not parts:
        raise ValueError('no MediaPipe landmarks found (keys pose, face, left_hand, right_hand)')
    num_frames = len(next(iter(parts.values())))
    for k, p in parts.items():
        if p.ndim != 3 or p.shape[1] != PART_SIZES[k] or not 2 <= p.shape[2] <= 4 or len(p) != num_frames:
            raise ValueError(f'MediaPipe part {k!r} must be (T={num_frames}, {PART_SIZES[k]}, 2-4), got '
                             f'{p.shape}')
    kpts = np.zeros((num_frames, NUM_WHOLEBODY, 2), np.float32)
    scores = np.zeros((num_frames, NUM_WHOLEBODY), np.float32)
    for part, src in parts.items():
        dst, idx = MEDIAPIPE_TO_WHOLEBODY[part]
        xy = src[:, idx, :2]
        present = np.isfinite(xy).all(-1)
        conf = np.where(present, 1.0, 0.0)
        if part == 'pose' and src.shape[-1] == 4:
            conf = conf * np.clip(np.nan_to_num(src[:, idx, 3], nan=0.0), 0.0, 1.0)
        kpts[:, dst] = np.where(present[..., None], xy, 0.0)
        scores[:, dst] = conf
    return kpts, scores


def landmarks_to_pose(path: str, parts: Dict[str, np.ndarray], zero_as_missing: bool = True,
                      image_size=None, fps=None) -> PoseData:
    """Parts (see :func:`mediapipe_to_wholebody`) of the file ``path`` -> :class:`PoseData`, applying the
    zero-as-missing rule and warning (naming ``path``) when most present points are all-zero."""
    parts = {k: np.array(v, dtype=np.float32) for k, v in parts.items()}  # a copy: zeros_to_nan edits it
    if zero_as_missing:
        zeros, present = zeros_to_nan(parts)
        if present and zeros > ZERO_WARN_FRACTION * present:
            warnings.warn(f'{path}: {zeros} of {present} present landmarks are exactly 0 and read as not '
                          'detected (zero_as_missing=True); check how the file was written')
    kpts, scores = mediapipe_to_wholebody(parts)
    return PoseData(kpts, scores, 'normalized', image_size, fps)


def _scalar(path: str, data: dict, key: str):
    v = data[key]
    if v.shape != () or not np.issubdtype(v.dtype, np.number):
        raise ValueError(f'{path}: {key!r} must be a number (a 0-d array), got {v.dtype} {v.shape}')
    return v.item()


@register_pose_reader('mediapipe', extensions=('.npz', '.npy'))
def read_mediapipe(path: str, layout: Optional[str] = None, zero_as_missing: bool = True) -> PoseData:
    """Read MediaPipe landmarks (see the module docstring).

    Args:
        path: ``.npz`` of the parts (or of one array) with optional ``width``/``height``/``fps`` scalars,
            or an ``.npy`` array.
        layout: the array layout when the shape does not tell it (:func:`layout_names`); not used for
            an npz of parts.
        zero_as_missing: points at exactly (0, 0[, 0]) are not detected (score 0).
    """
    data = np.load(path, allow_pickle=False)
    size = fps = None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            data = {k: data[k] for k in data.files}
        if 'width' in data or 'height' in data:
            if 'width' not in data or 'height' not in data:
                raise ValueError(f'{path}: has only one of width / height')
            size = checked_image_size(path, _scalar(path, data, 'width'), _scalar(path, data, 'height'))
        if 'fps' in data:
            fps = checked_fps(path, _scalar(path, data, 'fps'))
        parts = {k: v for k, v in data.items() if k in PART_SIZES}
        if not parts:
            arrays = [k for k in data if k not in META_KEYS]
            if len(arrays) != 1:
                raise ValueError(f'{path}: an npz needs the parts {tuple(PART_SIZES)} or exactly one '
                                 f'landmark array, got keys {sorted(data)}')
            parts = landmark_parts(data[arrays[0]], layout)
    else:
        parts = landmark_parts(data, layout)
    return landmarks_to_pose(path, parts, zero_as_missing, size, fps)
