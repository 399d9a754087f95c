"""MediaPipe Holistic landmarks, format name ``'mediapipe'``, extensions ``.npz`` / ``.npy``.

The 133 COCO-WholeBody points correspond only partly to MediaPipe's (see :data:`MEDIAPIPE_APPROXIMATE`
and docs/datasets.md); points without a source get score 0. Coordinates stay normalised to the frame.
Files are read with ``np.load(allow_pickle=False)``.
"""
from typing import Tuple

import numpy as np

from cclslr.structures.keypoint_layout import NUM_WHOLEBODY
from ..pose_files import PoseData, register_pose_reader


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
# Which of the 133 points are only approximations when converted from MediaPipe (docs/datasets.md).
MEDIAPIPE_APPROXIMATE = sorted([17, 19, 20, 22] + list(range(23, 91)))
MEDIAPIPE_MISSING = [18, 21]
# Flat (T, 543, C) arrays follow the Kaggle ISLR order: face 468, left hand 21, pose 33, right hand 21.
_FLAT_PARTS = (('face', 468), ('left_hand', 21), ('pose', 33), ('right_hand', 21))


def _split_flat(arr: np.ndarray) -> dict:
    parts, start = {}, 0
    for name, n in _FLAT_PARTS:
        parts[name] = arr[:, start:start + n]
        start += n
    return parts


def mediapipe_to_wholebody(landmarks) -> Tuple[np.ndarray, np.ndarray]:
    """MediaPipe Holistic landmarks -> (T, 133, 2) coordinates in [0, 1] and (T, 133) scores.

    Args:
        landmarks: a dict (or npz) with ``pose`` (T, 33, >=2; a 4th column is the visibility), ``face``
            (T, 468, >=2), ``left_hand`` and ``right_hand`` (T, 21, >=2), coordinates normalised to the
            frame; or one (T, 543, C) array in the order face, left hand, pose, right hand. Missing
            landmarks are NaN (or absent keys). Hands keep their anatomical side (MediaPipe's
            ``left_hand`` is the signer's left hand, as COCO-WholeBody's 91-111).
    """
    if isinstance(landmarks, np.ndarray):
        if landmarks.ndim != 3 or landmarks.shape[1] != 543:
            raise ValueError(f'flat MediaPipe array must be (T, 543, C), got {landmarks.shape}')
        landmarks = _split_flat(landmarks)
    parts = {k: np.asarray(landmarks[k], dtype=np.float32)
             for k in ('pose', 'face', 'left_hand', 'right_hand') if k in landmarks}
    if not parts:
        raise ValueError('no MediaPipe landmarks found (keys pose, face, left_hand, right_hand)')
    num_frames = len(next(iter(parts.values())))
    kpts = np.zeros((num_frames, NUM_WHOLEBODY, 2), np.float32)
    scores = np.zeros((num_frames, NUM_WHOLEBODY), np.float32)

    def put(dst, src_arr, src_idx):
        xy = src_arr[:, src_idx, :2]
        present = np.isfinite(xy).all(-1)
        conf = np.where(present, 1.0, 0.0)
        if src_arr.shape[-1] >= 4:  # pose visibility
            conf = conf * np.nan_to_num(src_arr[:, src_idx, 3], nan=0.0)
        kpts[:, dst] = np.nan_to_num(xy, nan=0.0)
        scores[:, dst] = conf

    if 'pose' in parts:
        dst, src = zip(*_MP_POSE_TO_WB.items())
        put(list(dst), parts['pose'], list(src))
    if 'face' in parts:
        put(list(range(23, 91)), parts['face'], _MP_FACE_68)
    if 'left_hand' in parts:
        put(list(range(91, 112)), parts['left_hand'], list(range(21)))
    if 'right_hand' in parts:
        put(list(range(112, 133)), parts['right_hand'], list(range(21)))
    return kpts, scores


@register_pose_reader('mediapipe', extensions=('.npz', '.npy'))
def read_mediapipe(path: str) -> PoseData:
    """Read MediaPipe landmarks: an ``.npz`` of the parts or one (T, 543, C) ``.npy`` array (see
    :func:`mediapipe_to_wholebody`)."""
    data = np.load(path, allow_pickle=False)
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            data = {k: data[k] for k in data.files}
    kpts, scores = mediapipe_to_wholebody(data)
    return PoseData(kpts, scores, 'normalized')
