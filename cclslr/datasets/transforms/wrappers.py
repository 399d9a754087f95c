"""MultiView: the query and key views of one clip, drawn independently with the same settings."""
from typing import Callable, List, Union

from mmcv.transforms import BaseTransform

from cclslr.registry import TRANSFORMS

# Clip-level keys that views do not need once they are built (large arrays, the open reader).
_CLIP_KEYS = ('clip_keypoints', 'clip_keypoint_scores', 'video_reader')


@TRANSFORMS.register_module()
class MultiView(BaseTransform):
    """Run ``transforms`` ``num_views`` times on copies of the clip's results; put them in ``views``.

    Each random transform draws independently per view. A transform that defines
    ``transform_views(views) -> views`` (``DecodeFrames``, ``MotionMask``) is called once with all views,
    so the video is decoded once for the union of the views' frames and the mask file read once.

    Args:
        transforms: the per-view pipeline (configs or callables).
        num_views: 2 for pre-training (query, key); 1 works too.
    """

    def __init__(self, transforms: List[Union[dict, Callable]], num_views: int = 2):
        if num_views < 1:
            raise ValueError(f'MultiView: num_views must be >= 1, got {num_views}')
        self.num_views = num_views
        self.transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms]

    def transform(self, results: dict) -> dict:
        views = [dict(results) for _ in range(self.num_views)]
        for t in self.transforms:
            if hasattr(t, 'transform_views'):
                views = t.transform_views(views)
            else:
                views = [t(v) for v in views]
            if any(v is None for v in views):
                raise RuntimeError(f'MultiView: {type(t).__name__} returned None for '
                                   f'{results.get("video_path")}')
        for v in views:
            for k in _CLIP_KEYS:
                v.pop(k, None)
        out = {k: v for k, v in results.items() if k not in _CLIP_KEYS}
        out['views'] = views
        return out

    def __repr__(self):
        return f'{type(self).__name__}(num_views={self.num_views}, transforms={self.transforms})'


def iter_transforms(pipeline: List[dict]):
    """Every transform config of a pipeline config, depth first, including those inside wrappers such as
    ``MultiView`` (their ``transforms`` list): e.g. to ask whether a config uses ``FrameDifference``."""
    for t in pipeline:
        yield t
        yield from iter_transforms(t.get('transforms', []))
