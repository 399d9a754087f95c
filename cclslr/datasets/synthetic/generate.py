"""Write a synthetic ISLR dataset in WLASL's layout.

Output under ``out_dir``::

    WLASL_v0.3.json          [{gloss, instances: [{bbox, fps, frame_start, frame_end, instance_id,
                               signer_id, source, split, url, variation_id, video_id}]}]
    videos/<video_id>.mp4    mp4v (MPEG-4 part 2), RGB signer on a cluttered background
    poses/<video_id>.pkl     Uni-Sign pickle of the 133 COCO-WholeBody keypoints (with detector noise)
    motion_gt/<video_id>.npz only with ``with_motion_gt``: bool (T, H, W) arms + hands + mouth
    class_list.txt           ``label<TAB>gloss``, like WLASL's class list
    manifest.json            generator settings; written last, so it marks a complete dataset

Every clip is seeded by (seed, class, signer, repetition), so the output does not depend on the number
of workers or on the order in which clips are written.
"""
import json
import multiprocessing as mp
import os
import os.path as osp
import shutil
import tempfile
import time

import cv2
import numpy as np

from cclslr.fileio import PoseData, save_mask, write_pose, write_video
from .clip import detector_noise, synthesize_clip
from .config import GENERATOR_VERSION, SyntheticConfig, build_config
from .signer import body_geometry, random_signer
from .signs import SignSpec, make_vocabulary

GENERATOR = 'cclslr.datasets.synthetic'
ANN_FILE = 'WLASL_v0.3.json'


def _atomic_json(path, obj, **kwargs):
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(path), suffix='.tmp')
    with os.fdopen(fd, 'w') as f:
        json.dump(obj, f, **kwargs)
    os.replace(tmp, path)


def _clip_job(job):
    """Worker: render, write and describe one clip. ``job`` is a plain tuple (picklable)."""
    out_dir, cfg_dict, seed, sign_dict, signer, label, rep, video_id = job
    cfg = SyntheticConfig(**cfg_dict)
    sign = SignSpec(**sign_dict)
    rng = np.random.default_rng([seed, label, signer.signer_id, rep])
    T0 = rng.uniform(cfg.min_frames, cfg.max_frames) / signer.speed
    num_frames = int(np.clip(round(T0), cfg.min_frames, cfg.max_frames))
    frames, kps, moving = synthesize_clip(sign, signer, cfg.size, num_frames, cfg.clutter,
                                          cfg.camera_noise, rng)
    g = body_geometry(signer, cfg.size, cfg.size)
    keypoints, scores = detector_noise(kps, cfg.size, cfg.size, g.unit, cfg.keypoint_noise,
                                       cfg.hand_drop_rate, rng)
    write_video(osp.join(out_dir, 'videos', f'{video_id}.mp4'), frames, cfg.fps)
    write_pose(osp.join(out_dir, 'poses', f'{video_id}.pkl'),
               PoseData(keypoints, scores, 'normalized', (cfg.size, cfg.size), cfg.fps), 'unisign')
    if cfg.with_motion_gt:
        save_mask(osp.join(out_dir, 'motion_gt'), video_id, moving)
    # Person box (pixels, [x0, y0, x1, y1] like WLASL): the drawn points inside the frame, plus the torso.
    inside = kps[((kps >= 0) & (kps < cfg.size)).all(-1)]
    x0 = min(inside[:, 0].min(), g.cx - g.shoulder_hw - g.arm_width)
    x1 = max(inside[:, 0].max(), g.cx + g.shoulder_hw + g.arm_width)
    y0 = min(inside[:, 1].min(), g.head_y - 1.1 * g.head_ry)
    bbox = [int(max(0, np.floor(x0))), int(max(0, np.floor(y0))), int(min(cfg.size - 1, np.ceil(x1))),
            cfg.size - 1]
    return dict(video_id=video_id, num_frames=num_frames, bbox=bbox)


def _manifest_matches(out_dir: str, manifest: dict) -> bool:
    """True when ``out_dir`` holds a complete dataset written with the same settings."""
    path = osp.join(out_dir, 'manifest.json')
    if not osp.isfile(path) or not osp.isfile(osp.join(out_dir, ANN_FILE)):
        return False
    try:
        with open(path) as f:
            old = json.load(f)
    except (OSError, ValueError):
        return False
    keys = ('generator', 'version', 'seed', 'config')
    if not old.get('complete') or any(old.get(k) != manifest[k] for k in keys):
        return False
    subdirs = [('videos', '.mp4'), ('poses', '.pkl')]
    if manifest['config']['with_motion_gt']:
        subdirs.append(('motion_gt', '.npz'))
    return all(osp.isfile(osp.join(out_dir, d, f'{vid}{ext}'))
               for vid in old.get('video_ids', []) for d, ext in subdirs) and bool(old.get('video_ids'))


def _prepare_dir(out_dir: str, overwrite: bool) -> None:
    """Remove what an earlier run of this generator wrote; refuse to write into a foreign folder."""
    ours = osp.isfile(osp.join(out_dir, 'manifest.json'))
    if osp.isdir(out_dir) and os.listdir(out_dir) and not ours and not overwrite:
        raise FileExistsError(f'{out_dir}: folder is not empty and holds no synthetic-dataset manifest.json; '
                              'choose another folder or pass overwrite=True (--overwrite)')
    # mpm_masks/ is not written here but derived from these videos (tools/demo.py, generate_masks.py):
    # masks of the old clips under the same video ids would be read as the new clips' masks.
    for sub in ('videos', 'poses', 'motion_gt', 'mpm_masks'):
        if osp.isdir(osp.join(out_dir, sub)):
            shutil.rmtree(osp.join(out_dir, sub))
    for sub in ('videos', 'poses'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)


def make_synthetic_dataset(out_dir: str, preset: str = 'demo', seed: int = 0, num_workers: int = None,
                           overwrite: bool = False, progress: bool = False, **overrides) -> dict:
    """Generate (or reuse) a synthetic ISLR dataset in WLASL's layout.

    Args:
        out_dir: dataset root (created if needed).
        preset: 'demo' (~240 clips, 112x112), 'tiny' (tests) or 'large'; see ``config.PRESETS``.
        seed: everything is deterministic given the seed and the settings.
        num_workers: processes used to render (default: min(2, CPUs)); does not change the output.
        overwrite: regenerate even when ``out_dir`` already holds this exact dataset.
        progress: show a tqdm progress bar.
        overrides: any :class:`SyntheticConfig` field (``num_classes=20``, ``with_motion_gt=True``, ...).
    Returns:
        summary dict: out_dir, ann_file, skipped (reused an existing dataset), num_clips, num_classes,
        splits ({'train': n, ...}), seconds.
    """
    cfg = build_config(preset, **overrides)
    split_of = cfg.splits()
    rng = np.random.default_rng([seed, 7919])
    signs = make_vocabulary(cfg.num_classes, cfg.similarity, rng)
    signers = [random_signer(i, cfg.signer_variability, np.random.default_rng([seed, 104729, i]))
               for i in range(cfg.num_signers)]
    jobs, entries = [], []
    for label, sign in enumerate(signs):
        for signer in signers:
            for rep in range(cfg.num_reps):
                video_id = f'{len(jobs):05d}'
                jobs.append((out_dir, cfg.to_dict(), seed, sign.to_dict(), signer, label, rep, video_id))
                entries.append((label, signer.signer_id, video_id))
    manifest = dict(generator=GENERATOR, version=GENERATOR_VERSION, seed=seed, preset=preset,
                    config=cfg.to_dict(), classes=[dict(label=i, gloss=s.name(i), **s.to_dict())
                                                   for i, s in enumerate(signs)],
                    signers=[dict(split=split_of[s.signer_id], **s.to_dict()) for s in signers],
                    video_ids=[e[2] for e in entries], complete=False)
    splits = {k: sum(split_of[e[1]] == k for e in entries) for k in ('train', 'val', 'test')}
    summary = dict(out_dir=out_dir, ann_file=osp.join(out_dir, ANN_FILE), skipped=True,
                   num_clips=len(jobs), num_classes=cfg.num_classes, splits=splits, seconds=0.0)
    if not overwrite and _manifest_matches(out_dir, manifest):
        return summary

    start = time.time()
    os.makedirs(out_dir, exist_ok=True)
    _prepare_dir(out_dir, overwrite)
    _atomic_json(osp.join(out_dir, 'manifest.json'), manifest, indent=1)   # complete=False until the end
    num_workers = min(2, os.cpu_count() or 1) if num_workers is None else int(num_workers)
    results = _run_jobs(jobs, num_workers, progress)

    by_id = {r['video_id']: r for r in results}
    ann = []
    for label, sign in enumerate(signs):
        instances = []
        for lab, signer_id, video_id in entries:
            if lab != label:
                continue
            instances.append(dict(bbox=by_id[video_id]['bbox'], fps=cfg.fps, frame_end=-1, frame_start=1,
                                  instance_id=len(instances), signer_id=signer_id, source='synthetic',
                                  split=split_of[signer_id], url='', variation_id=0, video_id=video_id))
        ann.append(dict(gloss=sign.name(label), instances=instances))
    _atomic_json(osp.join(out_dir, ANN_FILE), ann)
    with open(osp.join(out_dir, 'class_list.txt'), 'w') as f:
        f.writelines(f'{i}\t{s.name(i)}\n' for i, s in enumerate(signs))
    manifest.update(complete=True, num_frames={r['video_id']: r['num_frames']
                                                for r in sorted(results, key=lambda r: r['video_id'])})
    _atomic_json(osp.join(out_dir, 'manifest.json'), manifest, indent=1)
    summary.update(skipped=False, seconds=round(time.time() - start, 2))
    return summary


def _init_worker():
    cv2.setNumThreads(1)


def _run_jobs(jobs, num_workers: int, progress: bool):
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), desc='synthetic clips', unit='clip')
    results = []
    if num_workers <= 1:
        _init_worker()
        for job in jobs:
            results.append(_clip_job(job))
            if bar is not None:
                bar.update()
    else:
        # fork: workers inherit the imported modules, so start-up costs nothing.
        ctx = mp.get_context('fork') if 'fork' in mp.get_all_start_methods() else mp.get_context()
        with ctx.Pool(num_workers, initializer=_init_worker) as pool:
            for r in pool.imap_unordered(_clip_job, jobs, chunksize=4):
                results.append(r)
                if bar is not None:
                    bar.update()
    if bar is not None:
        bar.close()
    return results
