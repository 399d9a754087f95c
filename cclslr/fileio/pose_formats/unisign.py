"""The Uni-Sign pose pickle (docs/method.md §10), format name ``'unisign'``, extensions ``.pkl``/``.pickle``.

One pickle per video::

    {'keypoints': sequence of T arrays (1, 133, 2), x and y normalised to [0, 1] by frame width/height,
     'scores':    sequence of T arrays (1, 133)}

Uni-Sign stores lists of per-frame arrays; cclslr writes lists and accepts lists or stacked arrays.
cclslr adds ``'width'``, ``'height'`` and ``'fps'`` (:attr:`PoseData.image_size`, :attr:`PoseData.fps`)
and ``'keypoint_source'`` (:attr:`PoseData.source`: the extraction backend, e.g. ``'mediapipe'``); readers
that look up only ``keypoints`` and ``scores`` (Uni-Sign's own) are unaffected.
Files are unpickled with :mod:`cclslr.fileio.safe_pickle` (arrays and plain containers only).
"""
import pickle

import numpy as np

from cclslr.structures.keypoint_layout import NUM_WHOLEBODY
from ..atomic import atomic_open
from ..pose_files import PoseData, checked_fps, checked_image_size, register_pose_reader, register_pose_writer
from ..safe_pickle import UnsafePickleError, safe_load


@register_pose_reader('unisign', extensions=('.pkl', '.pickle'))
def read_unisign(path: str) -> PoseData:
    """Read a Uni-Sign pickle: keypoints (T, 133, 2) in [0, 1] ('normalized'), scores (T, 133)."""
    try:
        data = safe_load(path)
    except UnsafePickleError:
        raise
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
    size = checked_image_size(path, data['width'], data['height']) if 'width' in data and 'height' in data \
        else None
    fps = checked_fps(path, data['fps']) if data.get('fps') is not None else None
    source = data.get('keypoint_source')
    if source is not None and not isinstance(source, str):
        raise ValueError(f'{path}: keypoint_source must be a string, got {type(source).__name__}')
    return PoseData(kpts, scores, 'normalized', size, fps, source)


@register_pose_writer('unisign')
def write_unisign(path: str, pose: PoseData) -> None:
    """Write ``pose`` (unit 'normalized') atomically, as Uni-Sign does: lists of (1, 133, 2) / (1, 133)
    float32 arrays, plus ``width``, ``height`` (when ``image_size`` is set), ``fps`` and
    ``keypoint_source`` (when set), stored as given."""
    if pose.unit != 'normalized':
        raise ValueError(f'{path}: Uni-Sign pose files hold keypoints in 0-1 of the frame, got unit '
                         f'{pose.unit!r}')
    extra = {}
    if pose.image_size is not None:
        extra.update(width=pose.image_size[0], height=pose.image_size[1])
    if pose.fps is not None:
        extra['fps'] = pose.fps
    if pose.source is not None:
        extra['keypoint_source'] = pose.source
    data = dict(keypoints=[k[None] for k in pose.keypoints], scores=[s[None] for s in pose.scores], **extra)
    # A kill leaves only a marked temporary file, which the extraction job removes when it restarts.
    with atomic_open(path) as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
