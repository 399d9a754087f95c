"""Reading and writing pose files in the Uni-Sign pickle format (method.md §10).

One pickle per video::

    {'keypoints': sequence of T arrays (1, 133, 2), x and y normalised to [0, 1] by frame width/height,
     'scores':    sequence of T arrays (1, 133)}

Uni-Sign stores lists of per-frame arrays; cclslr writes and accepts either lists or stacked arrays.
Extra keys (``'width'``, ``'height'``, ``'fps'``) are allowed and kept.
"""
import os
import os.path as osp
import pickle
import tempfile

import numpy as np

from cclslr.structures.keypoint_layout import NUM_WHOLEBODY


def save_unisign_pose(path: str, keypoints: np.ndarray, scores: np.ndarray, **extra) -> None:
    """Write a pose file atomically.

    Args:
        keypoints: (T, 133, 2) float, normalised to [0, 1] by the frame's width and height.
        scores: (T, 133) float in [0, 1].
        extra: additional picklable metadata (e.g. ``width=``, ``height=``, ``fps=``).
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    scores = np.asarray(scores, dtype=np.float32)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (NUM_WHOLEBODY, 2):
        raise ValueError(f'{path}: keypoints must be (T, 133, 2), got {keypoints.shape}')
    if scores.shape != keypoints.shape[:2]:
        raise ValueError(f'{path}: scores must be (T, 133) = {keypoints.shape[:2]}, got {scores.shape}')
    data = dict(keypoints=[k[None] for k in keypoints], scores=[s[None] for s in scores], **extra)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(osp.abspath(path)), suffix='.tmp')
    with os.fdopen(fd, 'wb') as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def load_unisign_pose(path: str):
    """Read a pose file.

    Returns:
        keypoints (T, 133, 2) float32 normalised to [0, 1], scores (T, 133) float32, and the dict of
        extra keys.

    Raises:
        FileNotFoundError / ValueError naming ``path`` for a missing, unreadable or malformed file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: pose file not found')
    try:
        with open(path, 'rb') as f:
            data = pickle.load(f)
    except Exception as e:
        raise ValueError(f'{path}: unreadable pose pickle ({type(e).__name__}: {e})') from e
    if not isinstance(data, dict) or 'keypoints' not in data or 'scores' not in data:
        raise ValueError(f'{path}: not a Uni-Sign pose file (needs keys "keypoints" and "scores")')
    try:
        kpts = np.asarray(data['keypoints'], dtype=np.float32).reshape(-1, NUM_WHOLEBODY, 2)
        scores = np.asarray(data['scores'], dtype=np.float32).reshape(-1, NUM_WHOLEBODY)
    except ValueError as e:
        raise ValueError(f'{path}: keypoints/scores are not T x (1, 133, 2) / T x (1, 133): {e}') from e
    if len(kpts) != len(scores):
        raise ValueError(f'{path}: {len(kpts)} keypoint frames but {len(scores)} score frames')
    extra = {k: v for k, v in data.items() if k not in ('keypoints', 'scores')}
    return kpts, scores, extra
