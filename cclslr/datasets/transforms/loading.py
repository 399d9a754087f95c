"""Loading: open the video (decord), load and time-align the pose, decode only the frames the views need.

Keys written (per clip unless noted):

* ``DecordInit``: ``video_reader``, ``video_num_frames`` (frames of the file), ``total_frames`` (frames of
  the annotated range), ``clip_offset`` (file index of the range's first frame), ``avg_fps``.
* ``LoadPose``: ``clip_keypoints`` (total_frames, 133, 2), ``clip_keypoint_scores`` (total_frames, 133),
  ``keypoints_unit`` ('normalized' = 0-1 of the frame, or 'pixel'), ``pose_img_size`` (W, H) if known.
* ``DecodeFrames`` (per view): ``imgs`` uint8 (T, H, W, 3) RGB (an ndarray, or a :class:`SharedFrames`
  that reads as one), ``img_shape`` (H, W); keypoints made pixel.
"""
import json
import os.path as osp
import pickle

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from cclslr.registry import TRANSFORMS
from cclslr.structures import SharedFrames
from ..pose_convert import mediapipe_to_wholebody, mmpose_to_wholebody
from ..pose_io import load_unisign_pose

POSE_FORMATS = ('auto', 'unisign', 'mmpose', 'mediapipe')


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
    """Open ``results['video_path']`` with ``decord.VideoReader`` (no frame is decoded here).

    Args:
        num_threads: decoder threads (1 suits DataLoader workers).
        min_frames: clips with fewer frames in their range are an error ("too short").
    """

    def __init__(self, num_threads: int = 1, min_frames: int = 1):
        self.num_threads, self.min_frames = num_threads, min_frames

    def transform(self, results: dict) -> dict:
        import decord
        path = results['video_path']
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: video file not found')
        try:
            reader = decord.VideoReader(path, num_threads=self.num_threads)
            num_frames = len(reader)
        except Exception as e:  # decord raises DECORDError / RuntimeError with C++ messages
            first_line = str(e).splitlines()[0] if str(e) else ''
            raise RuntimeError(f'{path}: unreadable video ({type(e).__name__}: {first_line})') from e
        if num_frames <= 0:
            raise RuntimeError(f'{path}: unreadable video (no frames)')
        start, end = _clip_range(results, num_frames, path)
        if end - start < self.min_frames:
            raise ValueError(f'{path}: too short: {end - start} frames in range, need {self.min_frames}')
        results.update(video_reader=reader, video_num_frames=num_frames, total_frames=end - start,
                       clip_offset=start, avg_fps=float(reader.get_avg_fps()))
        return results


def read_pose_file(path: str, fmt: str = 'auto'):
    """Read a pose file of any supported format.

    Returns:
        keypoints (T, 133, 2), scores (T, 133), unit ('normalized' or 'pixel'), image size (W, H) or None.
    """
    if fmt not in POSE_FORMATS:
        raise ValueError(f'pose format must be one of {POSE_FORMATS}, got {fmt!r}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: pose file not found')
    ext = osp.splitext(path)[1].lower()
    if fmt == 'auto':
        fmt = {'.pkl': 'unisign', '.pickle': 'unisign', '.json': 'mmpose', '.npz': 'mediapipe',
               '.npy': 'mediapipe'}.get(ext)
        if fmt is None:
            raise ValueError(f'{path}: cannot tell the pose format from the extension {ext!r}; set format=')
    try:
        if fmt == 'unisign':
            kpts, scores, extra = load_unisign_pose(path)
            size = (extra['width'], extra['height']) if 'width' in extra and 'height' in extra else None
            return kpts, scores, 'normalized', size
        if fmt == 'mmpose':
            if ext == '.json':
                with open(path) as f:
                    data = json.load(f)
            else:
                with open(path, 'rb') as f:
                    data = pickle.load(f)
            size = None
            if isinstance(data, dict):  # {'meta': {...}, 'frames'|'instance_info': [...]}
                meta = data.get('meta', data)
                size = (meta['width'], meta['height']) if 'width' in meta and 'height' in meta else None
                data = data.get('instance_info', data.get('frames', data.get('predictions')))
            kpts, scores = mmpose_to_wholebody(data)
            return kpts, scores, 'pixel', size
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.lib.npyio.NpzFile):
            with data:
                data = {k: data[k] for k in data.files}
        kpts, scores = mediapipe_to_wholebody(data)
        return kpts, scores, 'normalized', None
    except (FileNotFoundError, ValueError) as e:
        raise type(e)(str(e) if path in str(e) else f'{path}: {e}') from e
    except Exception as e:
        raise ValueError(f'{path}: unreadable {fmt} pose file ({type(e).__name__}: {e})') from e


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
        format: 'auto' (by extension: .pkl Uni-Sign, .json MMPose, .npz/.npy MediaPipe), or one of them.
        rel_tolerance / abs_tolerance: allowed length mismatch (fraction of the video's frames / frames).
        on_nan: 'zero' treats NaN keypoints as missing (score 0, coordinates 0) and logs the file;
            'error' raises.
    """

    def __init__(self, format: str = 'auto', rel_tolerance: float = 0.1, abs_tolerance: int = 3,
                 on_nan: str = 'zero'):
        if format not in POSE_FORMATS:
            raise ValueError(f'LoadPose: format must be one of {POSE_FORMATS}, got {format!r}')
        if on_nan not in ('zero', 'error'):
            raise ValueError(f"LoadPose: on_nan must be 'zero' or 'error', got {on_nan!r}")
        self.format, self.on_nan = format, on_nan
        self.rel_tolerance, self.abs_tolerance = rel_tolerance, abs_tolerance
        self.num_nan_files = 0

    def transform(self, results: dict) -> dict:
        path = results.get('pose_path')
        if not path:
            raise ValueError(f'{results.get("video_path")}: sample has no pose_path (set data_prefix.pose)')
        kpts, scores, unit, size = read_pose_file(path, self.format)
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
        num_video = results.get('video_num_frames')
        if num_video is not None and len(kpts) != num_video:
            diff = abs(len(kpts) - num_video)
            if diff > max(self.abs_tolerance, self.rel_tolerance * num_video):
                raise ValueError(f'{path}: length mismatch: {len(kpts)} pose frames for {num_video} frames '
                                 f'of {results["video_path"]}')
            idx = align_to_frames(len(kpts), num_video)
            kpts, scores = kpts[idx], scores[idx]
        if num_video is None:  # pose-only: the pose file defines the clip range
            start, end = _clip_range(results, len(kpts), path)
            results.update(total_frames=end - start, clip_offset=start)
        start = results['clip_offset']
        end = start + results['total_frames']
        results.update(clip_keypoints=kpts[start:end], clip_keypoint_scores=scores[start:end],
                       keypoints_unit=unit, pose_img_size=size)
        return results


@TRANSFORMS.register_module()
class DecodeFrames(BaseTransform):
    """Decode the frames of ``results['frame_inds']`` (clip-relative) with the open decord reader.

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
        try:
            frames = reader.get_batch(wanted.tolist()).asnumpy()
        except Exception as e:
            raise RuntimeError(f'{path}: decoding frames {int(wanted.min())}..{int(wanted.max())} failed '
                               f'({type(e).__name__}: {str(e).splitlines()[0]})') from e
        if frames.ndim != 4 or frames.shape[0] != len(wanted):
            raise RuntimeError(f'{path}: decoder returned {frames.shape[0]} frames for {len(wanted)} indices')
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
