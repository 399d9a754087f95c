"""The demo's overlay: the 75 keypoints the model reads as a skeleton, and the top-k glosses, with OpenCV."""
from typing import Optional, Sequence

import cv2
import numpy as np

from cclslr.structures.keypoint_layout import GROUP_EDGES, WHOLEBODY_GROUPS

# BGR-free: frames are RGB, so colours are (R, G, B).
GROUP_COLOURS = dict(body=(255, 255, 255), face=(255, 210, 0), mouth=(255, 80, 80),
                     left_hand=(60, 220, 60), right_hand=(60, 140, 255))
SCORE_THR = 0.3  # the points PoseNormalize keeps


def draw_skeleton(frame: np.ndarray, kpts: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Draw one frame's skeleton in place.

    Args:
        frame: uint8 (H, W, 3) RGB.
        kpts: (133, 2) keypoints in 0-1 of the frame; scores: (133,).
    """
    h, w = frame.shape[:2]
    radius = max(1, round(min(h, w) / 160))
    for group, idx in WHOLEBODY_GROUPS.items():
        pts = (kpts[idx] * [w, h]).round().astype(np.int32)
        ok = scores[idx] > SCORE_THR
        colour = GROUP_COLOURS[group]
        edges = GROUP_EDGES['hand' if group.endswith('hand') else group]
        for a, b in edges:
            if ok[a] and ok[b]:
                cv2.line(frame, tuple(map(int, pts[a])), tuple(map(int, pts[b])), colour, radius, cv2.LINE_AA)
        for p, good in zip(pts, ok):
            if good:
                cv2.circle(frame, tuple(map(int, p)), radius + 1, colour, -1, cv2.LINE_AA)
    return frame


def draw_topk(frame: np.ndarray, labels: Sequence[str], scores: Sequence[float],
              title: Optional[str] = None) -> np.ndarray:
    """Write the top-k glosses with their scores in the top-left corner of ``frame`` (in place), on a dark
    box so they stay readable on any background."""
    h = frame.shape[0]
    scale = max(0.35, h / 720)
    lines = [f'{i + 1}. {g}  {s:.2f}' for i, (g, s) in enumerate(zip(labels, scores))]
    lines = ([title] if title else []) + lines
    thick = max(1, round(scale * 2))
    (tw, th), _ = cv2.getTextSize(max(lines, key=len), cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    step = int(th * 1.6)
    cv2.rectangle(frame, (0, 0), (tw + 12, step * len(lines) + 8), (0, 0, 0), -1)
    for i, text in enumerate(lines):
        colour = (255, 255, 0) if i == (1 if title else 0) else (255, 255, 255)
        cv2.putText(frame, text, (6, step * (i + 1)), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick,
                    cv2.LINE_AA)
    return frame


def overlay_frames(frames: np.ndarray, pose, labels: Sequence[str], scores: Sequence[float]) -> np.ndarray:
    """uint8 (T, H, W, 3) RGB copies of ``frames`` with the skeleton of ``pose`` (a PoseData over the same
    frames, or None) and the top-k text drawn."""
    out = np.array(frames, copy=True)
    kpts = None
    if pose is not None:
        kpts = pose.keypoints
        if pose.unit == 'pixel':  # pose files of the 'pixel' unit record their frame size
            w, h = pose.image_size or out.shape[2:0:-1]
            kpts = kpts / np.array([w, h], np.float32)
    for t, frame in enumerate(out):
        if kpts is not None and t < len(kpts):
            draw_skeleton(frame, kpts[t], pose.scores[t])
        draw_topk(frame, labels, scores)
    return out
