"""MMPose whole-body predictions (RTMPose-WholeBody), format name ``'mmpose'``, extension ``.json``.

The COCO-WholeBody layouts are the same, so the conversion is exact. A file holds the per-frame
predictions, either as a list (MMPoseInferencer's json: ``[{frame_id, instances}, ...]``) or as a dict
``{'meta': {'width', 'height'}, 'instance_info' | 'frames' | 'predictions': [...]}``; keypoints are in
pixels. ``format='mmpose'`` also reads such data from a pickle (:mod:`cclslr.fileio.safe_pickle`: plain
dicts, lists and arrays only, so pickled ``PoseDataSample`` objects are refused).
"""
import json
import os.path as osp
from typing import Sequence, Tuple

import numpy as np

from cclslr.structures.keypoint_layout import NUM_WHOLEBODY
from ..pose_files import PoseData, checked_image_size, register_pose_reader
from ..safe_pickle import safe_load


def _instances_of(frame) -> list:
    """The list of person instances of one frame, whatever MMPose output style it comes in."""
    if frame is None:
        return []
    if isinstance(frame, dict):
        if 'instances' in frame:                       # MMPoseInferencer json: {frame_id, instances}
            return list(frame['instances'] or [])
        if 'pred_instances' in frame:                  # PoseDataSample.to_dict()-like
            return _instances_of(frame['pred_instances'])
        if 'keypoints' in frame:                       # one dict holding (N, 133, 2) or (133, 2)
            kpts = np.asarray(frame['keypoints'], dtype=np.float32).reshape(-1, NUM_WHOLEBODY, 2)
            scores = np.asarray(frame.get('keypoint_scores', np.ones(kpts.shape[:2])),
                                dtype=np.float32).reshape(-1, NUM_WHOLEBODY)
            return [dict(keypoints=k, keypoint_scores=s) for k, s in zip(kpts, scores)]
        return []
    if hasattr(frame, 'pred_instances'):               # a real PoseDataSample
        inst = frame.pred_instances
        return _instances_of(dict(keypoints=np.asarray(inst.keypoints),
                                  keypoint_scores=np.asarray(inst.keypoint_scores)))
    if isinstance(frame, (list, tuple)):               # a list of instance dicts
        return [i for f in frame for i in _instances_of(f)]
    raise TypeError(f'unsupported MMPose frame entry of type {type(frame).__name__}')


def mmpose_to_wholebody(frames: Sequence) -> Tuple[np.ndarray, np.ndarray]:
    """Per-frame MMPose whole-body predictions -> (T, 133, 2) pixel coordinates and (T, 133) scores.

    Each frame may be ``{'instances': [...]}`` (MMPoseInferencer), ``{'pred_instances': {...}}``, a
    ``PoseDataSample``, or a list of instance dicts with ``keypoints`` (133, 2) and ``keypoint_scores``.
    The signer is the instance with the highest mean keypoint score; frames without one get score 0.
    """
    kpts = np.zeros((len(frames), NUM_WHOLEBODY, 2), np.float32)
    scores = np.zeros((len(frames), NUM_WHOLEBODY), np.float32)
    for t, frame in enumerate(frames):
        insts = _instances_of(frame)
        if not insts:
            continue
        best = max(insts, key=lambda i: float(np.mean(i.get('keypoint_scores', 0.0))))
        k = np.asarray(best['keypoints'], dtype=np.float32).reshape(-1, 2)
        if len(k) != NUM_WHOLEBODY:
            raise ValueError(f'frame {t}: expected {NUM_WHOLEBODY} whole-body keypoints, got {len(k)}')
        kpts[t] = k
        scores[t] = np.asarray(best.get('keypoint_scores', np.ones(NUM_WHOLEBODY)), np.float32).reshape(-1)
    return kpts, scores


@register_pose_reader('mmpose', extensions=('.json',))
def read_mmpose(path: str) -> PoseData:
    """Read MMPose predictions (json, or a pickle of the same structure): pixel keypoints."""
    if osp.splitext(path)[1].lower() == '.json':
        with open(path) as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}: unreadable MMPose json ({e})') from e
    else:
        data = safe_load(path)
    size = None
    if isinstance(data, dict):  # {'meta': {...}, 'frames'|'instance_info': [...]}
        meta = data.get('meta', data)
        has_size = isinstance(meta, dict) and 'width' in meta and 'height' in meta
        size = checked_image_size(path, meta['width'], meta['height']) if has_size else None
        data = data.get('instance_info', data.get('frames', data.get('predictions')))
    kpts, scores = mmpose_to_wholebody(data)
    return PoseData(kpts, scores, 'pixel', size)
