"""Pose files: one data contract (:class:`PoseData`) and a registry of file formats.

Every pose file is read with :func:`read_pose` and written with :func:`write_pose`. A format is one
reader function (and optionally one writer) registered under a name::

    @register_pose_reader('myformat', extensions=('.xyz',))
    def read_myformat(path: str) -> PoseData: ...

    @register_pose_writer('myformat')
    def write_myformat(path: str, pose: PoseData) -> None: ...

``format='auto'`` picks the reader by the file extension. The formats of ``cclslr/fileio/pose_formats/``
(Uni-Sign pickle, MMPose predictions, MediaPipe Holistic arrays, ``.pose`` files of the pose-format
package, Kaggle GISLR parquet landmarks; docs/datasets.md, "Pose file formats") are registered when
``cclslr.fileio`` is imported.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import numpy as np

from cclslr.structures.keypoint_layout import NUM_WHOLEBODY

UNITS = ('normalized', 'pixel')


@dataclass
class PoseData:
    """The whole-body pose of every frame of one video file, whatever format it was stored in.

    Attributes:
        keypoints: float32 (T, 133, 2) COCO-WholeBody x, y; T indexes the video file's frames.
        scores: float32 (T, 133) keypoint confidences; 0 = missing point.
        unit: 'normalized' (x / width, y / height, so 0-1 inside the frame) or 'pixel'.
        image_size: (W, H) of the frames the keypoints were taken on, or None when the file does not say.
        fps: frame rate the file records, or None.
        source: what made the keypoints (``'mediapipe'``, ``'mmpose'``, ...) when the file records it,
            or None.
    """
    keypoints: np.ndarray
    scores: np.ndarray
    unit: str = 'normalized'
    image_size: Optional[Tuple[int, int]] = None
    fps: Optional[float] = None
    source: Optional[str] = None

    def __post_init__(self):
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
        self.scores = np.asarray(self.scores, dtype=np.float32)
        if self.keypoints.ndim != 3 or self.keypoints.shape[1:] != (NUM_WHOLEBODY, 2):
            raise ValueError(f'keypoints must be (T, {NUM_WHOLEBODY}, 2), got {self.keypoints.shape}')
        if self.scores.shape != self.keypoints.shape[:2]:
            raise ValueError(f'scores must be (T, {NUM_WHOLEBODY}) = {self.keypoints.shape[:2]}, got '
                             f'{self.scores.shape}')
        if self.unit not in UNITS:
            raise ValueError(f'unit must be one of {UNITS}, got {self.unit!r}')
        if self.source is not None and not isinstance(self.source, str):
            raise ValueError(f'source must be a string or None, got {type(self.source).__name__}')

    @property
    def num_frames(self) -> int:
        return len(self.keypoints)


def checked_image_size(path: str, width, height) -> Tuple[int, int]:
    """(W, H) from a file's fields: positive integers (an integral float such as 640.0 is accepted)."""
    sizes = []
    for name, v in (('width', width), ('height', height)):
        ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        if not ok or not np.isfinite(v) or v != int(v) or not 0 < v < 1 << 20:
            raise ValueError(f'{path}: {name} must be a positive whole number of pixels, got {v!r}')
        sizes.append(int(v))
    return sizes[0], sizes[1]


def checked_fps(path: str, fps) -> float:
    """A file's frame rate: a finite positive number."""
    ok = isinstance(fps, (int, float, np.integer, np.floating)) and not isinstance(fps, bool)
    if not ok or not np.isfinite(fps) or not 0 < fps < 1e4:
        raise ValueError(f'{path}: fps must be a positive number, got {fps!r}')
    return float(fps)


_READERS: Dict[str, Callable[..., PoseData]] = {}
_WRITERS: Dict[str, Callable[[str, PoseData], None]] = {}
_EXTENSIONS: Dict[str, str] = {}  # '.pkl' -> 'unisign'


def register_pose_reader(name: str, extensions: Tuple[str, ...] = ()):
    """Decorator: ``fn(path, **options) -> PoseData`` reads format ``name``; ``extensions`` (with the dot,
    e.g. ``('.pkl',)``) are the ones ``format='auto'`` maps to it. A name or an extension registered
    twice is an error (no format silently replaces another)."""
    def register(fn):
        if name in _READERS or name == 'auto':
            raise ValueError(f'pose format {name!r} already has a reader ({_READERS.get(name)})')
        taken = {e.lower(): _EXTENSIONS[e.lower()] for e in extensions if e.lower() in _EXTENSIONS}
        if taken:
            raise ValueError(f'pose format {name!r}: extensions already registered: {taken}')
        _READERS[name] = fn
        _EXTENSIONS.update({e.lower(): name for e in extensions})
        return fn
    return register


def register_pose_writer(name: str):
    """Decorator: ``fn(path, pose)`` writes :class:`PoseData` as format ``name``."""
    def register(fn):
        if name in _WRITERS:
            raise ValueError(f'pose format {name!r} already has a writer ({_WRITERS[name]})')
        _WRITERS[name] = fn
        return fn
    return register


def pose_format_names() -> Tuple[str, ...]:
    """Names of the readable formats, in registration order ('auto' is not one of them)."""
    return tuple(_READERS)


def pose_format_of(path: str) -> str:
    """The format ``format='auto'`` reads ``path`` as, from its extension."""
    ext = osp.splitext(path)[1].lower()
    if ext not in _EXTENSIONS:
        raise ValueError(f'{path}: cannot tell the pose format from the extension {ext!r}; set format= '
                         f'(one of {pose_format_names()})')
    return _EXTENSIONS[ext]


def check_pose_format(format: str, what: str = 'pose format') -> None:
    """Raise a ValueError unless ``format`` is 'auto' or a registered reader."""
    if format != 'auto' and format not in _READERS:
        raise ValueError(f"{what} must be one of {('auto',) + pose_format_names()}, got {format!r}")


def read_pose(path: str, format: str = 'auto', **options) -> PoseData:
    """Read a pose file.

    Args:
        path: the file.
        format: 'auto' (by extension, see :func:`pose_format_of`) or a registered format name.
        options: passed to the format's reader.

    Returns:
        :class:`PoseData`.

    Raises:
        FileNotFoundError: no such file. ValueError naming ``path``: unknown format, unreadable or
        malformed file, or a pickle that names code (``cclslr.fileio.safe_pickle``).
    """
    check_pose_format(format)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: pose file not found')
    fmt = pose_format_of(path) if format == 'auto' else format
    try:
        return _READERS[fmt](path, **options)
    except (FileNotFoundError, ValueError) as e:
        if path in str(e):
            raise
        raise ValueError(f'{path}: {e}') from e
    except Exception as e:
        raise ValueError(f'{path}: unreadable {fmt} pose file ({type(e).__name__}: {e})') from e


def write_pose(path: str, pose: PoseData, format: str = 'unisign') -> None:
    """Write ``pose`` as ``format`` (a format with a registered writer); writers write atomically."""
    if format not in _WRITERS:
        raise ValueError(f'{path}: no writer for pose format {format!r} (writers: {tuple(_WRITERS)})')
    if not isinstance(pose, PoseData):
        raise TypeError(f'{path}: write_pose needs a PoseData, got {type(pose).__name__}')
    _WRITERS[format](path, pose)
