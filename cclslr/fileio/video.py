"""The one video reader and writer of cclslr: decord decodes, OpenCV ('mp4v') writes.

Reading is random access through a decord ``VideoReader``:

* :func:`open_video` opens a file (nothing is decoded);
* :func:`video_num_frames` and :func:`video_fps` give its frame count (as decord counts them, from the
  container; docs/keypoints.md "Frame counts") and mean frame rate;
* :func:`decode_frames` decodes a list of file frame indices into one uint8 (N, H, W, 3) RGB array.

:func:`read_video` decodes a frame range in one call (the tools); :func:`write_video` writes frames.
Every error is a ``ValueError`` that names the file and the problem.
"""
import os
import os.path as osp
from typing import Sequence, Tuple

import numpy as np


def _first_line(error: Exception) -> str:
    """decord's messages carry a C++ stack trace after the first line."""
    return (str(error).splitlines() or [''])[0]


def open_video(path: str, num_threads: int = 1):
    """Open a video file for decoding; no frame is decoded here.

    Args:
        path: any file decord (FFmpeg) reads.
        num_threads: decoder threads (1 suits DataLoader workers; 0 lets FFmpeg choose).

    Returns:
        a ``decord.VideoReader``: pass it to :func:`decode_frames`, :func:`video_num_frames`,
        :func:`video_fps`.

    Raises:
        ValueError: ``'<path>: cannot open video (...)'`` for a missing, undecodable or empty file.
    """
    if not osp.isfile(path):
        raise ValueError(f'{path}: cannot open video (file not found)')
    import decord
    try:
        reader = decord.VideoReader(path, num_threads=num_threads)
        num_frames = len(reader)
    except Exception as e:  # decord raises DECORDError / RuntimeError with C++ messages
        raise ValueError(f'{path}: cannot open video ({type(e).__name__}: {_first_line(e)})') from e
    if num_frames <= 0:
        raise ValueError(f'{path}: cannot open video (no frames)')
    return reader


def video_num_frames(reader) -> int:
    """Frames of the file, as decord counts them (what frame indices and pose/mask files refer to)."""
    return len(reader)


def video_fps(reader) -> float:
    """The file's mean frame rate (frames per second)."""
    return float(reader.get_avg_fps())


def decode_frames(reader, indices: Sequence[int], path: str) -> np.ndarray:
    """Decode file frames ``indices`` (in their order; repeats allowed) with one decoder call.

    Args:
        reader: what :func:`open_video` returned (or anything with decord's ``get_batch``).
        indices: 0-based frame indices of the file.
        path: the file's name, for the error messages.

    Returns:
        uint8 (len(indices), H, W, 3) RGB, a fresh writable array (decord's buffer, no further copy).

    Raises:
        ValueError naming ``path`` when decoding fails or returns another number of frames.
    """
    inds = np.asarray(indices, dtype=np.int64).reshape(-1)
    try:
        frames = reader.get_batch(inds.tolist()).asnumpy()
    except Exception as e:
        span = f'{int(inds.min())}..{int(inds.max())}' if len(inds) else '(none)'
        raise ValueError(f'{path}: cannot decode frames {span} ({type(e).__name__}: {_first_line(e)})') from e
    if frames.ndim != 4 or frames.shape[0] != len(inds):
        raise ValueError(f'{path}: cannot decode frames: the decoder returned {frames.shape[0]} frames for '
                         f'{len(inds)} indices')
    return frames


def read_video(path: str, start: int = 0, end: int = -1, num_threads: int = 1) -> Tuple[np.ndarray, int]:
    """Decode frames [start, end) of a video file.

    Args:
        path: video file.
        start: first frame (0-based, inclusive).
        end: last frame (exclusive); -1 (or None) = to the end of the file.
        num_threads: decoder threads.

    Returns:
        (frames uint8 (T, H, W, 3) RGB, number of frames of the whole file).

    Raises:
        ValueError naming the file when it is missing or unreadable, or the range is empty.
    """
    reader = open_video(path, num_threads)
    total = video_num_frames(reader)
    stop = total if end is None or end < 0 else min(end, total)
    if start >= stop:
        raise ValueError(f'{path}: empty frame range [{start}, {end}) of a {total}-frame video')
    return decode_frames(reader, range(start, stop), path), total


def write_video(path: str, frames: np.ndarray, fps: float = 25.0) -> None:
    """Write uint8 (T, H, W, 3) RGB frames as an 'mp4v' (MPEG-4 part 2) video, atomically.

    The frames go to ``<name>.tmp<ext>`` beside ``path`` first and are renamed at the end, so an
    interrupted run never leaves a truncated video under the final name.

    Raises:
        ValueError naming ``path`` for frames of another shape or dtype; RuntimeError when this OpenCV
        build has no mp4v writer.
    """
    import cv2
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f'{path}: frames to write must be uint8 (T, H, W, 3), got {frames.dtype} '
                         f'{frames.shape}')
    h, w = frames.shape[1:3]
    base, ext = osp.splitext(path)
    tmp = f'{base}.tmp{ext}'  # OpenCV picks the container from the extension
    writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'{path}: cv2.VideoWriter cannot open an mp4v writer (OpenCV build without it?)')
    try:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))  # OpenCV writes BGR
    finally:
        writer.release()
    os.replace(tmp, path)
