"""Keypoints on the fly for inference: which extractor turns a user's video into a :class:`PoseData`.

A model must see keypoints from the extractor it was trained on (MediaPipe Holistic and RTMPose place the
face and hand points differently, and their scores mean different things). A checkpoint therefore records
``keypoint_source`` in its ``dataset_meta`` (set in the dataset config's ``metainfo``), and
:func:`check_keypoint_source` warns when inference uses another one.

Backends (:data:`BACKENDS`):

* ``'mediapipe'``: MediaPipe Holistic, offline (``cclslr.keypoints.mediapipe_extractor``);
* ``'mmpose'``: an MMPose whole-body model from local weights (``cclslr.keypoints.WholeBodyPoseExtractor``);
* ``'file'``: the user gives a pose file (nothing is extracted).
"""
import warnings
from typing import Optional

import numpy as np

from cclslr.fileio import PoseData

BACKENDS = ('mediapipe', 'mmpose', 'file')
# Sources a checkpoint may record that no extractor here reproduces (the synthetic set's exact tracks).
NON_EXTRACTOR_SOURCES = ('synthetic', )


class KeypointSourceWarning(UserWarning):
    """Inference uses keypoints from another extractor than the checkpoint was trained on."""


def check_keypoint_source(trained: Optional[str], used: str) -> None:
    """Warn (:class:`KeypointSourceWarning`) when ``used`` (a backend name) differs from the checkpoint's
    ``trained`` source; a user pose file (``'file'``) is taken as the user's responsibility."""
    if used == 'file':
        return
    if trained is None:
        warnings.warn(f'the checkpoint does not record which keypoint extractor it was trained on '
                      f'(dataset_meta keypoint_source); keypoints come from {used!r}: predictions are only '
                      'meaningful if that is the same extractor', KeypointSourceWarning, stacklevel=3)
    elif trained != used:
        warnings.warn(f'the checkpoint was trained on {trained!r} keypoints but inference extracts them with '
                      f'{used!r}: expect wrong predictions (use --backend {trained} or a {trained} pose '
                      'file)' if trained not in NON_EXTRACTOR_SOURCES else
                      f'the checkpoint was trained on {trained!r} keypoints (exact tracks no extractor '
                      f'reproduces) but inference extracts them with {used!r}: expect wrong predictions',
                      KeypointSourceWarning, stacklevel=3)


class KeypointExtractor:
    """One backend, built once and reused over many clips.

    Args:
        backend: ``'mediapipe'`` or ``'mmpose'``.
        device: for ``'mmpose'`` (``'cpu'``, ``'cuda:0'``).
        mmpose_config / mmpose_checkpoint: the MMPose whole-body model (local files; defaults: RTMPose-x,
            :data:`cclslr.keypoints.DEFAULT_POSE_CONFIG` / ``DEFAULT_POSE_CHECKPOINT``).
        mediapipe_options: extra arguments of ``MediaPipeHolisticExtractor``.
    """

    def __init__(self, backend: str, device: str = 'cpu', mmpose_config: Optional[str] = None,
                 mmpose_checkpoint: Optional[str] = None, mediapipe_options: Optional[dict] = None):
        if backend not in BACKENDS or backend == 'file':
            raise ValueError(f"keypoint backend must be 'mediapipe' or 'mmpose', got {backend!r}")
        self.backend = backend
        if backend == 'mediapipe':
            from cclslr.keypoints.mediapipe_extractor import MediaPipeHolisticExtractor
            # model_complexity=1: the only pose model shipped in the wheel (0 and 2 download at run time).
            self._impl = MediaPipeHolisticExtractor(**dict(model_complexity=1, **(mediapipe_options or {})))
        else:
            from cclslr.keypoints import DEFAULT_POSE_CHECKPOINT, DEFAULT_POSE_CONFIG, WholeBodyPoseExtractor
            self._impl = WholeBodyPoseExtractor(mmpose_config or DEFAULT_POSE_CONFIG,
                                                mmpose_checkpoint or DEFAULT_POSE_CHECKPOINT, device=device)

    def from_video(self, path: str) -> PoseData:
        """Keypoints of every frame of the video file ``path`` (the pose-file contract)."""
        if self.backend == 'mediapipe':
            return self._impl.extract_video(path)
        res = self._impl.extract(path)
        return PoseData(res['keypoints'], res['scores'], 'normalized', (res['width'], res['height']),
                        res['fps'])

    def from_frames(self, frames: np.ndarray, fps: Optional[float] = None) -> PoseData:
        """Keypoints of uint8 (T, H, W, 3) RGB frames in playback order."""
        if self.backend != 'mediapipe':
            raise ValueError(f'the {self.backend!r} backend reads video files only; pass a video path, or '
                             'use the mediapipe backend for frame arrays')
        return self._impl.extract_frames(frames, fps=fps)

    def close(self) -> None:
        if hasattr(self._impl, 'close'):
            self._impl.close()


def no_person_found(pose: PoseData, min_fraction: float = 0.0) -> bool:
    """True when no frame has a confident body point (score > 0.3, the threshold of PoseNormalize): the
    extractor found no person, and any prediction would be a guess."""
    body = pose.scores[:, :11]  # COCO body points 0-10: nose, eyes, ears, shoulders, elbows, wrists
    found = (body > 0.3).any(1)
    return found.mean() <= min_fraction if len(found) else True
