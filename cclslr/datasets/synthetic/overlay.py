"""Checking pose files against their videos: keypoint overlays and a colour-agreement score.

Used by ``tools/data/overlay_keypoints.py`` and by the tests. Works for any video + pose file pair
(``cclslr.fileio.read_pose`` formats), not only synthetic ones.
"""
import cv2
import numpy as np

from cclslr.fileio import read_pose, read_video

GROUP_COLOURS = (  # (first, end, RGB) over the 133 COCO-WholeBody points
    (0, 17, (0, 255, 0)), (17, 23, (0, 128, 0)), (23, 91, (255, 255, 0)),
    (91, 112, (255, 0, 255)), (112, 133, (0, 200, 255)))
HAND_POINTS = list(range(91, 133))
FACE_SKIN_POINTS = list(range(23, 40)) + [53]   # jaw contour and nose tip lie on skin


def normalized_pose(pose_path: str, width: int, height: int, format: str = 'auto', **reader_options):
    """A pose file's keypoints (T, 133, 2) in 0-1 of a ``width`` x ``height`` frame, and scores (T, 133).

    Any format of ``cclslr.fileio.read_pose`` (``format='auto'``: by extension). Pixel keypoints are
    divided by the image size the file records, else by ``width`` x ``height`` (the video's).
    """
    pose = read_pose(pose_path, format, **reader_options)
    size = pose.image_size or (width, height)
    kpts = pose.keypoints if pose.unit == 'normalized' else pose.keypoints / np.float32(size)
    return kpts, pose.scores


def draw_keypoints(frame: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, score_thr: float = 0.3,
                   scale: int = 1) -> np.ndarray:
    """One RGB frame (H, W, 3), upscaled by ``scale``, with the points of score > ``score_thr``.

    Args:
        keypoints: (133, 2) normalised to [0, 1].  scores: (133,).
    """
    h, w = frame.shape[:2]
    out = cv2.resize(frame, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
    radius = max(1, scale // 2)
    for first, end, colour in GROUP_COLOURS:
        for j in range(first, end):
            if scores[j] > score_thr:
                x, y = keypoints[j] * np.array([w, h]) * scale
                cv2.circle(out, (int(round(x)), int(round(y))), radius, colour, -1, cv2.LINE_AA)
    return out


def overlay_grid(video_path: str, pose_path: str, num_frames: int = 8, scale: int = 3,
                 cols: int = 4, score_thr: float = 0.3, pose_format: str = 'auto') -> np.ndarray:
    """A grid of ``num_frames`` evenly spaced frames with their keypoints. Returns RGB uint8."""
    frames, _ = read_video(video_path)
    kpts, scores = normalized_pose(pose_path, frames.shape[2], frames.shape[1], pose_format)
    if len(kpts) != len(frames):
        raise ValueError(f'{pose_path}: {len(kpts)} pose frames but {video_path} has {len(frames)} frames')
    idx = np.linspace(0, len(frames) - 1, min(num_frames, len(frames))).round().astype(int)
    tiles = [draw_keypoints(frames[i], kpts[i], scores[i], score_thr, scale) for i in idx]
    for tile, i in zip(tiles, idx):
        cv2.putText(tile, str(i), (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.concatenate(tiles[r:r + cols], 1) for r in range(0, len(tiles), cols)]
    return np.concatenate(rows, 0)


def keypoint_colour_agreement(frames: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, colours,
                              indices=HAND_POINTS, score_thr: float = 0.3, tol: float = 60.0,
                              radius: int = 1) -> float:
    """Fraction of visible keypoints that sit on pixels of one of the given colours.

    For each frame and each point of ``indices`` with score > ``score_thr`` inside the frame, the pixels
    within ``radius`` of the point are compared with ``colours`` (e.g. the signer's skin): the point
    agrees if any of them is within ``tol`` (RGB distance). ``radius`` absorbs sub-pixel rounding and
    the pose file's jitter; compression artefacts are absorbed by ``tol``.

    Args:
        frames: uint8 (T, H, W, 3) RGB.  keypoints: (T, 133, 2) in [0, 1].  scores: (T, 133).
        colours: sequence of RGB triples.
    Returns:
        agreement in [0, 1]; NaN when no point is visible.
    """
    if len(frames) != len(keypoints):
        raise ValueError(f'{len(frames)} frames but {len(keypoints)} keypoint frames')
    T, h, w = frames.shape[:3]
    colours = np.asarray(colours, np.float32).reshape(-1, 3)
    pts = keypoints[:, indices] * np.array([w, h])
    visible = scores[:, indices] > score_thr
    hits = total = 0
    for t in range(T):
        for (x, y) in pts[t][visible[t]]:
            xi, yi = int(round(x)), int(round(y))
            if not (0 <= xi < w and 0 <= yi < h):
                continue
            patch = frames[t, max(0, yi - radius):yi + radius + 1, max(0, xi - radius):xi + radius + 1]
            dist = np.linalg.norm(patch.reshape(-1, 1, 3).astype(np.float32) - colours[None], axis=-1)
            hits += bool((dist <= tol).any())
            total += 1
    return hits / total if total else float('nan')
