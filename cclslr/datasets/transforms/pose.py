"""Pose transforms of a view: the Uni-Sign normalisation (docs/method.md §2), random rotation/scaling, joint
masking and the 133 -> 75 keypoint selection. Pose arrays: ``keypoints`` (T, J, 2), ``keypoint_scores``
(T, J); J is 133 (whole-body) or 75 (``KEPT_75`` order)."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from cclslr.registry import TRANSFORMS
from cclslr.structures.keypoint_layout import GROUP_SLICES, KEPT_75, NUM_KEPT, NUM_WHOLEBODY, WHOLEBODY_GROUPS


def _groups(num_joints: int):
    """(body indices, {root index: member indices}) in a 133- or 75-point layout."""
    if num_joints == NUM_WHOLEBODY:
        g = {k: np.array(v) for k, v in WHOLEBODY_GROUPS.items()}
        nose = 53
    elif num_joints == NUM_KEPT:
        g = {k: np.arange(s.start, s.stop) for k, s in GROUP_SLICES.items()}
        nose = KEPT_75.index(53)
    else:
        raise ValueError(f'PoseNormalize: unsupported layout of {num_joints} keypoints (133 or 75)')
    rel = {int(g['left_hand'][0]): g['left_hand'], int(g['right_hand'][0]): g['right_hand'],
           nose: np.concatenate([g['face'], g['mouth']])}
    return g['body'], rel


NO_BODY_MODES = ('present', 'zero', 'error')
UNKNOWN_SIZE_MODES = ('warn', 'error')


@TRANSFORMS.register_module()
class PoseNormalize(BaseTransform):
    """Uni-Sign's normalisation over the view's frames (docs/method.md §2).

    Body points with score > ``thr`` over all frames define a square box (side = max(w, h), centred on
    their extent); every point not in a hand/face group is mapped by it to [-1, 1]. Hand points become
    relative to their wrist, face and mouth points relative to the nose, divided by the same side, and
    clipped to [-1, 1]. Points with score <= ``thr`` are zeroed (x, y and score).

    A view with fewer than 4 valid body points (hands-only data, or a body never detected), by
    ``no_body``: ``'present'`` (default) takes the box of the valid points that are there (the hands'
    own box for hands-only data; docs/method.md §2); ``'zero'`` zeroes the whole view, as Uni-Sign
    does; ``'error'`` raises. A view with fewer than 4 valid points at all (or a zero-size box) is
    zeroed. The first such view of the transform is logged with its file.

    Pixel keypoints are used as they are (square box in pixels); 0-1 keypoints are first scaled by
    ``pose_img_size`` (W, H), so the box stays square in the image. Without a size (a pose-only pipeline
    on files that record none, and no ``width`` / ``height`` in the annotation) the box is square in 0-1
    units, which is not square in pixels for non-square frames: ``on_unknown_size='warn'`` logs it
    once per transform (that is, per dataset and worker process), ``'error'`` raises.
    Sets ``keypoints_unit = 'centered'``.
    """

    def __init__(self, thr: float = 0.3, no_body: str = 'present', on_unknown_size: str = 'warn'):
        if no_body not in NO_BODY_MODES:
            raise ValueError(f'PoseNormalize: no_body must be one of {NO_BODY_MODES}, got {no_body!r}')
        if on_unknown_size not in UNKNOWN_SIZE_MODES:
            raise ValueError(f'PoseNormalize: on_unknown_size must be one of {UNKNOWN_SIZE_MODES}, '
                             f'got {on_unknown_size!r}')
        self.thr, self.no_body, self.on_unknown_size = thr, no_body, on_unknown_size
        self._logged = set()  # what this transform has said once already

    def _once(self, what: str, message: str) -> None:
        if what not in self._logged:
            self._logged.add(what)
            MMLogger.get_current_instance().warning(f'{message} (said once per dataset and process)')

    def transform(self, results: dict) -> dict:
        kpts = results['keypoints'].astype(np.float32)
        scores = results['keypoint_scores'].astype(np.float32)
        where = results.get('pose_path') or results.get('video_path') or results.get('sample_id', '?')
        if results.get('keypoints_unit') == 'centered':
            raise ValueError('PoseNormalize: keypoints are already normalised')
        if results.get('keypoints_unit') == 'normalized':
            if results.get('pose_img_size'):
                kpts = kpts * np.asarray(results['pose_img_size'], np.float32)
            elif self.on_unknown_size == 'error':
                raise ValueError(f'{where}: 0-1 keypoints without an image size; give the samples width '
                                 'and height (or use pose files that record them)')
            else:
                self._once('size', f'{where}: 0-1 keypoints without an image size: the pose box is square '
                           'in 0-1 units, not in pixels (not square for 16:9 frames); give the samples '
                           'width and height, or pose files that record them')
        body, rel = _groups(kpts.shape[1])
        valid = scores > self.thr
        box_xy = kpts[:, body][valid[:, body]]
        if len(box_xy) < 4:
            if self.no_body == 'error':
                raise ValueError(f'{where}: no body keypoints (fewer than 4 with score > {self.thr}) to '
                                 "normalise by; PoseNormalize(no_body='present') uses the hands' box")
            if self.no_body == 'present':
                self._once('no_body', f'{where}: no body keypoints: normalising by the box of the points '
                           "present (the hands' for hands-only data)")
                box_xy = kpts[valid]
            else:
                self._once('no_body', f"{where}: no body keypoints: the view is zeroed (no_body='zero')")
        out = None
        if len(box_xy) >= 4:
            lo, hi = box_xy.min(0), box_xy.max(0)
            side = float((hi - lo).max())
            if side > 0:
                corner = (lo + hi - side) / 2
                out = ((kpts - corner) / side - 0.5) * 2
                for root, members in rel.items():
                    out[:, members] = (kpts[:, members] - kpts[:, root:root + 1]) / side
                out = np.clip(out, -1, 1)
        if out is None:  # no usable box: zero the whole view, as Uni-Sign does
            valid = np.zeros_like(valid)
            out = np.zeros_like(kpts)
        results['keypoints'] = np.where(valid[..., None], out, 0).astype(np.float32)
        results['keypoint_scores'] = np.where(valid, scores, 0).astype(np.float32)
        results['keypoints_unit'] = 'centered'
        return results


@TRANSFORMS.register_module()
class PoseRandomAffine(BaseTransform):
    """Random rotation and scaling of normalised keypoints (one draw per view), after PoseNormalize.

    Rotation is about the origin, which is the body box centre for body points and the root point for
    root-relative hands and face, so each group turns about its own anchor. Missing points stay zero.

    Args:
        rotation: maximum angle in degrees (uniform in [-rotation, rotation]). (our default: 15)
        scale: (min, max) uniform scaling. (our default: (0.8, 1.2))
        prob: probability of applying the transform.
    """

    def __init__(self, rotation: float = 15.0, scale: Sequence[float] = (0.8, 1.2), prob: float = 1.0):
        self.rotation, self.scale, self.prob = rotation, tuple(scale), prob

    def transform(self, results: dict) -> dict:
        if results.get('keypoints_unit') != 'centered':
            raise ValueError('PoseRandomAffine expects normalised keypoints: put PoseNormalize before it')
        if np.random.rand() >= self.prob:
            return results
        a = np.deg2rad(np.random.uniform(-self.rotation, self.rotation))
        s = np.random.uniform(*self.scale)
        mat = s * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
        kpts = np.clip(results['keypoints'] @ mat.T, -1, 1)
        results['keypoints'] = np.where(results['keypoint_scores'][..., None] > 0, kpts, 0).astype(np.float32)
        return results


@TRANSFORMS.register_module()
class PoseJointMask(BaseTransform):
    """Joint masking: with probability ``prob``, zero a random ``ratio`` of the joints in every frame of
    the view (x, y and score), as if the detector had missed them. (our default: ratio 0.1, prob 0.5)"""

    def __init__(self, ratio: float = 0.1, prob: float = 0.5):
        if not 0 <= ratio <= 1:
            raise ValueError(f'PoseJointMask: ratio must be in [0, 1], got {ratio}')
        self.ratio, self.prob = ratio, prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        num_joints = results['keypoints'].shape[1]
        masked = np.random.choice(num_joints, int(round(self.ratio * num_joints)), replace=False)
        kpts, scores = results['keypoints'].copy(), results['keypoint_scores'].copy()
        kpts[:, masked], scores[:, masked] = 0, 0
        results['keypoints'], results['keypoint_scores'] = kpts, scores
        results['masked_joints'] = masked
        return results


@TRANSFORMS.register_module()
class SelectKeypoints(BaseTransform):
    """Keep a subset of the 133 whole-body points, in the given order (default: the paper's 75)."""

    def __init__(self, indices: Optional[Sequence[int]] = None):
        self.indices = np.array(KEPT_75 if indices is None else list(indices))
        if self.indices.min() < 0 or self.indices.max() >= NUM_WHOLEBODY:
            raise ValueError('SelectKeypoints: indices must lie in [0, 133)')

    def transform(self, results: dict) -> dict:
        if results['keypoints'].shape[1] != NUM_WHOLEBODY:
            raise ValueError(f'SelectKeypoints expects 133 keypoints, got {results["keypoints"].shape[1]}')
        results['keypoints'] = results['keypoints'][:, self.indices]
        results['keypoint_scores'] = results['keypoint_scores'][:, self.indices]
        return results
