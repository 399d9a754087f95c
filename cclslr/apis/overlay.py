"""The demo's overlay: each frame with the skeleton of its keypoints and the top-k glosses, drawn by the
project's one visualizer (:class:`cclslr.visualization.SignVisualizer`)."""
from typing import Sequence

import numpy as np

from cclslr.visualization import SignVisualizer


def topk_text(labels: Sequence[str], scores: Sequence[float]) -> str:
    """``'1. gloss  0.38'`` lines, one per rank."""
    return '\n'.join(f'{i + 1}. {g}  {s:.2f}' for i, (g, s) in enumerate(zip(labels, scores)))


def overlay_frames(frames: np.ndarray, pose, labels: Sequence[str], scores: Sequence[float]) -> np.ndarray:
    """uint8 (T, H, W, 3) RGB copies of ``frames`` with the skeleton of ``pose`` (a PoseData over the same
    frames, or None) and the top-k text drawn in the top-left corner."""
    kpts = None
    if pose is not None:
        kpts = pose.keypoints
        if pose.unit == 'pixel':  # pose files of the 'pixel' unit record their frame size
            w, h = pose.image_size or frames.shape[2:0:-1]
            kpts = kpts / np.array([w, h], np.float32)
    h = frames.shape[1]
    vis = SignVisualizer.get_instance('demo_overlay', radius=max(1.5, h / 160), line_width=max(1.0, h / 240))
    text = topk_text(labels, scores)
    font = max(7, round(h / 40))
    out = np.empty_like(frames)
    for t, frame in enumerate(frames):
        has_pose = kpts is not None and t < len(kpts)
        vis.frame(frame, 1, kpts[t] if has_pose else None, pose.scores[t] if has_pose else None)
        out[t] = vis.draw_label(text, font_size=font).get_image()
    return out
