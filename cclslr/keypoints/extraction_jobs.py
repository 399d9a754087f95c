"""Batch keypoint extraction: the videos to process, resumption, the worker pool and the error log.

The per-video work is one extractor's ``extract_to_file(task)``: a backend of :data:`BACKENDS`
(``'mediapipe'``: :class:`~cclslr.keypoints.mediapipe_extractor.MediaPipeHolisticExtractor`, ``'mmpose'``:
:class:`~cclslr.keypoints.mmpose_extractor.WholeBodyPoseExtractor`), chosen by the ``backend`` key of
the extractor config. This module decides which videos to run (a folder or a dataset config), skips
finished pose files, spreads the rest over worker processes (one model each) and records every failure
without stopping the run.
"""
import json
import multiprocessing as mp
import os
import os.path as osp
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from cclslr.fileio import read_pose
from cclslr.fileio.atomic import remove_stale_temp_files
from .mediapipe_extractor import MediaPipeHolisticExtractor, check_holistic_options
from .mmpose_extractor import (DEFAULT_POSE_CHECKPOINT, DEFAULT_POSE_CONFIG, ExtractionTask,
                               WholeBodyPoseExtractor, _check_checkpoint, resolve_config)

# backend name -> extractor class. Both take their keyword options from the extractor config (less
# ``backend``) and write Uni-Sign pickles through ``extract_to_file``; only MMPose takes a ``device``.
BACKENDS = {'mediapipe': MediaPipeHolisticExtractor, 'mmpose': WholeBodyPoseExtractor}
DEFAULT_BACKEND = 'mmpose'  # an extractor config without ``backend`` (written before MediaPipe existed)


@dataclass
class ExtractionSummary:
    """Counts of one run; ``errors`` holds ``{'video', 'out', 'error'}`` dicts of the failed files;
    ``removed_partial`` counts the temporary files of a killed earlier run that this one removed."""
    done: int = 0
    skipped: int = 0
    failed: int = 0
    removed_partial: int = 0
    frames: int = 0
    seconds: float = 0.0
    errors: List[Dict[str, str]] = field(default_factory=list)


def is_finished(out_path: str) -> bool:
    """A finished output: a readable pose file with at least one frame (writes are atomic)."""
    if not osp.isfile(out_path):
        return False
    try:
        pose = read_pose(out_path, 'unisign')
    except (OSError, ValueError):
        return False
    return pose.num_frames > 0


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


def _split_backend(extractor_cfg: dict):
    cfg = dict(extractor_cfg)
    backend = cfg.pop('backend', DEFAULT_BACKEND)
    if backend not in BACKENDS:
        raise ValueError(f'unknown keypoint backend {backend!r}; choose one of {tuple(BACKENDS)}')
    return backend, cfg


def build_extractor(extractor_cfg: dict, device: str = 'cpu'):
    """The extractor of ``extractor_cfg``: ``backend`` (default ``'mmpose'``) plus its class's options."""
    backend, cfg = _split_backend(extractor_cfg)
    if backend == 'mediapipe':
        return MediaPipeHolisticExtractor(**cfg)
    return WholeBodyPoseExtractor(**cfg, device=device)


def check_extractor_config(extractor_cfg: dict, devices: Sequence[str]) -> None:
    """Fail once, before any worker starts, on what would fail in every worker (wrong paths, options)."""
    backend, cfg = _split_backend(extractor_cfg)
    if backend == 'mediapipe':
        check_holistic_options(**cfg)
        if any(d != 'cpu' for d in devices):
            raise ValueError(f'the mediapipe backend runs on the CPU only (MediaPipe\'s Python Holistic has '
                             f'no GPU path), got devices {list(devices)}; use --device cpu')
        return
    _check_checkpoint(cfg.get('pose_checkpoint', DEFAULT_POSE_CHECKPOINT), 'pose model')
    resolve_config(cfg.get('pose_config', DEFAULT_POSE_CONFIG))
    if cfg.get('det_config'):
        _check_checkpoint(cfg.get('det_checkpoint'), 'detector')


# ----- running many videos (in-process or in a process pool) -----
_WORKER = {}


def _run_one(extractor, task: ExtractionTask, init_error: str = None):
    if extractor is None:
        return task, 0, f'the worker could not build the model: {init_error}'
    try:
        return task, extractor.extract_to_file(task), None
    except NotImplementedError:
        raise  # the model cannot run here at all (e.g. an mmcv op missing under mmcv-lite): stop
    except Exception as e:  # a bad video is logged, never stops the run
        return task, 0, f'{type(e).__name__}: {e}'


def _worker_init(extractor_cfg: dict, devices) -> None:
    if _split_backend(extractor_cfg)[0] == 'mmpose':
        import torch
        torch.set_num_threads(1)  # each worker is one process: many workers, one thread each
    try:
        _WORKER['extractor'] = build_extractor(extractor_cfg, devices.get())
    except Exception as e:
        _WORKER['extractor'], _WORKER['error'] = None, f'{type(e).__name__}: {e}'


def _worker_run(task: ExtractionTask):
    return _run_one(_WORKER['extractor'], task, _WORKER.get('error'))


def run_extraction(tasks: Sequence[ExtractionTask], extractor_cfg: dict, devices: Sequence[str] = ('cpu',),
                   num_workers: int = 0, error_log: Optional[str] = None, overwrite: bool = False,
                   progress: bool = True) -> ExtractionSummary:
    """Extract every task not finished yet; failures go to ``error_log`` (JSON lines) and the summary.

    Args:
        extractor_cfg: ``backend`` (``'mediapipe'`` or ``'mmpose'``; default ``'mmpose'``) and the keyword
            arguments of that backend's extractor class (:data:`BACKENDS`) except ``device``.
        devices: devices given round-robin to the workers (one device: every worker uses it).
        num_workers: 0 or 1 runs in this process; more starts a spawn process pool, one model per worker
            (for MediaPipe: one Holistic graph per worker, videos never share one).
        overwrite: redo finished files too.
    """
    from tqdm import tqdm
    summary = ExtractionSummary()
    # A killed run leaves at most temporary files (pose writes are atomic): remove them, then redo those.
    for folder in sorted({osp.dirname(osp.abspath(t.out_path)) for t in tasks}):
        summary.removed_partial += len(remove_stale_temp_files(folder, recursive=False))
    todo = []
    for task in tasks:
        if not overwrite and is_finished(task.out_path):
            summary.skipped += 1
        else:
            todo.append(task)
    if todo:  # a finished run resumes without the model (or its checkpoint) at hand
        check_extractor_config(extractor_cfg, devices)
    log = None
    if error_log:
        os.makedirs(osp.dirname(osp.abspath(error_log)), exist_ok=True)
        log = open(error_log, 'w')  # the log describes the latest run
    start = time.perf_counter()
    pool = extractor = None
    try:
        if not todo:
            results = iter(())
        elif num_workers <= 1:
            extractor = build_extractor(extractor_cfg, devices[0])
            results = (_run_one(extractor, t) for t in todo)
        else:
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
        if hasattr(extractor, 'close'):
            extractor.close()  # MediaPipe's graph holds threads and memory until closed
        if pool is not None:
            pool.terminate()  # every task has returned here, or the run is being aborted
            pool.join()
        if log is not None:
            log.close()
    summary.seconds = time.perf_counter() - start
    return summary
