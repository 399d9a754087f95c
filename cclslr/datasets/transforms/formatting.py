"""PackSignInputs: the packed sample of docs/architecture.md."""
from typing import Sequence

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from cclslr.registry import TRANSFORMS
from cclslr.structures import MODALITIES, SignDataSample, check_modalities


def to_cthw(imgs: np.ndarray) -> np.ndarray:
    """(T, H, W, C) -> contiguous (C, T, H, W). For uint8 frames ``cv2.split`` writes each channel
    plane straight into the output (about 3x faster than a strided numpy transpose copy)."""
    t, h, w, c = imgs.shape
    if imgs.dtype != np.uint8 or not 1 < c <= 4:
        return np.ascontiguousarray(imgs.transpose(3, 0, 1, 2))
    out = np.empty((c, t * h, w), np.uint8)
    cv2.split(np.ascontiguousarray(imgs).reshape(t * h, w, c), mv=list(out))
    return out.reshape(c, t, h, w)


@TRANSFORMS.register_module()
class PackSignInputs(BaseTransform):
    """Pack one clip (single view, or the ``views`` of :class:`MultiView`) into
    ``{'inputs': {'rgb': [uint8 (3, T, H, W)], 'pose': [float32 (T, J, 3)]}, 'data_samples':
    SignDataSample}`` with one list entry per view, even for a single view (the contract of
    :mod:`cclslr.structures.inputs`). Pose channels are (x, y, score); the data preprocessor pads
    sequences of different lengths and makes their ``pose_mask``.

    Args:
        modalities: any subset of ('rgb', 'pose').
        meta_keys: results keys copied into the data sample's metainfo.
    """

    def __init__(self, modalities: Sequence[str] = MODALITIES,
                 meta_keys: Sequence[str] = ('sample_id', 'video_path', 'signer_id', 'dataset')):
        self.modalities = check_modalities(modalities, type(self).__name__)
        self.meta_keys = tuple(meta_keys)

    def _pack_view(self, view: dict, inputs: dict) -> None:
        if 'rgb' in self.modalities:
            if 'imgs' not in view:
                raise KeyError(f'{view.get("video_path")}: no frames to pack (DecodeFrames missing?)')
            inputs['rgb'].append(torch.from_numpy(to_cthw(np.asarray(view['imgs']))))
        if 'pose' in self.modalities:
            if 'keypoints' not in view:
                raise KeyError(f'{view.get("video_path")}: no keypoints to pack (LoadPose missing?)')
            pose = np.concatenate([view['keypoints'], view['keypoint_scores'][..., None]], -1)
            inputs['pose'].append(torch.from_numpy(pose.astype(np.float32)))

    def transform(self, results: dict) -> dict:
        views = results.get('views', [results])
        inputs = {m: [] for m in self.modalities}
        for v in views:
            self._pack_view(v, inputs)
        sample = SignDataSample()
        sample.set_gt_label(results.get('label', -1))
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self):
        return f'{type(self).__name__}(modalities={self.modalities})'
