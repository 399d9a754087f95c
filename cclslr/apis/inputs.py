"""The inputs :func:`~cclslr.apis.inference_recognizer` accepts, normalised to one :class:`ClipInputs`, and
the in-memory video reader that lets the test pipeline's ``DecodeFrames`` read frame arrays."""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Optional

import numpy as np

from cclslr.fileio import PoseData, pose_format_of

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg', '.flv', '.wmv')


class ArrayVideoReader:
    """Decord's reader interface (``get_batch``, ``len``, ``get_avg_fps``) over uint8 (T, H, W, 3) frames."""

    class _Batch:
        def __init__(self, array):
            self._array = array

        def asnumpy(self):
            return self._array

    def __init__(self, frames: np.ndarray, fps: float = 30.0):
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or not len(frames):
            raise ValueError(f'frames must be a non-empty uint8 (T, H, W, 3) RGB array, got {frames.dtype} '
                             f'{frames.shape}')
        self.frames, self.fps = frames, float(fps)

    def __len__(self):
        return len(self.frames)

    def get_avg_fps(self):
        return self.fps

    def get_batch(self, indices):
        return self._Batch(self.frames[np.asarray(indices, dtype=np.int64)].copy())


@dataclass
class ClipInputs:
    """One clip, normalised from the many forms :func:`inference_recognizer` accepts."""
    video_path: Optional[str] = None
    frames: Optional[np.ndarray] = None
    fps: Optional[float] = None
    pose_path: Optional[str] = None
    pose: Optional[PoseData] = None

    @property
    def name(self) -> str:
        return self.video_path or self.pose_path or '<array>'


def _is_pose_path(path: str) -> bool:
    if osp.splitext(path)[1].lower() in VIDEO_EXTENSIONS:
        return False
    try:
        pose_format_of(path)
        return True
    except ValueError:
        return False


def parse_inputs(inputs) -> ClipInputs:
    """A video path, a pose-file path, uint8 (T, H, W, 3) frames, a :class:`PoseData`, a pair of a video
    (path or frames) and a pose (path or PoseData), or a dict with keys ``video`` / ``frames`` / ``fps`` /
    ``pose``."""
    if isinstance(inputs, ClipInputs):
        return inputs
    if isinstance(inputs, dict):
        unknown = set(inputs) - {'video', 'frames', 'fps', 'pose'}
        if unknown:
            raise ValueError(f'inputs dict: unknown keys {sorted(unknown)} (video, frames, fps, pose)')
        clip = parse_inputs(tuple(v for k in ('video', 'frames', 'pose') if (v := inputs.get(k)) is not None))
        clip.fps = inputs.get('fps', clip.fps)
        return clip
    if isinstance(inputs, (tuple, list)):
        if not 1 <= len(inputs) <= 2:
            raise ValueError(f'inputs: a pair (video, pose) is expected, got {len(inputs)} items')
        parts = [parse_inputs(x) for x in inputs]
        merged = ClipInputs()
        for p in parts:
            for k, v in vars(p).items():
                if v is not None:
                    if getattr(merged, k) is not None:
                        raise ValueError(f'inputs: two {k.replace("_path", "")}s given')
                    setattr(merged, k, v)
        return merged
    if isinstance(inputs, PoseData):
        return ClipInputs(pose=inputs)
    if isinstance(inputs, np.ndarray):
        return ClipInputs(frames=inputs)
    if isinstance(inputs, (str, os.PathLike)):
        path = str(inputs)
        if _is_pose_path(path):
            return ClipInputs(pose_path=path)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: video not found')
        return ClipInputs(video_path=path)
    raise TypeError(f'inputs: cannot read a {type(inputs).__name__} (give a path, frames or PoseData)')
