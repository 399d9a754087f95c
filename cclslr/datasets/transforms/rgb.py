"""Geometric and colour transforms of a view. Geometry moves RGB frames (uint8 (T, H, W, 3)), the motion
mask (bool (T, H, W), when present) and the pixel keypoints (T, J, 2) together, so they always agree.

Pixel convention: a keypoint at (x, y) lies at the centre of pixel column x, row y (MMPose's), so a flip
maps x to W - 1 - x and a resize by s maps x to (x + 0.5) * s - 0.5, as ``cv2.resize`` does for pixels.
"""
import math
from typing import Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from cclslr.registry import TRANSFORMS
from cclslr.structures.keypoint_layout import KEPT_75, NUM_KEPT, NUM_WHOLEBODY, flip_index
from cclslr.structures import SharedFrames

_FLIP_INDEX = {NUM_WHOLEBODY: np.array(flip_index()), NUM_KEPT: np.array(flip_index(kept=KEPT_75))}


def _size2(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """(w, h) from an int or a (w, h) pair."""
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def resize_frames(imgs: np.ndarray, out_size) -> np.ndarray:
    """uint8 (T, H, W, C) -> (T, h, w, C) with ``cv2.INTER_LINEAR``, written into one preallocated array."""
    ow, oh = out_size
    out = np.empty((imgs.shape[0], oh, ow) + imgs.shape[3:], imgs.dtype)
    for f, o in zip(imgs, out):
        cv2.resize(f, (ow, oh), dst=o, interpolation=cv2.INTER_LINEAR)
    return out


def crop_resize(results: dict, box: Sequence[int], out_size=None) -> dict:
    """Crop every frame (and mask, keypoints) to ``box`` = (x0, y0, x1, y1) pixels, then resize to
    ``out_size`` (w, h) if given. Boxes may reach outside the frame: the outside is zero-padded.

    Frames shared by the views of a clip (:class:`SharedFrames`) are cropped and resized straight from
    the shared decode, so the view never holds a full-resolution copy."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    imgs = results['imgs']
    h, w = imgs.shape[1:3]
    inside = x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h

    def crop(arr):
        if inside:
            return arr[:, y0:y1, x0:x1]
        out = np.zeros((arr.shape[0], y1 - y0, x1 - x0) + arr.shape[3:], arr.dtype)
        sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if sx1 > sx0 and sy1 > sy0:
            out[:, sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = arr[:, sy0:sy1, sx0:sx1]
        return out

    resize = out_size is not None and (x1 - x0, y1 - y0) != tuple(out_size)
    if isinstance(imgs, SharedFrames) and inside:
        imgs = imgs.crop_resize((x0, y0, x1, y1), tuple(out_size) if resize else None)
    else:
        imgs = crop(np.asarray(imgs))
        if resize:
            imgs = resize_frames(imgs, out_size)
    mask = crop(results['motion_mask']) if 'motion_mask' in results else None
    kpts = results.get('keypoints')
    if kpts is not None:
        kpts = kpts - np.array([x0, y0], np.float32)
    if resize:
        ow, oh = out_size
        sx, sy = ow / (x1 - x0), oh / (y1 - y0)
        if mask is not None:
            mask = np.stack([cv2.resize(m.astype(np.uint8), (ow, oh), interpolation=cv2.INTER_NEAREST)
                             for m in mask]).astype(bool)
        if kpts is not None:
            kpts = (kpts + 0.5) * np.array([sx, sy], np.float32) - 0.5
    results['imgs'] = np.ascontiguousarray(imgs)
    results['img_shape'] = imgs.shape[1:3]
    if mask is not None:
        results['motion_mask'] = mask
    if kpts is not None:
        results['keypoints'] = kpts.astype(np.float32)
    return results


def _check_pixel(results: dict, name: str):
    if 'imgs' not in results:
        raise KeyError(f'{name} needs decoded frames (DecodeFrames earlier in the pipeline)')
    if 'keypoints' in results and results.get('keypoints_unit', 'pixel') != 'pixel':
        raise ValueError(f'{name}: keypoints are not in pixels; put it before PoseNormalize')


@TRANSFORMS.register_module()
class CropToBox(BaseTransform):
    """Crop to the sample's signer ``box`` ([x0, y0, x1, y1] in 0-1) when ``results['crop_to_box']``
    is true (MS-ASL's ``crop_to_box=True``); otherwise a no-op."""

    def transform(self, results: dict) -> dict:
        if not results.get('crop_to_box') or results.get('box') is None:
            return results
        _check_pixel(results, 'CropToBox')
        h, w = results['imgs'].shape[1:3]
        x0, y0, x1, y1 = results['box']
        box = (x0 * w, y0 * h, max(x1 * w, x0 * w + 1), max(y1 * h, y0 * h + 1))
        return crop_resize(results, box)


@TRANSFORMS.register_module()
class SignRandomResizedCrop(BaseTransform):
    """Random resized crop, one box for all frames of the view, then resize to ``size``.

    Args:
        size: output (w, h) or int (docs/method.md: 224).
        area_range: crop area as a fraction of the frame.
        aspect_ratio_range: crop w/h range (log-uniform).
    """

    def __init__(self, size=224, area_range=(0.2, 1.0), aspect_ratio_range=(3 / 4, 4 / 3)):
        self.size, self.area_range, self.aspect_ratio_range = _size2(size), area_range, aspect_ratio_range

    def get_box(self, h: int, w: int):
        log_r = np.log(self.aspect_ratio_range)
        for _ in range(10):
            area = np.random.uniform(*self.area_range) * h * w
            ratio = math.exp(np.random.uniform(*log_r))
            cw, ch = int(round(math.sqrt(area * ratio))), int(round(math.sqrt(area / ratio)))
            if 0 < cw <= w and 0 < ch <= h:
                x0, y0 = np.random.randint(0, w - cw + 1), np.random.randint(0, h - ch + 1)
                return x0, y0, x0 + cw, y0 + ch
        side = min(h, w)  # fallback: central square
        return (w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side

    def transform(self, results: dict) -> dict:
        _check_pixel(results, 'SignRandomResizedCrop')
        h, w = results['imgs'].shape[1:3]
        return crop_resize(results, self.get_box(h, w), self.size)


@TRANSFORMS.register_module()
class SignResize(BaseTransform):
    """Resize to ``scale``: (w, h) exactly, or with ``keep_ratio`` the short side to ``scale`` (int)."""

    def __init__(self, scale=224, keep_ratio: bool = False):
        self.scale, self.keep_ratio = scale, keep_ratio

    def transform(self, results: dict) -> dict:
        _check_pixel(results, 'SignResize')
        h, w = results['imgs'].shape[1:3]
        if self.keep_ratio:
            s = int(self.scale) / min(h, w)
            size = (int(round(w * s)), int(round(h * s)))
        else:
            size = _size2(self.scale)
        return crop_resize(results, (0, 0, w, h), size)


@TRANSFORMS.register_module()
class SignCenterCrop(BaseTransform):
    """Central crop of ``size`` (w, h) or int."""

    def __init__(self, size=224):
        self.size = _size2(size)

    def transform(self, results: dict) -> dict:
        _check_pixel(results, 'SignCenterCrop')
        h, w = results['imgs'].shape[1:3]
        cw, ch = self.size
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        return crop_resize(results, (x0, y0, x0 + cw, y0 + ch))


@TRANSFORMS.register_module()
class SignFlip(BaseTransform):
    """Horizontal flip of the whole view with probability ``prob``: ONE decision for the RGB frames, the
    motion mask and the pose. Pose x is mirrored and left/right points swapped (keypoint_layout.flip_index).

    Works on pixel keypoints (x -> W - 1 - x, with W of the frames) and, in pose-only pipelines, on 0-1
    keypoints (x -> 1 - x) or on normalised [-1, 1] keypoints (x -> -x; after PoseNormalize).

    Args:
        prob: flip probability.
        flip_index: left/right permutation for layouts other than 133 and 75 points.
    """

    def __init__(self, prob: float = 0.5, flip_index=None):
        self.prob = prob
        self.flip_index = None if flip_index is None else np.asarray(flip_index)

    def transform(self, results: dict) -> dict:
        flip = np.random.rand() < self.prob
        results['flip'] = bool(flip)
        if not flip:
            return results
        if 'imgs' in results:
            # One cv2.flip over the frames stacked as a tall image: much faster than a numpy copy.
            imgs = np.ascontiguousarray(results['imgs'])
            t, h, w, c = imgs.shape
            results['imgs'] = cv2.flip(imgs.reshape(t * h, w, c), 1).reshape(t, h, w, c)
        if 'motion_mask' in results:
            results['motion_mask'] = np.ascontiguousarray(results['motion_mask'][:, :, ::-1])
        if 'keypoints' in results:
            kpts, scores = results['keypoints'].copy(), results['keypoint_scores']
            unit = results.get('keypoints_unit', 'pixel')
            if unit == 'pixel':
                if 'imgs' not in results:
                    raise KeyError('SignFlip: pixel keypoints need the frames to know the width')
                kpts[..., 0] = results['imgs'].shape[2] - 1 - kpts[..., 0]
            elif unit == 'normalized':
                kpts[..., 0] = 1.0 - kpts[..., 0]
            else:  # 'centered': PoseNormalize output; zeroed points stay zero
                kpts[..., 0] = -kpts[..., 0]
            perm = self.flip_index if self.flip_index is not None else _FLIP_INDEX.get(kpts.shape[1])
            if perm is None:
                raise ValueError(f'SignFlip: no flip_index for {kpts.shape[1]} keypoints; pass flip_index=')
            results['keypoints'], results['keypoint_scores'] = kpts[:, perm], scores[:, perm]
        return results


# RGB -> YIQ; a hue shift is a rotation of the (I, Q) chroma plane, saturation a scaling of it.
_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_YIQ_INV = np.linalg.inv(_YIQ)


@TRANSFORMS.register_module()
class SignColorJitter(BaseTransform):
    """Colour jitter on uint8 frames, one draw per view (MoCo v2's 0.4, 0.4, 0.4, 0.1 with p = 0.8).

    Brightness, contrast, saturation and hue are all linear in RGB here, so they are fused into one 3x4
    matrix applied by a single ``cv2.transform`` over all frames (saturating to uint8). Hue is rotated in
    YIQ space (close to, but not exactly, torchvision's HSV hue shift); contrast blends with the view's
    mean grey level.
    """

    def __init__(self, brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, prob=0.8):
        if not 0 <= hue <= 0.5:
            raise ValueError(f'SignColorJitter: hue must be in [0, 0.5], got {hue}')
        self.brightness, self.contrast, self.saturation, self.hue = brightness, contrast, saturation, hue
        self.prob = prob

    def matrix(self, mean_grey: float) -> np.ndarray:
        """Draw the factors; return the 3x4 affine RGB matrix."""
        b = np.random.uniform(max(0, 1 - self.brightness), 1 + self.brightness)
        k = np.random.uniform(max(0, 1 - self.contrast), 1 + self.contrast)
        s = np.random.uniform(max(0, 1 - self.saturation), 1 + self.saturation)
        a = 2 * np.pi * np.random.uniform(-self.hue, self.hue)
        chroma = s * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        yiq = np.eye(3)
        yiq[1:, 1:] = chroma
        lin = _YIQ_INV @ yiq @ _YIQ * (b * k)
        # Grey stays grey under the chroma part, so the contrast offset is the same on every channel.
        offset = np.full((3, 1), mean_grey * b * (1 - k))
        return np.hstack([lin, offset]).astype(np.float32)

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        imgs = np.ascontiguousarray(results['imgs'])
        t, h, w, c = imgs.shape
        mat = self.matrix(float(imgs[:, ::8, ::8].mean()))
        results['imgs'] = cv2.transform(imgs.reshape(t * h, w, c), mat).reshape(t, h, w, c)
        return results
