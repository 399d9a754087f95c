"""Whole-body keypoint extraction with MMPose top-down models (RTMPose-WholeBody by default).

One Uni-Sign pose pickle per video (``cclslr.datasets.pose_io``): keypoints (T, 133, 2) normalised to
[0, 1] by the frame's width/height, scores (T, 133), plus ``width``, ``height`` and ``fps``. A pose file
covers every frame of its video file; datasets slice the annotated frame range when they load it.

Per frame, the person box is, in this order of preference:

1. with a detector (MMDet config + checkpoint): the detected person that overlaps the annotated box most,
   or, without an annotated box, the highest-scoring person; frames with no person get zeros (score 0);
2. without a detector: the annotated box (normalised ``[x0, y0, x1, y1]``) or else the full frame.

The pose model then runs once per frame on that box, frames batched through ``model.test_step`` (what
``mmpose.apis.inference_topdown`` does for one image, here for ``batch_size`` frames at a time).
"""
import json
import multiprocessing as mp
import os
import os.path as osp
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from cclslr.datasets.keypoint_layout import NUM_WHOLEBODY
from cclslr.datasets.pose_io import load_unisign_pose, save_unisign_pose

# The paper's pose model (method.md §2): RTMPose-x trained on COCO-WholeBody, 384x288 input. The path is
# relative to mmpose's packaged configs (``mmpose/.mim/configs``); the checkpoint must be fetched by hand.
DEFAULT_POSE_CONFIG = ('wholebody_2d_keypoint/rtmpose/coco-wholebody/'
                       'rtmpose-x_8xb32-270e_coco-wholebody-384x288.py')
DEFAULT_POSE_CHECKPOINT = 'checkpoints/rtmpose-x_simcc-coco-wholebody_384x288.pth'


@dataclass
class ExtractionTask:
    """One video to process: where to read it, where to write its pose file, optional person box."""
    video_path: str
    out_path: str
    box: Optional[Sequence[float]] = None  # normalised [x0, y0, x1, y1]


@dataclass
class ExtractionSummary:
    """Counts of one run; ``errors`` holds ``{'video', 'out', 'error'}`` dicts of the failed files."""
    done: int = 0
    skipped: int = 0
    failed: int = 0
    frames: int = 0
    seconds: float = 0.0
    errors: List[Dict[str, str]] = field(default_factory=list)


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


def open_video(path: str):
    """A decord ``VideoReader``; errors name the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: video file not found')
    import decord
    try:
        reader = decord.VideoReader(path, ctx=decord.cpu(0), num_threads=1)
    except Exception as e:  # decord raises DECORDError (a RuntimeError) and others for corrupt files
        first_line = (str(e).splitlines() or [''])[0]
        raise RuntimeError(f'{path}: cannot decode video ({type(e).__name__}: {first_line})') from e
    if len(reader) == 0:
        raise RuntimeError(f'{path}: video has no frames')
    return reader


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
        num_frames = len(reader)
        kpts = np.zeros((num_frames, NUM_WHOLEBODY, 2), np.float32)
        scores = np.zeros((num_frames, NUM_WHOLEBODY), np.float32)
        height = width = None
        for start in range(0, num_frames, self.batch_size):
            idx = list(range(start, min(start + self.batch_size, num_frames)))
            try:
                rgb = reader.get_batch(idx).asnumpy()
            except Exception as e:
                raise RuntimeError(f'{video_path}: cannot decode frames {idx[0]}-{idx[-1]} '
                                   f'({type(e).__name__}: {(str(e).splitlines() or [""])[0]})') from e
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
                    fps=float(reader.get_avg_fps()))

    def extract_to_file(self, task: ExtractionTask) -> int:
        """Extract one video and write its pose file atomically. Returns the number of frames."""
        res = self.extract(task.video_path, task.box)
        save_unisign_pose(task.out_path, res['keypoints'], res['scores'], width=res['width'],
                          height=res['height'], fps=res['fps'])
        return len(res['keypoints'])


def is_finished(out_path: str) -> bool:
    """A finished output: a readable pose file with at least one frame (writes are atomic)."""
    if not osp.isfile(out_path):
        return False
    try:
        kpts, _, _ = load_unisign_pose(out_path)
    except (OSError, ValueError):
        return False
    return len(kpts) > 0


def collect_video_tasks(video_dir: str, out_dir: str, pattern: str = '*.mp4') -> List[ExtractionTask]:
    """Videos of ``video_dir`` matching ``pattern`` (``'**/*.mp4'`` recurses); outputs mirror the tree."""
    root = Path(video_dir)
    if not root.is_dir():
        raise FileNotFoundError(f'{video_dir}: video folder not found')
    paths = sorted(p for p in root.glob(pattern) if p.is_file())
    if not paths:
        raise FileNotFoundError(f'{video_dir}: no file matches {pattern!r}')
    return [ExtractionTask(str(p), str(Path(out_dir) / p.relative_to(root).with_suffix('.pkl')))
            for p in paths]


def collect_dataset_tasks(dataset, out_dir: Optional[str] = None) -> List[ExtractionTask]:
    """Tasks from a built dataset's ``data_list`` (``video_path``, ``pose_path``, optional ``box``).

    A sample's ``pose_path`` is where its file goes; samples without one go to
    ``<out_dir>/<sample_id>.pkl``. Samples sharing a pose file (several clips of one video) give one task.
    """
    tasks, seen = [], set()
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        out = info.get('pose_path')
        if not out:
            if out_dir is None:
                raise ValueError(f'sample {info.get("sample_id", i)} ({info["video_path"]}) has no '
                                 'pose_path; set the dataset\'s data_prefix.pose or give an output folder')
            out = osp.join(out_dir, f'{info.get("sample_id", i)}.pkl')
        if out in seen:
            continue
        seen.add(out)
        tasks.append(ExtractionTask(info['video_path'], out, info.get('box')))
    return tasks


def _without_pipeline(cfg: dict) -> dict:
    """Drop the pipelines of a dataset config (and of wrapped/concatenated ones): only data_list is read."""
    cfg = dict(cfg)
    if 'pipeline' in cfg:
        cfg['pipeline'] = []
    if isinstance(cfg.get('dataset'), dict):
        cfg['dataset'] = _without_pipeline(cfg['dataset'])
    if isinstance(cfg.get('datasets'), (list, tuple)):
        cfg['datasets'] = [_without_pipeline(c) for c in cfg['datasets']]
    return cfg


def build_dataset_from_config(config_path: str, split: str = 'train'):
    """Build ``<split>_dataloader.dataset`` of a cclslr config (pipelines dropped) via cclslr's DATASETS."""
    from mmengine.config import Config

    from cclslr.registry import DATASETS
    from cclslr.utils import register_all_modules
    cfg = Config.fromfile(config_path)
    key = f'{split}_dataloader'
    if key not in cfg or 'dataset' not in cfg[key]:
        raise KeyError(f'{config_path}: no "{key}.dataset" in the config (choose --split train, val or test)')
    register_all_modules()
    return DATASETS.build(_without_pipeline(cfg[key]['dataset'].to_dict()))


# ----- running many videos (in-process or in a process pool) -----
_WORKER = {}


def _run_one(extractor: Optional[WholeBodyPoseExtractor], task: ExtractionTask, init_error: str = None):
    if extractor is None:
        return task, 0, f'the worker could not build the model: {init_error}'
    try:
        return task, extractor.extract_to_file(task), None
    except NotImplementedError:
        raise  # the model cannot run here at all (e.g. an mmcv op missing under mmcv-lite): stop
    except Exception as e:  # a bad video is logged, never stops the run
        return task, 0, f'{type(e).__name__}: {e}'


def _worker_init(extractor_cfg: dict, devices) -> None:
    import torch
    torch.set_num_threads(1)  # each worker is one process: many workers, one thread each
    try:
        _WORKER['extractor'] = WholeBodyPoseExtractor(**extractor_cfg, device=devices.get())
    except Exception as e:
        _WORKER['extractor'], _WORKER['error'] = None, f'{type(e).__name__}: {e}'


def _worker_run(task: ExtractionTask):
    return _run_one(_WORKER['extractor'], task, _WORKER.get('error'))


def run_extraction(tasks: Sequence[ExtractionTask], extractor_cfg: dict, devices: Sequence[str] = ('cpu',),
                   num_workers: int = 0, error_log: Optional[str] = None, overwrite: bool = False,
                   progress: bool = True) -> ExtractionSummary:
    """Extract every task not finished yet; failures go to ``error_log`` (JSON lines) and the summary.

    Args:
        extractor_cfg: keyword arguments of :class:`WholeBodyPoseExtractor` except ``device``.
        devices: devices given round-robin to the workers (one device: every worker uses it).
        num_workers: 0 or 1 runs in this process; more starts a spawn process pool, one model per worker.
        overwrite: redo finished files too.
    """
    from tqdm import tqdm
    summary = ExtractionSummary()
    todo = []
    for task in tasks:
        if not overwrite and is_finished(task.out_path):
            summary.skipped += 1
        else:
            todo.append(task)
    log = None
    if error_log:
        os.makedirs(osp.dirname(osp.abspath(error_log)), exist_ok=True)
        log = open(error_log, 'w')  # the log describes the latest run
    start = time.perf_counter()
    pool = None
    try:
        if not todo:
            results = iter(())
        elif num_workers <= 1:
            extractor = WholeBodyPoseExtractor(**extractor_cfg, device=devices[0])
            results = (_run_one(extractor, t) for t in todo)
        else:
            # Fail here, once, on a wrong path rather than once per video in every worker.
            _check_checkpoint(extractor_cfg.get('pose_checkpoint', DEFAULT_POSE_CHECKPOINT), 'pose model')
            resolve_config(extractor_cfg.get('pose_config', DEFAULT_POSE_CONFIG))
            if extractor_cfg.get('det_config'):
                _check_checkpoint(extractor_cfg.get('det_checkpoint'), 'detector')
            # spawn, not fork: CUDA cannot be re-initialised in a forked child, and each worker must
            # build its own model anyway.
            ctx = mp.get_context('spawn')
            queue = ctx.Queue()
            for i in range(num_workers):
                queue.put(devices[i % len(devices)])
            pool = ctx.Pool(num_workers, initializer=_worker_init, initargs=(extractor_cfg, queue))
            results = pool.imap_unordered(_worker_run, todo)
        bar = tqdm(results, total=len(todo), desc='keypoints', unit='video', disable=not progress)
        for task, frames, error in bar:
            if error is None:
                summary.done += 1
                summary.frames += frames
                continue
            summary.failed += 1
            entry = dict(video=task.video_path, out=task.out_path, error=error)
            summary.errors.append(entry)
            bar.set_postfix(failed=summary.failed)
            if log is not None:
                log.write(json.dumps(entry) + '\n')
                log.flush()
    finally:
        if pool is not None:
            pool.terminate()  # every task has returned here, or the run is being aborted
            pool.join()
        if log is not None:
            log.close()
    summary.seconds = time.perf_counter() - start
    return summary
