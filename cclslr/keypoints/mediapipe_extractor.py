"""Whole-body keypoints with MediaPipe Holistic (the legacy ``mp.solutions`` graph), no weights to fetch.

MediaPipe 0.10.14's wheel bundles the Holistic models of ``model_complexity=1`` (pose_landmark_full,
hands, face mesh, with and without attention); complexity 0 and 2 download their pose model at run time,
so they are refused here. Holistic's landmarks are converted to the 133 COCO-WholeBody points by
:func:`cclslr.fileio.pose_formats.mediapipe.mediapipe_to_wholebody` (which points are approximate or
missing: docs/datasets.md). Scores: the pose model's visibility for body and feet, 1 for every point of a
detected face or hand (Holistic gives no per-point confidence there), 0 for parts it did not find.

Holistic is a tracker: it uses the previous frame's landmarks to place the next crops. The frames of one
video therefore go through it in order, and the graph is reset before each video so that no landmark of
one video steers the next.

Handedness: Holistic's ``left_hand_landmarks`` is the signer's own left hand on the unmirrored image (it
is taken from the crop around the pose model's left wrist), which is COCO-WholeBody's left hand (91-111);
``tests/keypoints/test_mediapipe_extractor.py`` checks it on a real clip.
"""
from typing import Dict, Iterable, Optional

import numpy as np

from cclslr.fileio import PoseData, decode_frames, open_video, video_fps, video_num_frames
from cclslr.fileio.pose_formats.mediapipe import mediapipe_to_wholebody

SUPPORTED_COMPLEXITY = 1
# Holistic's parts: (name in mediapipe_to_wholebody, attribute of the results, points, channels kept).
# Pose keeps (x, y, z, visibility); the others (x, y, z). Face: the 468 mesh points (the refined mesh
# adds 10 iris points after them, which COCO-WholeBody does not use).
_PARTS = (('pose', 'pose_landmarks', 33, 4), ('face', 'face_landmarks', 468, 3),
          ('left_hand', 'left_hand_landmarks', 21, 3), ('right_hand', 'right_hand_landmarks', 21, 3))


def _check_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or not len(frames):
        raise ValueError(f'frames must be a non-empty uint8 (T, H, W, 3) RGB array, got {frames.dtype} '
                         f'{frames.shape}')
    return frames


def _landmarks(result, attr: str, num: int, channels: int) -> np.ndarray:
    """One part of one Holistic result -> (num, channels) float32; NaN when the part was not found."""
    lms = getattr(result, attr)
    out = np.full((num, channels), np.nan, np.float32)
    if lms is None:
        return out
    points = lms.landmark[:num]
    out[:len(points), :3] = [(p.x, p.y, p.z) for p in points]
    if channels == 4:
        out[:len(points), 3] = [p.visibility for p in points]
    return out


class MediaPipeHolisticExtractor:
    """MediaPipe Holistic on frames or video files -> :class:`~cclslr.fileio.PoseData` (133 points).

    Args:
        model_complexity: must be 1 (the only pose model in the wheel; 0 and 2 are downloaded at run
            time, which cclslr never does).
        min_detection_confidence: Holistic's person-detection threshold, in [0, 1].
        min_tracking_confidence: Holistic's landmark-tracking threshold, in [0, 1]; below it the person is
            detected again on the next frame.
        refine_face_landmarks: Holistic's attention face mesh (better lips and eyes, slower).

    Use as a context manager, or call :meth:`close` to free the graph.
    """

    def __init__(self, model_complexity: int = 1, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, refine_face_landmarks: bool = False):
        if model_complexity != SUPPORTED_COMPLEXITY:
            raise ValueError(
                f'model_complexity={model_complexity!r} is not supported: MediaPipe Holistic downloads the '
                f'pose model of complexity 0 and 2 at run time (cclslr never downloads); use '
                f'model_complexity={SUPPORTED_COMPLEXITY}, whose model ships in the mediapipe wheel')
        for name, v in (('min_detection_confidence', min_detection_confidence),
                        ('min_tracking_confidence', min_tracking_confidence)):
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f'{name} must be in [0, 1], got {v!r}')
        try:
            from mediapipe.python.solutions.holistic import Holistic
        except ImportError as e:
            raise ImportError(f'the mediapipe backend needs mediapipe 0.10.x with the legacy solutions '
                              f'(pip install mediapipe==0.10.14; docs/keypoints.md): {e}') from e
        self.config = dict(model_complexity=model_complexity,
                           min_detection_confidence=float(min_detection_confidence),
                           min_tracking_confidence=float(min_tracking_confidence),
                           refine_face_landmarks=bool(refine_face_landmarks))
        self._holistic = Holistic(static_image_mode=False, smooth_landmarks=True, enable_segmentation=False,
                                  **self.config)
        self._used = False  # the graph has seen frames since the last reset

    # ----- lifetime -----
    def close(self) -> None:
        if self._holistic is not None:
            self._holistic.close()
            self._holistic = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown: the graph may already be gone
            pass

    # ----- extraction -----
    def _track(self, chunks: Iterable[np.ndarray]) -> Dict[str, np.ndarray]:
        """Run every frame of one video, in order, through a freshly reset graph.

        Args:
            chunks: uint8 (t, H, W, 3) RGB arrays, consecutive pieces of the video.

        Returns:
            ``{'pose': (T, 33, 4), 'face': (T, 468, 3), 'left_hand': (T, 21, 3), 'right_hand': (T, 21, 3)}``
            float32, coordinates normalised to the frame, NaN where a part was not found.
        """
        if self._holistic is None:
            raise RuntimeError('MediaPipeHolisticExtractor is closed')
        if self._used:
            self._holistic.reset()  # a new video: forget the previous one's landmarks
        self._used = True
        rows = {name: [] for name, *_ in _PARTS}
        for chunk in chunks:
            for frame in chunk:
                result = self._holistic.process(np.ascontiguousarray(frame))
                for name, attr, num, channels in _PARTS:
                    rows[name].append(_landmarks(result, attr, num, channels))
        return {name: np.stack(r) for name, r in rows.items()}

    @staticmethod
    def _to_pose(parts: Dict[str, np.ndarray], width: int, height: int, fps: Optional[float]) -> PoseData:
        kpts, scores = mediapipe_to_wholebody(parts)
        # MediaPipe extrapolates body points outside the frame (a wrist below the bottom edge, y > 1);
        # the pose-file contract is [0, 1] (as the MMPose backend clamps); their visibility stays as it is.
        np.clip(kpts, 0.0, 1.0, out=kpts)
        np.clip(scores, 0.0, 1.0, out=scores)
        return PoseData(kpts, scores, 'normalized', (int(width), int(height)),
                        None if fps is None else float(fps))

    def extract_frames(self, frames: np.ndarray, fps: float = None) -> PoseData:
        """Keypoints of consecutive frames of one video.

        Args:
            frames: uint8 (T, H, W, 3) RGB, in playback order.
            fps: the video's frame rate, recorded in the result (None: unknown).

        Returns:
            PoseData: keypoints (T, 133, 2) in [0, 1] (x / W, y / H), scores (T, 133), unit
            'normalized', image_size (W, H), fps.
        """
        frames = _check_frames(frames)
        height, width = frames.shape[1:3]
        return self._to_pose(self._track([frames]), width, height, fps)

    def extract_video(self, path: str, chunk_size: int = 32) -> PoseData:
        """Keypoints of every frame of a video file (decoded ``chunk_size`` frames at a time, so a long
        HD video never sits in memory whole).

        Raises:
            ValueError naming the file when it cannot be opened or decoded.
        """
        # probe=True: decord aborts the process on some corrupt files; here that becomes a ValueError.
        reader = open_video(path, probe=True)
        num_frames = video_num_frames(reader)
        size = {}

        def chunks():
            for start in range(0, num_frames, chunk_size):
                rgb = decode_frames(reader, range(start, min(start + chunk_size, num_frames)), path)
                size.setdefault('hw', rgb.shape[1:3])
                yield rgb

        parts = self._track(chunks())
        height, width = size['hw']
        return self._to_pose(parts, width, height, video_fps(reader))
