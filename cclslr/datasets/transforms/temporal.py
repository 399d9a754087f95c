"""The shared temporal crop of a view: one set of frame indices for RGB and pose (docs/method.md §3)."""
import numpy as np
from mmcv.transforms import BaseTransform

from cclslr.registry import TRANSFORMS


def uniform_indices(start: int, span: int, clip_len: int) -> np.ndarray:
    """``clip_len`` indices spread uniformly (segment centres) over ``[start, start + span)``.

    Spans shorter than ``clip_len`` repeat frames, so every view has exactly ``clip_len`` frames.
    """
    return start + np.minimum(((np.arange(clip_len) + 0.5) * span / clip_len).astype(np.int64), span - 1)


@TRANSFORMS.register_module()
class PairedTemporalCrop(BaseTransform):
    """Draw a random temporal crop, then ``clip_len`` uniform frames; the same indices serve RGB and pose.

    Training: the span is drawn uniformly in ``[ceil(min_ratio * n), n]`` frames of the clip's ``n``
    frames (``total_frames``), its start uniformly among the positions that fit. Test mode: the whole
    clip, deterministic.

    Writes ``frame_inds`` (clip_len,) int64, clip-relative (add ``clip_offset`` for file indices), and,
    when the pose is loaded, the view's ``keypoints`` (clip_len, 133, 2) and ``keypoint_scores``.

    Args:
        clip_len: T, frames per view (docs/method.md: 32).
        min_ratio: l, the shortest span as a fraction of the clip (docs/method.md: 0.1).
        test_mode: whole clip, no randomness.
    """

    def __init__(self, clip_len: int = 32, min_ratio: float = 0.1, test_mode: bool = False):
        if clip_len < 1 or not 0 < min_ratio <= 1:
            raise ValueError(f'PairedTemporalCrop: need clip_len >= 1 and 0 < min_ratio <= 1, '
                             f'got {clip_len}, {min_ratio}')
        self.clip_len, self.min_ratio, self.test_mode = clip_len, min_ratio, test_mode

    def transform(self, results: dict) -> dict:
        if 'total_frames' not in results:
            raise KeyError('PairedTemporalCrop needs total_frames: put DecordInit or LoadPose before it')
        n = int(results['total_frames'])
        if self.test_mode:
            start, span = 0, n
        else:
            span = np.random.randint(max(int(np.ceil(self.min_ratio * n)), 1), n + 1)
            start = np.random.randint(0, n - span + 1)
        inds = uniform_indices(start, span, self.clip_len)
        results['frame_inds'] = inds
        results['clip_len'] = self.clip_len
        if 'clip_keypoints' in results:
            results['keypoints'] = results['clip_keypoints'][inds]
            results['keypoint_scores'] = results['clip_keypoint_scores'][inds]
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(clip_len={self.clip_len}, min_ratio={self.min_ratio}, '
                f'test_mode={self.test_mode})')
