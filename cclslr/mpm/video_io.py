"""Reading a video file's frames for the MPM tools (decord first, OpenCV as the fallback)."""
import os.path as osp

import numpy as np


def read_video(path: str, start: int = 0, end: int = -1):
    """Decode frames [start, end) of a video file.

    Args:
        path: video file.
        start: first frame (0-based, inclusive).
        end: last frame (exclusive); -1 = to the end of the file.

    Returns:
        (frames uint8 (T, H, W, 3) RGB, num_frames of the whole file).

    Raises:
        FileNotFoundError / ValueError naming the file when it is missing, unreadable or the range is
        empty.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: video file not found')
    try:
        import decord
        vr = decord.VideoReader(path, num_threads=1)
        total = len(vr)
        stop = total if end is None or end < 0 else min(end, total)
        if start >= stop:
            raise ValueError(f'{path}: empty frame range [{start}, {end}) of a {total}-frame video')
        return vr.get_batch(list(range(start, stop))).asnumpy(), total
    except ValueError:
        raise
    except Exception as decord_error:  # decord could not open it: try OpenCV before giving up
        frames = _read_cv2(path)
        if not len(frames):
            raise ValueError(f'{path}: unreadable video ({type(decord_error).__name__}: '
                             f'{decord_error})') from decord_error
        total = len(frames)
        stop = total if end is None or end < 0 else min(end, total)
        if start >= stop:
            raise ValueError(f'{path}: empty frame range [{start}, {end}) of a {total}-frame video')
        return np.stack(frames[start:stop]), total


def _read_cv2(path: str) -> list:
    import cv2
    cap = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames
