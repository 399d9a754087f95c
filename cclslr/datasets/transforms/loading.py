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

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from cclslr.registry import TRANSFORMS
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


class SharedFrames:
    """A view's frames, uint8 (T, H, W, C), as rows ``pos`` of a decoded array shared by the clip's views.

    Why: the views of a clip are cut from one decode, and copying every view's full-resolution frames
    (~200 MB for 32 frames of 1080p) cost more than decoding them. Nothing is copied until a transform
    needs the view's own array: :meth:`crop_resize` (used by the geometric transforms) reads only its
    box of each shared frame; any other use (``np.asarray(x)``, indexing) builds the full-size copy.
    An optional per-view ``mask`` (bool (T, h, w), from ``MotionMask``; another size than the frames'
    is resized nearest-neighbour, as ``MotionMask`` does) multiplies the frames lazily, only inside the
    crop, which gives exactly what masking the full frames and then cropping gave.

    Args:
        source: uint8 (N, H, W, C) decoded frames (made read-only when shared by several views).
        pos: int (T,) rows of ``source`` that form the view, in order.
        mask: optional bool (T, h, w).
    """

    __slots__ = ('source', 'pos', 'mask')

    def __init__(self, source: np.ndarray, pos: np.ndarray, mask=None):
        self.source, self.pos, self.mask = source, np.asarray(pos, np.int64), mask

    @property
    def shape(self):
        return (len(self.pos),) + self.source.shape[1:]

    @property
    def dtype(self):
        return self.source.dtype

    @property
    def ndim(self):
        return self.source.ndim

    def __len__(self):
        return len(self.pos)

    def _frame_mask(self, i: int) -> np.ndarray:
        """uint8 (H, W) 0/1 mask of view frame ``i`` at the frame size (nearest-neighbour, as MotionMask
        resizes masks of another size)."""
        m = self.mask[i].view(np.uint8)
        h, w = self.source.shape[1:3]
        return m if m.shape == (h, w) else cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST)

    def _frame(self, i: int, p: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Box of source row ``p`` (view frame ``i``), masked if there is a mask: a view, or a new array."""
        src = self.source[p, y0:y1, x0:x1]
        if self.mask is None:
            return src
        # cv2.bitwise_and with a mask zeroes the pixels outside it: exactly src * mask, ~10x faster.
        return cv2.bitwise_and(src, src, mask=self._frame_mask(i)[y0:y1, x0:x1])

    def __array__(self, dtype=None, copy=None):
        imgs = self.crop_resize((0, 0, self.source.shape[2], self.source.shape[1]))  # own, writeable
        return imgs if dtype is None else imgs.astype(dtype, copy=False)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):  # one frame: no need to build the others
            h, w = self.source.shape[1:3]
            return self._frame(int(key), int(self.pos[key]), 0, 0, w, h).copy()
        return np.asarray(self)[key]

    def with_mask(self, mask: np.ndarray) -> 'SharedFrames':
        """The same frames multiplied by ``mask`` bool (T, h, w) (of any size: resized nearest-neighbour
        to the frames when used), combined with any earlier mask."""
        mask = np.ascontiguousarray(mask, bool)
        if mask.ndim != 3 or len(mask) != len(self.pos):
            raise ValueError(f'SharedFrames: mask of shape {mask.shape} for a view of {len(self.pos)} frames')
        out = SharedFrames(self.source, self.pos, mask)
        if self.mask is not None:  # both at the frame size, then combined
            out.mask = np.stack([self._frame_mask(i) & out._frame_mask(i) for i in range(len(mask))]) > 0
        return out

    def crop_resize(self, box, out_size=None) -> np.ndarray:
        """uint8 (T, h, w, C): frames cropped to ``box`` = (x0, y0, x1, y1) (inside the frame), then
        resized to ``out_size`` (w, h) with ``cv2.INTER_LINEAR`` frame by frame, straight from the shared
        array (``cv2.resize`` reads the strided crop without copying it)."""
        x0, y0, x1, y1 = box
        h, w = self.source.shape[1:3]
        if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
            raise ValueError(f'SharedFrames.crop_resize: box {box} is outside the {w}x{h} frames')
        if out_size is None and self.mask is None:
            return self.source[self.pos, y0:y1, x0:x1]  # one gather of the boxes
        ow, oh = (x1 - x0, y1 - y0) if out_size is None else out_size
        out = np.empty((len(self.pos), oh, ow) + self.source.shape[3:], self.source.dtype)
        first = {}  # source row -> first output frame (views repeat frames when the span < T)
        for i, p in enumerate(self.pos.tolist()):
            if self.mask is None and p in first:
                out[i] = out[first[p]]
                continue
            first.setdefault(p, i)
            frame = self._frame(i, p, x0, y0, x1, y1)
            if out_size is None:
                out[i] = frame
            else:
                cv2.resize(frame, (ow, oh), dst=out[i], interpolation=cv2.INTER_LINEAR)
        return out

    def __repr__(self):
        return f'SharedFrames(shape={self.shape}, masked={self.mask is not None})'


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
