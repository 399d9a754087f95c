"""Extract COCO-WholeBody keypoints (MMPose top-down) from videos into Uni-Sign pose pickles.

Folder of videos::

    python tools/data/extract_keypoints.py --video-dir data/wlasl/videos --out-dir data/wlasl/pose \
        --pose-checkpoint checkpoints/rtmpose-x_simcc-coco-wholebody_384x288.pth --device cuda:0

Dataset of a cclslr config (each sample's ``pose_path`` is where its file goes)::

    python tools/data/extract_keypoints.py --split train \
        --dataset-config configs/finetune/recognizer_gcn_8xb16-40e_wlasl2000.py \
        --pose-checkpoint ...

See docs/keypoints.md.
"""
import argparse
import os.path as osp
import sys

from cclslr.keypoints import (DEFAULT_POSE_CHECKPOINT, DEFAULT_POSE_CONFIG, build_dataset_from_config,
                         collect_dataset_tasks, collect_video_tasks, run_extraction)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--video-dir', help='folder of videos')
    src.add_argument('--dataset-config', help='cclslr config whose <split>_dataloader.dataset is read')
    p.add_argument('--pattern', default='*.mp4', help="glob inside --video-dir ('**/*.mp4' recurses)")
    p.add_argument('--split', default='train', choices=['train', 'val', 'test'])
    p.add_argument('--out-dir', help='output folder (folder mode: required; dataset mode: for samples '
                                     'without pose_path, named <sample_id>.pkl)')
    p.add_argument('--pose-config', default=DEFAULT_POSE_CONFIG,
                   help='MMPose top-down whole-body config (a path, or relative to mmpose/.mim/configs)')
    p.add_argument('--pose-checkpoint', default=DEFAULT_POSE_CHECKPOINT, help='local checkpoint file')
    p.add_argument('--det-config', help='optional MMDet person detector config')
    p.add_argument('--det-checkpoint', help='checkpoint of --det-config')
    p.add_argument('--det-cat-id', type=int, default=0, help='person class of the detector')
    p.add_argument('--det-score-thr', type=float, default=0.5)
    p.add_argument('--device', default='cpu',
                   help="cpu, cuda:0, ...; a comma-separated list gives devices round-robin to the workers")
    p.add_argument('--batch-size', type=int, default=16, help='frames per pose-model batch')
    p.add_argument('--num-workers', type=int, default=0, help='processes, each with its own model')
    p.add_argument('--error-log', help='JSON-lines log of failed files (default <out-dir or .>/'
                                       'extract_keypoints_errors.jsonl)')
    p.add_argument('--overwrite', action='store_true', help='redo finished files too')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    return p.parse_args(argv)


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
    extractor_cfg = dict(pose_config=args.pose_config, pose_checkpoint=args.pose_checkpoint,
                         det_config=args.det_config, det_checkpoint=args.det_checkpoint,
                         det_cat_id=args.det_cat_id, det_score_thr=args.det_score_thr,
                         batch_size=args.batch_size)
    devices = [d.strip() for d in args.device.split(',') if d.strip()]
    print(f'{len(tasks)} videos; pose model {args.pose_config}')
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
    sys.exit(main())
