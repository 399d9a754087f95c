"""cclslr's visualizer: MMEngine's ``Visualizer`` with the drawing the figure tools share.

Skeletons on frames (the edges of ``cclslr/structures/keypoint_layout.py``), label text, heatmap overlays
and strips of frames; figures go either to a file (``out_file``, as OpenMMLab's ``add_datasample`` does)
or to the configured MMEngine backends (``LocalVisBackend``, ``TensorboardVisBackend`` when installed).
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.visualization import Visualizer

from cclslr.registry import VISUALIZERS
from cclslr.structures.keypoint_layout import (GROUP_EDGES, GROUP_SLICES, GROUPS, NUM_KEPT, NUM_WHOLEBODY,
                                               WHOLEBODY_GROUPS)

# One colour per keypoint group (RGB). COCO sides: the signer's left hand is on the image right.
GROUP_COLOURS = dict(body=(0, 220, 0), face=(255, 230, 0), mouth=(255, 128, 0),
                     left_hand=(255, 0, 255), right_hand=(0, 200, 255))


def _group_index(num_points: int):
    if num_points == NUM_WHOLEBODY:
        return lambda g, i: WHOLEBODY_GROUPS[g][i]
    if num_points == NUM_KEPT:
        return lambda g, i: GROUP_SLICES[g].start + i
    raise ValueError(f'skeleton: {num_points} keypoints; expected {NUM_WHOLEBODY} (COCO-WholeBody) or '
                     f'{NUM_KEPT} (the kept layout)')


def skeleton_points(num_points: int) -> List[Tuple[int, str]]:
    """``[(index, group)]`` of the drawn points of a 133- or 75-point pose (the groups CCL-SLR keeps)."""
    index = _group_index(num_points)
    return [(index(g, i), g) for g in GROUPS for i in range(len(WHOLEBODY_GROUPS[g]))]


def skeleton_edges(num_points: int) -> List[Tuple[int, int, str]]:
    """``[(i, j, group)]``: the GCN edges of every group (both hands share the hand graph), as indices
    into a pose of ``num_points`` (133 COCO-WholeBody or the 75-point layout)."""
    index = _group_index(num_points)
    edges = []
    for g in GROUPS:
        graph = 'hand' if g.endswith('hand') else g
        edges += [(index(g, a), index(g, b), g) for a, b in GROUP_EDGES[graph]]
    return edges


def colourize(heatmap: np.ndarray, colormap: str = 'jet') -> np.ndarray:
    """float (H, W) in [0, 1] -> uint8 RGB (H, W, 3) through a matplotlib colormap."""
    import matplotlib
    rgba = matplotlib.colormaps[colormap](np.clip(heatmap, 0, 1))
    return (rgba[..., :3] * 255).round().astype(np.uint8)


def tile(images: Sequence[np.ndarray], cols: Optional[int] = None, pad: int = 2,
         pad_value: int = 255) -> np.ndarray:
    """Equal-sized uint8 (H, W, 3) images -> one grid image, ``cols`` per row (default: one row)."""
    if not images:
        raise ValueError('tile: no images')
    cols = cols or len(images)
    h, w = images[0].shape[:2]
    padded = [np.pad(im, ((pad, pad), (pad, pad), (0, 0)), constant_values=pad_value) for im in images]
    blank = np.full_like(padded[0], pad_value)
    padded += [blank] * (-len(padded) % cols)
    rows = [np.concatenate(padded[r:r + cols], axis=1) for r in range(0, len(padded), cols)]
    return np.concatenate(rows, axis=0)


def figure_to_array(fig) -> np.ndarray:
    """A matplotlib figure -> uint8 RGB (H, W, 3) (the figure is closed)."""
    import matplotlib.pyplot as plt
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return image


@VISUALIZERS.register_module()
class SignVisualizer(Visualizer):
    """MMEngine ``Visualizer`` plus skeleton, label and heatmap drawing for sign clips.

    Args:
        name, image, vis_backends, save_dir: as MMEngine's ``Visualizer``.
        score_thr: keypoints with a score at or below it are not drawn.
        radius / line_width: of the keypoints and skeleton edges, in pixels of the drawn image.
        alpha: weight of a heatmap over its frame.
        colormap: matplotlib colormap of heatmaps.

    Drawing methods work on the current image (``set_image``) and return ``self``; ``get_image()`` gives
    the result as uint8 RGB (H, W, 3).
    """

    def __init__(self, name: str = 'visualizer', image: Optional[np.ndarray] = None, vis_backends=None,
                 save_dir: Optional[str] = None, score_thr: float = 0.3, radius: float = 2.0,
                 line_width: float = 1.0, alpha: float = 0.5, colormap: str = 'jet', **kwargs):
        super().__init__(name=name, image=image, vis_backends=vis_backends, save_dir=save_dir, **kwargs)
        self.score_thr, self.radius, self.line_width = score_thr, radius, line_width
        self.alpha, self.colormap = alpha, colormap

    def draw_skeleton(self, keypoints: np.ndarray, scores: Optional[np.ndarray] = None) -> 'SignVisualizer':
        """Draw one frame's pose on the current image.

        Args:
            keypoints: (J, 2) x, y in pixels of the current image; J = 133 or 75.
            scores: (J,) confidences; None = all visible. Points (and edges touching them) with a score
                <= ``score_thr`` or a non-finite coordinate are skipped.
        """
        keypoints = np.asarray(keypoints, np.float32)
        if keypoints.ndim != 2 or keypoints.shape[1] != 2:
            raise ValueError(f'draw_skeleton: keypoints must be (J, 2), got {keypoints.shape}')
        visible = np.isfinite(keypoints).all(1)
        if scores is not None:
            visible &= np.asarray(scores) > self.score_thr
        edges = [(i, j, g) for i, j, g in skeleton_edges(len(keypoints)) if visible[i] and visible[j]]
        if edges:
            self.draw_lines(np.array([[keypoints[i, 0], keypoints[j, 0]] for i, j, _ in edges]),
                            np.array([[keypoints[i, 1], keypoints[j, 1]] for i, j, _ in edges]),
                            colors=[GROUP_COLOURS[g] for *_, g in edges], line_widths=self.line_width)
        points = [(i, g) for i, g in skeleton_points(len(keypoints)) if visible[i]]
        if points:
            colours = [GROUP_COLOURS[g] for _, g in points]
            self.draw_circles(keypoints[[i for i, _ in points]], np.full(len(points), self.radius),
                              edge_colors=colours, face_colors=colours, line_widths=0.5, alpha=1.0)
        return self

    def draw_label(self, text: str, position: Tuple[float, float] = (2, 2), font_size: int = 8,
                   colour=(255, 255, 255)) -> 'SignVisualizer':
        """Text at ``position`` (x, y of its top-left corner) on a dark box, readable on any frame."""
        self.draw_texts(text, np.array(position, np.float32), font_sizes=font_size, colors=colour,
                        bboxes=dict(facecolor='black', alpha=0.6, pad=1, edgecolor='none'))
        return self

    def draw_heatmap(self, heatmap: np.ndarray, alpha: Optional[float] = None) -> 'SignVisualizer':
        """Blend a float (h, w) map in [0, 1] over the current image (resized to it) with ``colormap``.
        The caller normalises: a clip's frames share one scale, so their heatmaps compare."""
        image = self.get_image()
        heat = cv2.resize(np.asarray(heatmap, np.float32), image.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        a = self.alpha if alpha is None else alpha
        self.set_image(((1 - a) * image + a * colourize(heat, self.colormap)).round().astype(np.uint8))
        return self

    def frame(self, image: np.ndarray, scale: int = 1, keypoints: Optional[np.ndarray] = None,
              scores: Optional[np.ndarray] = None, heatmap: Optional[np.ndarray] = None,
              label: Optional[str] = None) -> np.ndarray:
        """One uint8 RGB frame (H, W, 3), upscaled by ``scale``, with optionally its heatmap, its
        skeleton (``keypoints`` (J, 2) normalised to [0, 1]) and a label. Returns (H*s, W*s, 3)."""
        h, w = image.shape[:2]
        self.set_image(cv2.resize(image, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST))
        if heatmap is not None:
            self.draw_heatmap(heatmap)
        if keypoints is not None:
            self.draw_skeleton(np.asarray(keypoints, np.float32) * np.float32([w * scale, h * scale]), scores)
        if label:
            self.draw_label(label)
        return self.get_image()

    def keypoint_grid(self, frames: np.ndarray, keypoints: np.ndarray, scores: np.ndarray,
                      num_frames: int = 8, scale: int = 3, cols: int = 4) -> np.ndarray:
        """``num_frames`` evenly spaced frames with their skeletons and frame numbers, ``cols`` per row.

        Args:
            frames: uint8 RGB (T, H, W, 3).  keypoints: (T, J, 2) normalised to [0, 1].  scores: (T, J).
        Returns:
            uint8 RGB (rows * H * scale, cols * W * scale, 3); missing tiles of the last row are black.
        """
        if len(keypoints) != len(frames):
            raise ValueError(f'{len(keypoints)} pose frames for {len(frames)} video frames')
        idx = np.linspace(0, len(frames) - 1, min(num_frames, len(frames))).round().astype(int)
        tiles = [self.frame(frames[i], scale, keypoints[i], scores[i], label=str(i)) for i in idx]
        return tile(tiles, cols=cols, pad=0, pad_value=0)

    def add_figure(self, name: str, image: np.ndarray, step: int = 0, out_file: Optional[str] = None
                   ) -> Optional[str]:
        """Write a uint8 RGB figure to ``out_file`` (a PNG/JPG path; its folder is created), or, without
        one, hand it to every configured backend as ``add_image(name, image, step)``. Returns out_file."""
        if out_file is None:
            self.add_image(name, image, step)
            return None
        import os
        import os.path as osp
        os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
        if not cv2.imwrite(out_file, cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR)):
            raise OSError(f'{out_file}: cannot write the image (check the folder and the extension)')
        return out_file
