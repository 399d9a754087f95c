"""The one video reader and writer of cclslr: decord decodes, OpenCV ('mp4v') writes.

Reading is random access through a decord ``VideoReader``:

* :func:`open_video` opens a file (nothing is decoded);
* :func:`video_num_frames` and :func:`video_fps` give its frame count (as decord counts them, from the
  container; docs/keypoints.md "Frame counts") and mean frame rate;
* :func:`decode_frames` decodes a list of file frame indices into one uint8 (N, H, W, 3) RGB array.

:func:`read_video` decodes a frame range in one call (the tools); :func:`write_video` writes frames.
Every error is a ``ValueError`` that names the file and the problem.

decord aborts the whole process (an uncaught C++ ``std::bad_alloc``, SIGABRT) on some corrupt containers,
e.g. a real clip with 32 flipped bits (docs/notes/fuzzing.md). ``open_video(probe=True)`` therefore
opens the file once in a forked child first: a child killed by a signal (or stuck past
:data:`PROBE_TIMEOUT_S`) becomes a ``ValueError`` naming the file, and only then does this process open it.
"""
import os
import os.path as osp
import signal
import time
from typing import Sequence, Tuple

import numpy as np


def _first_line(error: Exception) -> str:
    """decord's messages carry a C++ stack trace after the first line."""
    return (str(error).splitlines() or [''])[0]


PROBE_TIMEOUT_S = 60.0  # a hang guard: opening a good clip takes milliseconds
# Files this process has probed without a crash, with the (size, mtime) they had then: a training run opens
# every clip once per epoch, and only the first open needs the probe.
_PROBED_OK = {}


def _probe_in_child(path: str) -> None:
    """Open ``path`` with decord in a forked child; raise a ValueError if the child dies of a signal.

    The child only opens the file and counts its frames (where decord aborts), then ``os._exit``s, so it
    runs no atexit handler nor any other code of the parent. A Python-level error in the child is not
    reported here: the parent's own open gives the full message.
    """
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            import decord
            len(decord.VideoReader(path, num_threads=1))
        except BaseException:  # noqa: BLE001 - the parent reports it by opening the file itself
            code = 1
        os._exit(code)
    deadline = time.monotonic() + PROBE_TIMEOUT_S
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise ValueError(f'{path}: cannot open video (the decoder did not return within '
                             f'{PROBE_TIMEOUT_S:.0f} s in a probe process)')
        time.sleep(0.001)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        raise ValueError(f'{path}: cannot open video (the decoder crashed on it: '
                         f'{signal.Signals(sig).name} in a probe process)')


def open_video(path: str, num_threads: int = 1, probe: bool = False):
    """Open a video file for decoding; no frame is decoded here.

    Args:
        path: any file decord (FFmpeg) reads.
        num_threads: decoder threads (1 suits DataLoader workers; 0 lets FFmpeg choose).
        probe: open the file in a forked child first (:func:`_probe_in_child`), so that a file on which
            decord aborts raises a ValueError here instead of killing this process. Costs one fork and
            one extra open (about 30 ms, docs/notes/fuzzing.md) the first time this process opens the
            file; later opens of the unchanged file skip it.

    Returns:
        a ``decord.VideoReader``: pass it to :func:`decode_frames`, :func:`video_num_frames`,
        :func:`video_fps`.

    Raises:
        ValueError: ``'<path>: cannot open video (...)'`` for a missing, undecodable or empty file.
    """
    if not osp.isfile(path):
        raise ValueError(f'{path}: cannot open video (file not found)')
    import decord
    if probe:
        stat = os.stat(path)
        key = (stat.st_size, stat.st_mtime_ns)
        if _PROBED_OK.get(path) != key:
            _probe_in_child(path)
            _PROBED_OK[path] = key
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


def _as_numpy(batch) -> np.ndarray:
    """decord's output as a numpy array without a copy (through DLPack and torch).

    Why: ``NDArray.asnumpy()`` copies the whole batch into a new array; for 64 frames of 1080p that is
    400 MB written (and page-faulted in) once more, a quarter of the pipeline's time on such clips
    (docs/performance.md). decord allocates a new buffer per ``get_batch``, so the array owns its frames.
    """
    if not hasattr(batch, 'to_dlpack'):
        return batch.asnumpy()
    from torch.utils.dlpack import from_dlpack
    return from_dlpack(batch.to_dlpack()).numpy()


def decode_frames(reader, indices: Sequence[int], path: str) -> np.ndarray:
    """Decode file frames ``indices`` (in their order; repeats allowed) with one decoder call.

    Args:
        reader: what :func:`open_video` returned (or anything with decord's ``get_batch``).
        indices: 0-based frame indices of the file.
        path: the file's name, for the error messages.

    Returns:
        uint8 (len(indices), H, W, 3) RGB, a fresh writable array (decord's own buffer, not copied).

    Raises:
        ValueError naming ``path`` when decoding fails or returns another number of frames.
    """
    inds = np.asarray(indices, dtype=np.int64).reshape(-1)
    try:
        frames = _as_numpy(reader.get_batch(inds.tolist()))
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
