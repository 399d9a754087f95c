"""Whole-body keypoint extraction with MMPose top-down models (RTMPose-WholeBody by default).

One Uni-Sign pose pickle per video (``cclslr.fileio``, format ``'unisign'``): keypoints (T, 133, 2)
normalised to [0, 1] by the frame's width/height, scores (T, 133), plus ``width``, ``height`` and ``fps``.
A pose file covers every frame of its video file; datasets slice the annotated frame range when they load it.

Per frame, the person box is, in this order of preference:

1. with a detector (MMDet config + checkpoint): the detected person that overlaps the annotated box most,
   or, without an annotated box, the highest-scoring person; frames with no person get zeros (score 0);
2. without a detector: the annotated box (normalised ``[x0, y0, x1, y1]``) or else the full frame.

The pose model then runs once per frame on that box, frames batched through ``model.test_step`` (what
``mmpose.apis.inference_topdown`` does for one image, here for ``batch_size`` frames at a time).
"""
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from cclslr.fileio import PoseData, decode_frames, open_video, video_fps, video_num_frames, write_pose
from cclslr.structures.keypoint_layout import NUM_WHOLEBODY

# The paper's pose model (docs/method.md §2): RTMPose-x trained on COCO-WholeBody, 384x288 input. The path is
# relative to mmpose's packaged configs (``mmpose/.mim/configs``); the checkpoint must be fetched by hand.
DEFAULT_POSE_CONFIG = ('wholebody_2d_keypoint/rtmpose/coco-wholebody/'
                       'rtmpose-x_8xb32-270e_coco-wholebody-384x288.py')
DEFAULT_POSE_CHECKPOINT = 'checkpoints/rtmpose-x_simcc-coco-wholebody_384x288.pth'
KEYPOINT_SOURCE = 'mmpose'  # what the pose files of this backend record


@dataclass
class ExtractionTask:
    """One video to process: where to read it, where to write its pose file, optional person box."""
    video_path: str
    out_path: str
    box: Optional[Sequence[float]] = None  # normalised [x0, y0, x1, y1]


def resolve_config(path: str) -> str:
    """A config path as given, or relative to mmpose's packaged ``.mim/configs`` or ``.mim`` (for
    ``demo/mmdetection_cfg/...`` detector configs); an ``mmpose::`` prefix is allowed."""
    path = str(path)
    if osp.isfile(path):
        return path
    rel = path.split('::', 1)[-1]
    import mmpose
    mim = osp.join(osp.dirname(mmpose.__file__), '.mim')
    for candidate in (osp.join(mim, 'configs', rel), osp.join(mim, rel)):
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(f'{path}: config file not found (neither as a path nor under {mim})')


def _check_checkpoint(path: Optional[str], what: str) -> None:
    if not path:
        raise ValueError(f'a {what} checkpoint path is required (nothing is downloaded at run time)')
    if '://' in str(path):
        raise ValueError(f'{path}: {what} checkpoints are read from local files only (no downloads)')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path}: {what} checkpoint not found; download it by hand (docs/keypoints.md)')


def box_iou(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    """IoU of (K, 4) xyxy boxes with one (4,) xyxy box → (K,)."""
    x0 = np.maximum(boxes[:, 0], box[0])
    y0 = np.maximum(boxes[:, 1], box[1])
    x1 = np.minimum(boxes[:, 2], box[2])
    y1 = np.minimum(boxes[:, 3], box[3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + (box[2] - box[0]) * (box[3] - box[1]) - inter, 1e-6)


def select_person(boxes: np.ndarray, scores: np.ndarray, ann_box: Optional[np.ndarray] = None):
    """Pick one person box among detections.

    Args:
        boxes: (K, 4) xyxy pixel boxes of detected persons; scores: (K,).
        ann_box: (4,) xyxy pixel box of the annotated signer, or None.

    Returns:
        (4,) float32 box, or None when there is no person. With ``ann_box``: the detection that overlaps
        it most, or ``ann_box`` itself when none overlaps (the annotation still says where the signer is).
    """
    if ann_box is not None:
        if len(boxes):
            iou = box_iou(boxes, ann_box)
            if iou.max() > 0:
                return boxes[int(iou.argmax())].astype(np.float32)
        return np.asarray(ann_box, dtype=np.float32)
    if not len(boxes):
        return None
    return boxes[int(np.argmax(scores))].astype(np.float32)


class WholeBodyPoseExtractor:
    """Runs an MMPose top-down whole-body model (and optionally an MMDet person detector) on videos.

    Args:
        pose_config: MMPose config path (or a path under mmpose's packaged configs).
        pose_checkpoint: local checkpoint of that model (required; a clear error when missing).
        device: ``'cpu'``, ``'cuda:0'``, ...
        det_config / det_checkpoint: optional MMDet person detector.
        det_cat_id: the detector's person class (0 for COCO). det_score_thr: minimum detection score.
        batch_size: frames decoded and passed through the pose model at once.
    """

    def __init__(self, pose_config: str = DEFAULT_POSE_CONFIG, pose_checkpoint: str = DEFAULT_POSE_CHECKPOINT,
                 device: str = 'cpu', det_config: Optional[str] = None, det_checkpoint: Optional[str] = None,
                 det_cat_id: int = 0, det_score_thr: float = 0.5, batch_size: int = 16):
        import cclslr  # noqa: F401  (compat stand-ins before mmpose/mmdet models are imported)
        from mmengine.config import Config
        from mmengine.dataset import Compose
        from mmengine.registry import DefaultScope

        from cclslr.utils.checkpoint import allow_mmengine_checkpoint_globals
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.batch_size = batch_size
        self.det_cat_id, self.det_score_thr = det_cat_id, det_score_thr
        _check_checkpoint(pose_checkpoint, 'pose model')
        cfg = Config.fromfile(resolve_config(pose_config))
        # Released MMPose checkpoints keep numpy arrays in their meta; torch >= 2.6 loads weights-only, so
        # allow exactly the classes MMEngine writes (cclslr's checkpoint policy), nothing arbitrary.
        allow_mmengine_checkpoint_globals()
        from mmpose.apis import init_model
        try:
            self.pose_model = init_model(cfg, pose_checkpoint, device=device)
        except Exception as e:
            raise RuntimeError(f'{pose_checkpoint}: cannot build/load the pose model of {pose_config} '
                               f'({type(e).__name__}: {e})') from e
        num_kpts = self.pose_model.dataset_meta.get('num_keypoints')
        if num_kpts != NUM_WHOLEBODY:
            raise ValueError(f'{pose_config}: the model predicts {num_kpts} keypoints; a COCO-WholeBody '
                             f'model ({NUM_WHOLEBODY} keypoints) is required')
        # Build the pipeline once, in the pose model's scope: later scope changes (the detector) cannot
        # then resolve its transforms in the wrong registry.
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpose')):
            self.pose_pipeline = Compose(cfg.test_dataloader.dataset.pipeline)

        self.det_model = None
        if det_config:
            _check_checkpoint(det_checkpoint, 'detector')
            from mmdet.apis import init_detector
            from mmdet.utils import get_test_pipeline_cfg
            det_cfg = Config.fromfile(resolve_config(det_config))
            try:
                self.det_model = init_detector(det_cfg, det_checkpoint, device=device)
            except Exception as e:
                raise RuntimeError(f'{det_checkpoint}: cannot build/load the detector of {det_config} '
                                   f'({type(e).__name__}: {e})') from e
            pipeline = get_test_pipeline_cfg(det_cfg.copy())
            pipeline[0].type = 'mmdet.LoadImageFromNDArray'
            with DefaultScope.overwrite_default_scope('mmdet'):
                self.det_pipeline = Compose(pipeline)

    def _person_boxes(self, frames: List[np.ndarray], ann_box: Optional[np.ndarray]) -> List:
        """One (4,) xyxy box or None per frame (BGR, H×W×3)."""
        if self.det_model is None:
            h, w = frames[0].shape[:2]
            full = np.array([0, 0, w, h], dtype=np.float32)
            return [ann_box if ann_box is not None else full] * len(frames)
        from mmdet.apis import inference_detector
        results = inference_detector(self.det_model, frames, test_pipeline=self.det_pipeline)
        out = []
        for res in results:
            inst = res.pred_instances.cpu().numpy()
            keep = (inst.labels == self.det_cat_id) & (inst.scores > self.det_score_thr)
            out.append(select_person(inst.bboxes[keep], inst.scores[keep], ann_box))
        return out

    def _estimate(self, frames: List[np.ndarray], boxes: List[np.ndarray]):
        """Pose of one box per frame → keypoints (B, 133, 2) in pixels, scores (B, 133)."""
        import torch
        from mmengine.dataset import pseudo_collate
        data = []
        for img, box in zip(frames, boxes):
            info = dict(img=img, bbox=np.asarray(box, np.float32)[None], bbox_score=np.ones(1, np.float32))
            info.update(self.pose_model.dataset_meta)
            data.append(self.pose_pipeline(info))
        with torch.no_grad():
            results = self.pose_model.test_step(pseudo_collate(data))
        kpts = np.stack([np.asarray(r.pred_instances.keypoints)[0] for r in results])
        scores = np.stack([np.asarray(r.pred_instances.keypoint_scores)[0] for r in results])
        return kpts, scores

    def extract(self, video_path: str, box: Optional[Sequence[float]] = None) -> dict:
        """Keypoints of every frame of a video.

        Args:
            video_path: any file decord reads.
            box: optional normalised ``[x0, y0, x1, y1]`` of the signer.

        Returns:
            dict with ``keypoints`` (T, 133, 2) float32 in [0, 1] (x / width, y / height), ``scores``
            (T, 133) float32 in [0, 1] (zeros for frames without a person), ``width``, ``height``, ``fps``.
        """
        reader = open_video(video_path)
        num_frames = video_num_frames(reader)
        kpts = np.zeros((num_frames, NUM_WHOLEBODY, 2), np.float32)
        scores = np.zeros((num_frames, NUM_WHOLEBODY), np.float32)
        height = width = None
        for start in range(0, num_frames, self.batch_size):
            idx = list(range(start, min(start + self.batch_size, num_frames)))
            rgb = decode_frames(reader, idx, video_path)
            height, width = rgb.shape[1:3]
            ann_box = None
            if box is not None:
                ann_box = np.asarray(box, np.float32) * np.array([width, height, width, height], np.float32)
            frames = [np.ascontiguousarray(f[..., ::-1]) for f in rgb]  # MMPose/MMDet configs expect BGR
            boxes = self._person_boxes(frames, ann_box)
            found = [i for i, b in enumerate(boxes) if b is not None]
            if not found:
                continue
            k, s = self._estimate([frames[i] for i in found], [boxes[i] for i in found])
            if not (np.isfinite(k).all() and np.isfinite(s).all()):
                raise ValueError(
                    f'{video_path}: the pose model returned non-finite keypoints near frame {start}')
            rows = [start + i for i in found]
            kpts[rows] = k / np.array([width, height], np.float32)
            scores[rows] = s
        # Points predicted just outside the frame are clamped: the pose file contract is [0, 1]. SimCC
        # scores are not probabilities (they may exceed 1); clamping keeps every score > 0.3 decision.
        np.clip(kpts, 0.0, 1.0, out=kpts)
        np.clip(scores, 0.0, 1.0, out=scores)
        return dict(keypoints=kpts, scores=scores, width=int(width), height=int(height),
                    fps=video_fps(reader))

    def extract_to_file(self, task: ExtractionTask) -> int:
        """Extract one video and write its pose file atomically (``keypoint_source='mmpose'``).
        Returns the number of frames."""
        res = self.extract(task.video_path, task.box)
        write_pose(task.out_path, PoseData(res['keypoints'], res['scores'], 'normalized',
                                           (res['width'], res['height']), res['fps'], KEYPOINT_SOURCE),
                   'unisign')
        return len(res['keypoints'])
