"""Clips/s of the two-view RGB+pose pre-training pipeline on the real videos, beside the raw decord
decode of the same frames in the same process; prints the ratio (target: pipeline <= 1.5x raw decode).

    python tools/analysis/benchmark_pipeline.py [--data ../shared/data] [--repeats 3] [--clip-len 32]
        [--size 224] [--no-masks] [--profile]

The real clips have no pose files or motion masks: plausible ones (Uni-Sign pose format; mask cache at
the MPM generator's 112x112 working size) are generated in a temp folder, and a WLASL-style sample list
is made from ``videos/manifest.csv``.

Fairness: every clip is run through the pipeline and, right after, the raw decode opens the same file
and decodes exactly the frames the pipeline decoded (the union of both views' indices) with the same
``VideoReader(num_threads=1).get_batch(...).asnumpy()`` call, so both sides see the same file cache
and machine load. OpenCV runs on one thread, as in an MMEngine DataLoader worker
(``env_cfg.opencv_num_threads=0``): the pipeline may not borrow a second core the decoder lacks.
"""
import argparse
import collections
import csv
import os.path as osp
import tempfile
import time

import cv2
import numpy as np

from cclslr.fileio import PoseData, decode_frames, open_video, save_mask, video_num_frames, write_pose
from cclslr.registry import TRANSFORMS
from cclslr.utils import register_all_modules

MASK_SIZE = 112  # the MPM generator's working size (docs/mpm.md)


def make_samples(data_root: str, pose_dir: str, mask_dir: str = None) -> list:
    """Sample dicts for the manifest's clips, with generated pose files (and masks when ``mask_dir``)."""
    rng = np.random.default_rng(0)
    samples = []
    with open(osp.join(data_root, 'videos', 'manifest.csv')) as f:
        for row in csv.DictReader(f):
            n = int(row['decoded_frames'])
            walk = rng.normal(0, 0.01, (n, 133, 2)).cumsum(0)
            kpts = np.clip(rng.uniform(0.3, 0.7, (1, 133, 2)) + walk, 0, 1)
            pose_path = osp.join(pose_dir, f'{row["video_id"]}.pkl')
            write_pose(pose_path, PoseData(kpts, rng.uniform(0.4, 1.0, (n, 133)), 'normalized',
                                           (int(row['width']), int(row['height']))), 'unisign')
            if mask_dir:  # a blob that drifts over the frame, like the moving hands MPM keeps
                # masks cover the file's frames as the video reader counts them (not the manifest's)
                n = video_num_frames(open_video(osp.join(data_root, 'videos', row['file'])))
                yy, xx = np.mgrid[:MASK_SIZE, :MASK_SIZE] / MASK_SIZE
                cx, cy = 0.5 + 0.2 * np.sin(np.arange(n) / 5), 0.5 + 0.1 * np.cos(np.arange(n) / 7)
                mask = (xx - cx[:, None, None]) ** 2 + (yy - cy[:, None, None]) ** 2 < 0.08
                save_mask(mask_dir, row['video_id'], mask | (rng.random(mask.shape) < 0.05))
            samples.append(dict(video_path=osp.join(data_root, 'videos', row['file']), pose_path=pose_path,
                                label=int(row['label2000']), frame_start=int(row['frame_start']) - 1,
                                frame_end=-1, signer_id=int(row['signer_id']), sample_id=row['video_id']))
    return samples


def build_pipeline(clip_len: int, size: int, mask_root: str):
    view = [dict(type='PairedTemporalCrop', clip_len=clip_len, min_ratio=0.1), dict(type='DecodeFrames'),
            dict(type='MotionMask', cache_root=mask_root, prob=0.2),
            dict(type='SignRandomResizedCrop', size=size), dict(type='SignFlip'),
            dict(type='SignColorJitter'), dict(type='PoseNormalize'), dict(type='PoseRandomAffine'),
            dict(type='PoseJointMask'), dict(type='SelectKeypoints')]
    cfgs = [dict(type='DecordInit'), dict(type='LoadPose'),
            dict(type='MultiView', num_views=2, transforms=view), dict(type='PackSignInputs')]
    return [TRANSFORMS.build(c) for c in cfgs]


class Timed:
    """A transform that adds its run time to ``times[name]`` (keeps ``transform_views`` for MultiView)."""

    def __init__(self, transform, times: dict):
        self.transform, self.times, self.name = transform, times, type(transform).__name__
        if hasattr(transform, 'transform_views'):
            self.transform_views = lambda views: self._run(transform.transform_views, views)

    def __call__(self, results):
        return self._run(self.transform, results)

    def _run(self, fn, arg):
        start = time.perf_counter()
        out = fn(arg)
        self.times[self.name] += time.perf_counter() - start
        return out


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = osp.join(osp.dirname(__file__), '..', '..', '..', 'shared', 'data')
    parser.add_argument('--data', default=default_data)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--clip-len', type=int, default=32)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-masks', action='store_true', help='no mask cache: MotionMask passes')
    parser.add_argument('--profile', action='store_true', help='also print the time of every transform')
    args = parser.parse_args()
    register_all_modules()
    cv2.setNumThreads(1)

    stage_times = collections.defaultdict(float)
    with tempfile.TemporaryDirectory() as tmp:
        mask_root = osp.join(tmp, 'masks')
        samples = make_samples(args.data, tmp, None if args.no_masks else mask_root)
        pipeline = build_pipeline(args.clip_len, args.size, mask_root)
        if args.profile:  # every transform but the MultiView wrapper, which holds the per-view ones
            multi = pipeline[2]
            multi.transforms = [Timed(t, stage_times) for t in multi.transforms]
            pipeline = [t if t is multi else Timed(t, stage_times) for t in pipeline]
        np.random.seed(args.seed)
        for s in samples:  # warm-up: file cache, imports, lazy initialisation
            res = dict(s)
            for t in pipeline:
                res = t(res)
        stage_times.clear()
        t_pipe, t_raw = np.zeros(args.repeats), np.zeros(args.repeats)
        for r in range(args.repeats):
            for s in samples:
                start = time.perf_counter()
                res = dict(s)
                for i, t in enumerate(pipeline):
                    res = t(res)
                    if i == 2:  # the frames DecodeFrames decoded: the union of the views' indices
                        inds = np.union1d(*[v['frame_inds'] for v in res['views']]) + res['clip_offset']
                t_pipe[r] += time.perf_counter() - start
                # Raw decode: open the reader and decode exactly the same frames, nothing else.
                start = time.perf_counter()
                decode_frames(open_video(s['video_path']), inds, s['video_path'])
                t_raw[r] += time.perf_counter() - start
    n = len(samples) * args.repeats
    print(f'{len(samples)} real videos x {args.repeats} repeats, two views of T={args.clip_len} at '
          f'{args.size}x{args.size}, RGB + pose, motion masks {"off" if args.no_masks else "on (alpha 0.2)"}')
    print(f'raw decord decode : {n / t_raw.sum():8.2f} clips/s ({1000 * t_raw.sum() / n:7.2f} ms/clip)')
    print(f'full pipeline     : {n / t_pipe.sum():8.2f} clips/s ({1000 * t_pipe.sum() / n:7.2f} ms/clip)')
    print('per-repeat ratios : ' + ' '.join(f'{p / q:.2f}x' for p, q in zip(t_pipe, t_raw)))
    print(f'pipeline / raw decode time ratio: {t_pipe.sum() / t_raw.sum():.2f}x (target <= 1.5x)')
    if args.profile:
        for name, sec in stage_times.items():
            print(f'  {name:24s} {1000 * sec / n:7.2f} ms/clip')


if __name__ == '__main__':
    main()
