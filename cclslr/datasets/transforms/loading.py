"""Loading: open the video, load and time-align the pose, decode only the frames the views need.

File access is ``cclslr.fileio`` (``video.py``: decord; ``pose_files.py``: every pose format); these
transforms hold the dataset logic: the annotated frame range, time alignment, NaN policy, views.

Keys written (per clip unless noted):

* ``DecordInit``: ``video_reader``, ``video_num_frames`` (frames of the file), ``total_frames`` (frames of
  the annotated range), ``clip_offset`` (file index of the range's first frame), ``avg_fps``.
* ``LoadPose``: ``clip_keypoints`` (total_frames, 133, 2), ``clip_keypoint_scores`` (total_frames, 133),
  ``keypoints_unit`` ('normalized' = 0-1 of the frame, or 'pixel'), ``pose_img_size`` (W, H) if known.
* ``DecodeFrames`` (per view): ``imgs`` uint8 (T, H, W, 3) RGB (an ndarray, or a :class:`SharedFrames`
  that reads as one), ``img_shape`` (H, W); keypoints made pixel.
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from cclslr.fileio import (check_pose_format, decode_frames, open_video, read_pose, video_fps,
                           video_num_frames)
from cclslr.fileio.video_encode import keypoints_to_prepared
from cclslr.registry import TRANSFORMS
from cclslr.structures import SharedFrames


def _clip_range(results: dict, num_frames: int, path: str):
    """0-based [start, end) of the annotated range inside a file of ``num_frames`` frames."""
    start = int(results.get('frame_start', 0))
    end = int(results.get('frame_end', -1))
    end = num_frames if end < 0 else min(end, num_frames)  # WLASL ends sometimes overshoot the file
    if start >= end:
        raise ValueError(f'{path}: too short: frame range [{start}, {results.get("frame_end", -1)}) is '
                         f'outside the file\'s {num_frames} frames')
    return start, end


@TRANSFORMS.register_module()
class DecordInit(BaseTransform):
    """Open ``results['video_path']`` (``cclslr.fileio.open_video``: decord; no frame is decoded here).

    Args:
        num_threads: decoder threads (1 suits DataLoader workers).
        min_frames: clips with fewer frames in their range are an error ("too short").
        probe: open each file in a forked child first (``open_video(probe=True)``), so that a file on which
            decord aborts is an error naming it instead of a dead DataLoader worker (docs/notes/fuzzing.md).
    """

    def __init__(self, num_threads: int = 1, min_frames: int = 1, probe: bool = False):
        self.num_threads, self.min_frames, self.probe = num_threads, min_frames, probe

    def transform(self, results: dict) -> dict:
        path = results['video_path']
        reader = open_video(path, self.num_threads, probe=self.probe)
        num_frames = video_num_frames(reader)
        start, end = _clip_range(results, num_frames, path)
        if end - start < self.min_frames:
            raise ValueError(f'{path}: too short: {end - start} frames in range, need {self.min_frames}')
        results.update(video_reader=reader, video_num_frames=num_frames, total_frames=end - start,
                       clip_offset=start, avg_fps=video_fps(reader))
        return results


def align_to_frames(num_src: int, num_dst: int) -> np.ndarray:
    """Index of the source frame nearest in time to each of ``num_dst`` frames spanning the same clip."""
    return np.minimum(((np.arange(num_dst) + 0.5) * num_src / num_dst).astype(np.int64), num_src - 1)


@TRANSFORMS.register_module()
class LoadPose(BaseTransform):
    """Load ``results['pose_path']`` and align it to the video frames by time.

    The pose file indexes the same frames as the video file. When its length differs from the video's
    (``video_num_frames``, set by :class:`DecordInit`), it is resampled to the video frames; a difference
    above ``max(abs_tolerance, rel_tolerance * video frames)`` is an error naming both files. Without a
    video (pose-only pipelines) the pose file's own length is the clip's.

    Args:
        format: 'auto' (by extension: .pkl Uni-Sign, .json MMPose, .npz/.npy MediaPipe), or a format
            name of ``cclslr.fileio.pose_format_names()`` ('unisign', 'mmpose', 'mediapipe').
        rel_tolerance / abs_tolerance: allowed length mismatch (fraction of the video's frames / frames).
        on_nan: 'zero' treats NaN keypoints as missing (score 0, coordinates 0) and logs the file;
            'error' raises.
    """

    def __init__(self, format: str = 'auto', rel_tolerance: float = 0.1, abs_tolerance: int = 3,
                 on_nan: str = 'zero'):
        check_pose_format(format, 'LoadPose: format')
        if on_nan not in ('zero', 'error'):
            raise ValueError(f"LoadPose: on_nan must be 'zero' or 'error', got {on_nan!r}")
        self.format, self.on_nan = format, on_nan
        self.rel_tolerance, self.abs_tolerance = rel_tolerance, abs_tolerance
        self.num_nan_files = 0

    def transform(self, results: dict) -> dict:
        path = results.get('pose_path')
        if not path:
            raise ValueError(f'{results.get("video_path")}: sample has no pose_path (set data_prefix.pose)')
        pose = read_pose(path, self.format)
        kpts, scores, unit, size = pose.keypoints, pose.scores, pose.unit, pose.image_size
        if len(kpts) == 0:
            raise ValueError(f'{path}: pose file has no frames')
        bad = ~(np.isfinite(kpts).all(-1) & np.isfinite(scores))
        if bad.any():
            if self.on_nan == 'error':
                raise ValueError(f'{path}: {int(bad.any(-1).sum())} frames hold NaN/inf keypoints')
            self.num_nan_files += 1
            MMLogger.get_current_instance().warning(
                f'{path}: {int(bad.sum())} NaN/inf keypoints in {int(bad.any(-1).sum())} frames '
                'treated as missing')
            kpts = np.where(bad[..., None], 0.0, kpts).astype(np.float32)
            scores = np.where(bad, 0.0, scores).astype(np.float32)
            results['pose_num_nan'] = int(bad.sum())
        # Prepared videos (cclslr/datasets/prepared.py): the pose indexes the original's frames and pixels.
        offset = results.get('pose_frame_offset', 0)
        num_video = results.get('pose_source_frames', results.get('video_num_frames'))
        if num_video is not None and len(kpts) != num_video:
            diff = abs(len(kpts) - num_video)
            if diff > max(self.abs_tolerance, self.rel_tolerance * num_video):
                raise ValueError(f'{path}: length mismatch: {len(kpts)} pose frames for {num_video} frames '
                                 f'of {results["video_path"]}')
            idx = align_to_frames(len(kpts), num_video)
            kpts, scores = kpts[idx], scores[idx]
        if 'video_num_frames' not in results:  # pose-only: the pose file defines the clip range
            start, end = _clip_range(results, len(kpts) - offset, path)
            results.update(total_frames=end - start, clip_offset=start)
        start = results['clip_offset'] + offset
        end = start + results['total_frames']
        kpts, scores = kpts[start:end], scores[start:end]
        if 'prepared_geometry' in results:
            kpts = keypoints_to_prepared(kpts, unit, results['prepared_geometry'])
            size = tuple(results['prepared_geometry']['size'])
        results.update(clip_keypoints=kpts, clip_keypoint_scores=scores, keypoints_unit=unit,
                       pose_img_size=size)
        return results


@TRANSFORMS.register_module()
class DecodeFrames(BaseTransform):
    """Decode the frames of ``results['frame_inds']`` (clip-relative) with the open video reader.

    Inside :class:`MultiView`, :meth:`transform_views` decodes the union of all views' indices with a
    single ``get_batch`` call, so two views of a clip cost one decode. The views then share the decoded
    array: each view's ``imgs`` is a :class:`SharedFrames` (no copy) that the first crop/resize turns into
    the view's own small array; a single view whose indices are exactly the decoded frames gets the
    decoded ndarray itself. Keypoints in 0-1 units become pixel coordinates of the decoded frames. The
    reader is dropped afterwards (it cannot be pickled).
    """

    def transform(self, results: dict) -> dict:
        return self.transform_views([results])[0]

    def transform_views(self, views: list) -> list:
        first = views[0]
        if 'video_reader' not in first:
            raise KeyError('DecodeFrames needs DecordInit earlier in the pipeline')
        path, reader = first['video_path'], first['video_reader']
        offset = first['clip_offset']
        wanted = np.unique(np.concatenate([np.asarray(v['frame_inds']) for v in views])) + offset
        frames = decode_frames(reader, wanted, path)
        if len(views) > 1:
            frames.setflags(write=False)  # shared by the views: nobody may write into another's frames
        h, w = frames.shape[1:3]
        out = []
        for v in views:
            v = dict(v)
            pos = np.searchsorted(wanted, np.asarray(v['frame_inds']) + offset)
            own = len(views) == 1 and len(pos) == len(frames) and (np.diff(pos) == 1).all()
            v['imgs'] = frames if own else SharedFrames(frames, pos)
            v['img_shape'] = v['ori_shape'] = (h, w)
            if 'keypoints' in v and v.get('keypoints_unit') == 'normalized':
                v['keypoints'] = v['keypoints'] * np.array([w, h], np.float32)
                v['keypoints_unit'] = 'pixel'
            v.pop('video_reader', None)
            out.append(v)
        return out
