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

Sample keys read (besides ``video_path``, ``pose_path``):

* ``frame_start`` / ``frame_end``: the annotated range, 0-based [start, end) frames of the video file
  (``frame_end`` -1 = to the end). An end past the file's last frame by up to ``end_tolerance`` frames is
  cut to the file (WLASL's ends overshoot by a frame or two); further is an error naming the file.
* ``pose_frame_offset`` (optional int): the frame of the video file (in the numbering of ``frame_start``)
  that the pose file's frame 0 shows; the pose file is then matched to the video frame by frame. Without
  it the pose file covers the whole video (``LoadPose(pose_trimmed=False)``, the default) or exactly the
  annotated range (``pose_trimmed=True``: files already cut to the sample, as many shared MediaPipe sets
  are), and is aligned to those frames by time.
* ``width`` / ``height`` (optional): the video's frame size from the annotation (MS-ASL rows have it),
  used for 0-1 keypoints when the pose file does not record its own (``pose_img_size``; the order is
  the pose file, the annotation, then the decoded frames: :class:`DecodeFrames` makes 0-1 keypoints
  pixel with the frames' size).
* ``source_frame_offset``, ``pose_source_frames``, ``prepared_geometry`` (set by the dataset when it reads
  the files of ``tools/data/prepare_videos.py``, ``cclslr/datasets/prepared.py``): the prepared file's frame
  0 is frame ``source_frame_offset`` of the original video, which has ``pose_source_frames`` frames and
  whose frames and pixels the pose file indexes; keypoints are mapped into the prepared frame.
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from cclslr.fileio import (check_pose_format, decode_frames, open_video, read_pose, video_fps,
                           video_num_frames)
from cclslr.fileio.pose_files import checked_image_size
from cclslr.fileio.video_encode import keypoints_to_prepared
from cclslr.registry import TRANSFORMS
from cclslr.structures import SharedFrames


# Frames an annotated end may run past the end of a file before it is an error. WLASL's frame_end values
# overshoot the decoded files by a frame or two (the same count disagreement between tools that LoadPose's
# abs_tolerance of 3 allows between a pose file and its video); 3 accepts those and refuses a range that
# belongs to another cut or frame rate of the file.
END_TOLERANCE = 3


def _clip_range(results: dict, num_frames: int, path: str, end_tolerance: int = END_TOLERANCE,
                offset: int = 0, hint: str = ''):
    """0-based [start, end) of the annotated range inside a file of ``num_frames`` frames whose frame 0
    is the annotation's frame ``offset`` (0: the file starts with the video; > 0: a file cut later).
    ``hint`` ends the messages of the errors."""
    start = int(results.get('frame_start', 0))
    end = int(results.get('frame_end', -1))
    shown = f'[{start}, {end})'
    if start < offset:
        raise ValueError(f'{path}: the file starts at frame {offset} but the frame range {shown} starts at '
                         f'{start}')
    start, end = start - offset, num_frames if end < 0 else end - offset
    if start >= num_frames:
        raise ValueError(f'{path}: too short: frame range {shown} is outside the file\'s {num_frames} '
                         f'frames{hint}')
    if end > num_frames:
        if end - num_frames > end_tolerance:
            raise ValueError(f'{path}: frame range {shown} runs {end - num_frames} frames past the end of '
                             f'its {num_frames} frames (more than end_tolerance={end_tolerance}): the '
                             f'annotation is not of this file (another cut or frame rate?){hint}')
        end = num_frames  # a WLASL-style overshoot of a frame or two
    if start >= end:
        raise ValueError(f'{path}: too short: frame range {shown} is empty{hint}')
    return start, end


@TRANSFORMS.register_module()
class DecordInit(BaseTransform):
    """Open ``results['video_path']`` (``cclslr.fileio.open_video``: decord; no frame is decoded here).

    Args:
        num_threads: decoder threads (1 suits DataLoader workers).
        min_frames: clips with fewer frames in their range are an error ("too short").
        probe: open each file in a forked child first (``open_video(probe=True)``), so that a file on which
            decord aborts is an error naming it instead of a dead DataLoader worker (docs/notes/fuzzing.md).
        end_tolerance: frames the annotated end may run past the file's end (cut to the file); further is
            an error (see ``END_TOLERANCE``).
    """

    def __init__(self, num_threads: int = 1, min_frames: int = 1, probe: bool = False,
                 end_tolerance: int = END_TOLERANCE):
        self.num_threads, self.min_frames, self.probe = num_threads, min_frames, probe
        self.end_tolerance = end_tolerance

    def transform(self, results: dict) -> dict:
        path = results['video_path']
        reader = open_video(path, self.num_threads, probe=self.probe)
        num_frames = video_num_frames(reader)
        start, end = _clip_range(results, num_frames, path, self.end_tolerance)
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
    """Load ``results['pose_path']`` and align it to the video frames.

    Which video frames the pose file holds:

    * by default, all of them: pose frame i is video frame i. When the file's length differs from the
      video's (``video_num_frames``, set by :class:`DecordInit`), it is resampled to the video frames by
      time; a difference above ``max(abs_tolerance, rel_tolerance * video frames)`` is an error naming
      both files. Without a video (pose-only pipelines) the pose file's own length is the video's.
    * ``pose_trimmed=True``: exactly the sample's annotated range ``[frame_start, frame_end)`` (files cut
      to the sample). With a video, the file is resampled by time to the range's frames under the same
      tolerance; pose-only, the file is the range.
    * a sample's ``pose_frame_offset`` k (overrides both): pose frame i is video frame k + i, frame for
      frame (no resampling). A range that starts before the pose file is an error.

    Either way an annotated end past the last frame by up to ``end_tolerance`` frames is cut to the
    frames there are (the clip gets shorter, RGB and pose alike); further is an error.

    Args:
        format: 'auto' (by extension: .pkl Uni-Sign, .json MMPose, .npz/.npy MediaPipe, .pose pose-format,
            .parquet GISLR), or a format name of ``cclslr.fileio.pose_format_names()``.
        rel_tolerance / abs_tolerance: allowed length mismatch (fraction of the video's frames / frames).
        on_nan: 'zero' treats NaN keypoints as missing (score 0, coordinates 0) and logs the file;
            'error' raises.
        pose_trimmed: the pose files hold only their sample's range (see above).
        end_tolerance: frames an annotated range may run past the end of the pose file.
        reader_options: keyword options of the format's reader, e.g. ``dict(layout='pose_hands_xyz')``
            for MediaPipe arrays (docs/datasets.md, "Pose file formats").

    The image size of 0-1 keypoints (``pose_img_size``): the pose file's, else the sample's ``width`` /
    ``height``, else None (then :class:`DecodeFrames` makes them pixel with the decoded frames' size, or,
    pose-only, :class:`PoseNormalize` warns).
    """

    def __init__(self, format: str = 'auto', rel_tolerance: float = 0.1, abs_tolerance: int = 3,
                 on_nan: str = 'zero', pose_trimmed: bool = False, end_tolerance: int = END_TOLERANCE,
                 reader_options: dict = None):
        check_pose_format(format, 'LoadPose: format')
        if on_nan not in ('zero', 'error'):
            raise ValueError(f"LoadPose: on_nan must be 'zero' or 'error', got {on_nan!r}")
        self.format, self.on_nan = format, on_nan
        self.rel_tolerance, self.abs_tolerance = rel_tolerance, abs_tolerance
        self.pose_trimmed, self.end_tolerance = pose_trimmed, end_tolerance
        self.num_nan_files = 0
        self.reader_options = dict(reader_options or {})

    def transform(self, results: dict) -> dict:
        path = results.get('pose_path')
        if not path:
            raise ValueError(f'{results.get("video_path")}: sample has no pose_path (set data_prefix.pose)')
        pose = read_pose(path, self.format, **self.reader_options)
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
        offset = results.get('pose_frame_offset')
        if offset is not None and (isinstance(offset, bool) or not isinstance(offset, (int, np.integer))):
            raise ValueError(f'{path}: the sample\'s pose_frame_offset must be an integer, got {offset!r}')
        # Prepared videos (cclslr/datasets/prepared.py): the file's frame 0 is frame ``shift`` of the
        # original video, whose frames and pixels the pose file indexes.
        shift = int(results.get('source_frame_offset', 0))
        if results.get('video_num_frames') is None:  # pose-only: the pose file defines the clip range
            if offset is None:
                offset = int(results.get('frame_start', 0)) if self.pose_trimmed else -shift
            else:
                offset = int(offset) - shift
            hint = '' if self.pose_trimmed or 'pose_frame_offset' in results else (
                '; if the pose files hold only their sample\'s frames, set LoadPose(pose_trimmed=True)')
            start, end = _clip_range(results, len(kpts), path, self.end_tolerance, int(offset), hint)
            results.update(total_frames=end - start, clip_offset=start)
        else:
            kpts, scores, start = self._align_to_video(results, kpts, scores, offset, path)
        end = start + results['total_frames']
        if size is None and results.get('width') is not None and results.get('height') is not None:
            size = checked_image_size(f'{path} (the sample\'s annotation)', results['width'],
                                      results['height'])
        kpts, scores = kpts[start:end], scores[start:end]
        if 'prepared_geometry' in results:
            kpts = keypoints_to_prepared(kpts, unit, results['prepared_geometry'])
            size = tuple(results['prepared_geometry']['size'])
        results.update(clip_keypoints=kpts, clip_keypoint_scores=scores, keypoints_unit=unit,
                       pose_img_size=size)
        return results

    def _align_to_video(self, results: dict, kpts, scores, offset, path: str):
        """Pose arrays and the index in them of the clip's first frame (``clip_offset`` of the video);
        may shorten ``total_frames`` when a pose file with an offset ends early (within tolerance)."""
        num_video = results.get('pose_source_frames', results['video_num_frames'])
        first = results['clip_offset'] + int(results.get('source_frame_offset', 0))
        if offset is not None:  # frame for frame, shifted
            first -= int(offset)
            if first < 0:
                raise ValueError(f'{path}: the pose file starts at frame {offset} (pose_frame_offset) but '
                                 f'the clip starts at frame {results["clip_offset"]} of '
                                 f'{results["video_path"]}')
            missing = first + results['total_frames'] - len(kpts)
            if missing >= results['total_frames']:
                raise ValueError(f'{path}: too short: the pose file\'s {len(kpts)} frames from frame '
                                 f'{offset} (pose_frame_offset) end before the clip starts at frame '
                                 f'{results["clip_offset"]}')
            if missing > self.end_tolerance:
                raise ValueError(f'{path}: the clip runs {missing} frames past the end of the pose file\'s '
                                 f'{len(kpts)} frames (from frame {offset}; more than end_tolerance='
                                 f'{self.end_tolerance})')
            if missing > 0:
                results['total_frames'] -= missing
            return kpts, scores, first
        # By time: the pose file spans the whole video, or (trimmed) the clip's frames.
        span = results['total_frames'] if self.pose_trimmed else num_video
        if len(kpts) != span:
            diff = abs(len(kpts) - span)
            if diff > max(self.abs_tolerance, self.rel_tolerance * span):
                what = 'frames of the clip' if self.pose_trimmed else 'frames of'
                raise ValueError(f'{path}: length mismatch: {len(kpts)} pose frames for {span} {what} '
                                 f'{results["video_path"]}')
            idx = align_to_frames(len(kpts), span)
            kpts, scores = kpts[idx], scores[idx]
        return kpts, scores, 0 if self.pose_trimmed else first


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
