"""Extract COCO-WholeBody keypoints from videos into Uni-Sign pose pickles (MediaPipe or MMPose).

Folder of videos, MediaPipe Holistic (no weights to fetch, CPU)::

    python tools/data/extract_keypoints.py --backend mediapipe --video-dir data/wlasl/videos \
        --out-dir data/wlasl/pose --num-workers 4

MMPose (RTMPose-WholeBody, the paper's keypoints; a local checkpoint)::

    python tools/data/extract_keypoints.py --backend mmpose --video-dir data/wlasl/videos \
        --out-dir data/wlasl/pose \
        --pose-checkpoint checkpoints/rtmpose-x_simcc-coco-wholebody_384x288.pth --device cuda:0

Dataset of a cclslr config (each sample's ``pose_path`` is where its file goes)::

    python tools/data/extract_keypoints.py --split train \
        --dataset-config configs/finetune/recognizer_gcn_8xb16-40e_wlasl2000.py --backend mediapipe

Without ``--backend``: MMPose when an MMPose option is given (``--pose-config``, ``--pose-checkpoint``,
``--det-config``, ``--det-checkpoint``) or the default RTMPose checkpoint exists; otherwise MediaPipe. The
first line printed names the backend and why. See docs/keypoints.md.
"""
import argparse
import os.path as osp
import sys

from cclslr.keypoints import (DEFAULT_POSE_CHECKPOINT, DEFAULT_POSE_CONFIG, build_dataset_from_config,
                              collect_dataset_tasks, collect_video_tasks, run_extraction)
from cclslr.utils.launch import run_tool

MMPOSE_OPTIONS = ('pose_config', 'pose_checkpoint', 'det_config', 'det_checkpoint')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--video-dir', help='folder of videos')
    src.add_argument('--dataset-config', help='cclslr config whose <split>_dataloader.dataset is read')
    p.add_argument('--pattern', default='*.mp4', help="glob inside --video-dir ('**/*.mp4' recurses)")
    p.add_argument('--split', default='train', choices=['train', 'val', 'test'])
    p.add_argument('--out-dir', help='output folder (folder mode: required; dataset mode: for samples '
                                     'without pose_path, named <sample_id>.pkl)')
    p.add_argument('--backend', choices=['mediapipe', 'mmpose'],
                   help='keypoint model (default: mmpose when an MMPose option is given or the default '
                        'checkpoint exists, else mediapipe)')
    mp_opts = p.add_argument_group('mediapipe backend (Holistic, model_complexity 1)')
    mp_opts.add_argument('--min-detection-confidence', type=float, default=0.5)
    mp_opts.add_argument('--min-tracking-confidence', type=float, default=0.5)
    mp_opts.add_argument('--refine-face', action='store_true', help='attention face mesh (slower)')
    mm = p.add_argument_group('mmpose backend')
    # None = not given, so that giving one can select the backend; the defaults are filled in below.
    mm.add_argument('--pose-config', help='MMPose top-down whole-body config (a path, or relative to '
                                          f'mmpose/.mim/configs; default {DEFAULT_POSE_CONFIG})')
    mm.add_argument('--pose-checkpoint', help=f'local checkpoint file (default {DEFAULT_POSE_CHECKPOINT})')
    mm.add_argument('--det-config', help='optional MMDet person detector config')
    mm.add_argument('--det-checkpoint', help='checkpoint of --det-config')
    mm.add_argument('--det-cat-id', type=int, default=0, help='person class of the detector')
    mm.add_argument('--det-score-thr', type=float, default=0.5)
    mm.add_argument('--device', default='cpu',
                    help="cpu, cuda:0, ...; a comma-separated list gives devices round-robin to the workers "
                         "(mediapipe: cpu only)")
    mm.add_argument('--batch-size', type=int, default=16, help='frames per pose-model batch')
    p.add_argument('--num-workers', type=int, default=0, help='processes, each with its own model')
    p.add_argument('--error-log', help='JSON-lines log of failed files (default <out-dir or .>/'
                                       'extract_keypoints_errors.jsonl)')
    p.add_argument('--overwrite', action='store_true', help='redo finished files too')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    return p.parse_args(argv)


def choose_backend(args):
    """(backend, why): the explicit --backend, else MMPose when the user set it up, else MediaPipe."""
    if args.backend:
        return args.backend, '--backend'
    given = [f'--{o.replace("_", "-")}' for o in MMPOSE_OPTIONS if getattr(args, o)]
    if given:
        return 'mmpose', f'{given[0]} given'
    if osp.isfile(DEFAULT_POSE_CHECKPOINT):
        return 'mmpose', f'{DEFAULT_POSE_CHECKPOINT} exists'
    return 'mediapipe', 'default; --backend mmpose for RTMPose-WholeBody'


def extractor_config(args, backend: str) -> dict:
    if backend == 'mediapipe':
        given = [f'--{o.replace("_", "-")}' for o in MMPOSE_OPTIONS if getattr(args, o)]
        if given:
            sys.exit(f'{", ".join(given)}: MMPose options, but --backend mediapipe')
        return dict(backend='mediapipe', min_detection_confidence=args.min_detection_confidence,
                    min_tracking_confidence=args.min_tracking_confidence,
                    refine_face_landmarks=args.refine_face)
    return dict(backend='mmpose', pose_config=args.pose_config or DEFAULT_POSE_CONFIG,
                pose_checkpoint=args.pose_checkpoint or DEFAULT_POSE_CHECKPOINT,
                det_config=args.det_config, det_checkpoint=args.det_checkpoint, det_cat_id=args.det_cat_id,
                det_score_thr=args.det_score_thr, batch_size=args.batch_size)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.video_dir:
        if not args.out_dir:
            sys.exit('--out-dir is required with --video-dir')
        tasks = collect_video_tasks(args.video_dir, args.out_dir, args.pattern)
    else:
        dataset = build_dataset_from_config(args.dataset_config, args.split)
        tasks = collect_dataset_tasks(dataset, args.out_dir)
    error_log = args.error_log or osp.join(args.out_dir or '.', 'extract_keypoints_errors.jsonl')
    backend, why = choose_backend(args)
    extractor_cfg = extractor_config(args, backend)
    devices = [d.strip() for d in args.device.split(',') if d.strip()]
    model = 'MediaPipe Holistic (model_complexity 1)' if backend == 'mediapipe' else \
        f'MMPose {extractor_cfg["pose_config"]}'
    print(f'backend {backend} ({why}): {model}')
    print(f'{len(tasks)} videos')
    summary = run_extraction(tasks, extractor_cfg, devices=devices, num_workers=args.num_workers,
                             error_log=error_log, overwrite=args.overwrite, progress=not args.no_progress)
    fps = summary.frames / summary.seconds if summary.seconds > 0 else 0.0
    print(f'done: {summary.done}, skipped (existing): {summary.skipped}, failed: {summary.failed}; '
          f'{summary.frames} frames in {summary.seconds:.1f} s ({fps:.1f} frames/s)')
    if summary.removed_partial:
        print(f'removed {summary.removed_partial} partial file(s) of an interrupted run')
    if summary.failed:
        print(f'failed files are listed in {error_log}')
    return 0


if __name__ == '__main__':
    # an error: one line naming the file and the reason, exit status 1 (as tools/train.py)
    sys.exit(run_tool(main, 'extract_keypoints.py'))
