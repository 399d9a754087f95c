"""Prepared videos: a sample's frame range cut, resized and re-encoded (H.264) for fast random access.

Training decodes 2 x 32 frames at random positions of each clip, every epoch. Decoding the original files
costs what their resolution and keyframe spacing cost (a 1080p clip with one keyframe per 250 frames
decodes up to 250 full-size frames for one view). :func:`encode_clip` writes, once, the sample's frames
only, at a short side of 256 (enough for 224 crops), as H.264 (``libx264``, yuv420p) with a keyframe every
``gop`` frames, no B-frames and x264's ``fastdecode`` tuning (no CABAC, no deblocking), so a random frame
needs at most ``gop`` small frames of decoding. Decoding of the source is decord's (``cclslr.fileio.video``),
so a prepared file holds exactly the source frames that the dataset's frame indices name; encoding is
PyAV's (``av``, its own FFmpeg).

Each prepared file has a record (one JSON line of ``<root>/prepared.jsonl``, see :func:`read_index`)::

    sample_id, file (relative to the root), source (the original file), source_frames (decord's count),
    frame_start, frame_end (the source frames [start, end) the file holds), source_size (W, H),
    crop_box ([x0, y0, x1, y1] source pixels), size (w, h of the prepared file), fps, bytes

:func:`keypoints_to_prepared` maps keypoints of the source frame into the prepared frame with it.
"""
import json
import os
import os.path as osp
from fractions import Fraction
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from .atomic import atomic_open, make_temp_file
from .video import decode_frames, open_video, video_fps, video_num_frames

INDEX_NAME = 'prepared.jsonl'
RECORD_KEYS = ('sample_id', 'file', 'source', 'source_frames', 'frame_start', 'frame_end', 'source_size',
               'crop_box', 'size', 'fps', 'bytes')


def prepared_file_name(sample_id: str) -> str:
    """``<sample_id>.mp4``, with the ``/`` of ids such as ``wlasl/00123`` as ``__`` (one flat folder)."""
    return sample_id.replace(os.sep, '__').replace('/', '__') + '.mp4'


def prepared_size(width: int, height: int, short_side: int) -> Tuple[int, int]:
    """(w, h) with the short side ``short_side`` (never upscaled), aspect kept, both even (H.264 4:2:0)."""
    scale = min(1.0, short_side / min(width, height))
    return (max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2))


def pixel_box(box: Optional[Sequence[float]], width: int, height: int) -> Tuple[int, int, int, int]:
    """``box`` [x0, y0, x1, y1] in 0-1 of the frame -> integer pixels clamped to the frame (None: all)."""
    if box is None:
        return 0, 0, width, height
    x0, y0, x1, y1 = (float(v) for v in box)
    px0 = min(max(int(round(x0 * width)), 0), width - 1)
    py0 = min(max(int(round(y0 * height)), 0), height - 1)
    px1 = min(max(int(round(x1 * width)), px0 + 1), width)
    py1 = min(max(int(round(y1 * height)), py0 + 1), height)
    return px0, py0, px1, py1


def encode_clip(src: str, dst: str, frame_start: int = 0, frame_end: int = -1, short_side: int = 256,
                box: Optional[Sequence[float]] = None, gop: int = 12, crf: int = 20, preset: str = 'veryfast',
                threads: int = 1, chunk: int = 32) -> dict:
    """Write source frames [frame_start, frame_end) of ``src`` to ``dst`` (H.264 .mp4), atomically.

    Args:
        src: the original video (anything decord reads).
        dst: the prepared file; written to a temporary file beside it, renamed when complete.
        frame_start / frame_end: 0-based source frames, end exclusive; -1 (or an end past the file, as
            WLASL ends sometimes are) = to the end of the file.
        short_side: the prepared short side in pixels (aspect kept, even sizes; smaller sources keep theirs).
        box: optional signer box [x0, y0, x1, y1] in 0-1 of the source frame: frames are cropped to it first.
        gop: frames between keyframes (the most frames decoded to reach any one frame).
        crf / preset: x264 quality (lower = better, bigger) and speed preset.
        threads: encoder threads (1 when several clips are encoded in parallel processes).
        chunk: source frames decoded per decord call (bounds the memory of long videos).

    Returns:
        the file's record (see the module docstring); ``file`` is ``basename(dst)``.

    Raises:
        ValueError naming ``src`` for an unreadable file or an empty range (nothing is written then).
    """
    import av
    import cv2
    reader = open_video(src)
    total = video_num_frames(reader)
    stop = total if frame_end is None or frame_end < 0 else min(frame_end, total)
    if not 0 <= frame_start < stop:
        raise ValueError(f'{src}: empty frame range [{frame_start}, {frame_end}) of a {total}-frame video')
    height, width = reader[0].shape[:2]
    reader.seek(0)
    x0, y0, x1, y1 = pixel_box(box, width, height)
    out_w, out_h = prepared_size(x1 - x0, y1 - y0, short_side)
    fps = video_fps(reader)
    rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(25)
    fd, tmp = make_temp_file(dst)
    os.close(fd)
    try:
        with av.open(tmp, 'w', format='mp4') as container:
            stream = container.add_stream('libx264', rate=rate)
            stream.width, stream.height, stream.pix_fmt = out_w, out_h, 'yuv420p'
            stream.thread_count = threads
            # Fixed keyframe spacing (no scene-cut keyframes in between, none further apart), no B-frames
            # (decode order = display order), fastdecode: the cheapest H.264 to decode at a random frame.
            stream.options = {'crf': str(crf), 'preset': preset, 'tune': 'fastdecode', 'g': str(gop),
                              'keyint_min': str(gop), 'sc_threshold': '0', 'bf': '0'}
            for first in range(frame_start, stop, chunk):
                frames = decode_frames(reader, range(first, min(first + chunk, stop)), src)
                for img in frames[:, y0:y1, x0:x1]:
                    if img.shape[:2] != (out_h, out_w):
                        img = cv2.resize(img, (out_w, out_h), interpolation=cv2.INTER_AREA)
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format='rgb24')
                    container.mux(stream.encode(frame.reformat(format='yuv420p')))
            container.mux(stream.encode(None))
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a shared dataset from other users
        os.replace(tmp, dst)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return dict(file=osp.basename(dst), source=src, source_frames=total, frame_start=frame_start,
                frame_end=stop, source_size=[width, height], crop_box=[x0, y0, x1, y1], size=[out_w, out_h],
                fps=float(rate), bytes=osp.getsize(dst))


def job_request(job: dict, settings: dict) -> dict:
    """What a record of ``tools/data/prepare_videos.py`` was made from (the job: source, range, box; and
    the encoding settings that change the file): a record with another request is prepared again."""
    return dict(job, **{k: settings[k] for k in ('short_side', 'gop', 'crf')})


def prepare_job(args) -> tuple:
    """One job of ``tools/data/prepare_videos.py``: ``args = (job, out_dir, settings)``, ``job`` a dict with
    ``sample_id``, ``source``, ``frame_start``, ``frame_end``, ``box``. Returns ``(job, record, None)`` or
    ``(job, None, error message)``; never raises (a bad clip is reported and the run goes on). A
    module-level function so that spawned worker processes can import it."""
    job, out, settings = args
    try:
        rec = encode_clip(job['source'], osp.join(out, prepared_file_name(job['sample_id'])),
                          job['frame_start'], job['frame_end'], box=job['box'], **settings)
    except Exception as e:  # noqa: BLE001
        return job, None, f'{type(e).__name__}: {e}'
    rec.update(sample_id=job['sample_id'], request=job_request(job, settings))
    return job, rec, None


def read_index(root: str, strict: bool = True) -> Dict[str, dict]:
    """``{sample_id: record}`` of ``<root>/prepared.jsonl`` (a later line of the same id wins).

    Args:
        strict: a line that is no record is an error naming the file and the line; with ``strict=False``
            (the resuming tool, whose previous run may have been killed mid-line) it is skipped.

    Raises:
        FileNotFoundError when the index is missing; ValueError for a bad line (strict).
    """
    path = osp.join(root, INDEX_NAME)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no prepared-video index (run tools/data/prepare_videos.py)')
    records = {}
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                missing = [k for k in RECORD_KEYS if k not in rec] if isinstance(rec, dict) else RECORD_KEYS
                if missing:
                    raise ValueError(f'missing keys {list(missing)}')
            except ValueError as e:
                if strict:
                    raise ValueError(f'{path}: line {n} is not a prepared-video record ({e})') from e
                continue
            records[str(rec['sample_id'])] = rec
    return records


def write_index(root: str, records: Dict[str, dict]) -> None:
    """Write ``records`` as ``<root>/prepared.jsonl`` (sorted by sample id), atomically."""
    with atomic_open(osp.join(root, INDEX_NAME)) as f:
        for key in sorted(records):
            f.write((json.dumps(records[key], sort_keys=True) + '\n').encode('utf-8'))


def keypoints_to_prepared(kpts: np.ndarray, unit: str, record: dict) -> np.ndarray:
    """Keypoints (..., 2) of the source frame -> the same points in the prepared frame, same unit.

    'pixel': x' = (x - x0 + 0.5) * w / (x1 - x0) - 0.5 (pixel centres, as ``cv2.resize`` maps them);
    'normalized' (0-1 of the frame, pixel = x * W as ``DecodeFrames`` converts): the same map on x * W,
    divided by w. Without a crop, 0-1 keypoints move by under half a source pixel (that map and the
    even-size rounding of the prepared size).
    """
    x0, y0, x1, y1 = record['crop_box']
    w, h = record['size']
    kpts = np.asarray(kpts, np.float32)
    scale = np.array([w / (x1 - x0), h / (y1 - y0)], np.float32)
    origin = np.array([x0, y0], np.float32)
    if unit == 'pixel':
        return ((kpts - origin + 0.5) * scale - 0.5).astype(np.float32)
    if unit == 'normalized':
        src = np.array(record['source_size'], np.float32)
        return (((kpts * src - origin + 0.5) * scale - 0.5) / np.array([w, h], np.float32)).astype(np.float32)
    raise ValueError(f'keypoints_to_prepared: unknown keypoint unit {unit!r}')
