"""Clips/s of the two-view RGB+pose pre-training pipeline on the real videos, beside the raw decord
decode of the same frames in the same process; prints the ratio (target: pipeline <= 1.5x raw decode).

    python tools/analysis/benchmark_pipeline.py [--data ../shared/data] [--repeats 3] [--clip-len 32]
        [--size 224]

The real clips have no pose files: plausible ones (Uni-Sign format) are generated in a temp folder,
and a WLASL-style sample list is made from ``videos/manifest.csv``.
"""
import argparse
import csv
import os.path as osp
import tempfile
import time

import numpy as np

from cclslr.datasets.pose_io import save_unisign_pose
from cclslr.registry import TRANSFORMS
from cclslr.utils import register_all_modules


def make_samples(data_root: str, pose_dir: str) -> list:
    rng = np.random.default_rng(0)
    samples = []
    with open(osp.join(data_root, 'videos', 'manifest.csv')) as f:
        for row in csv.DictReader(f):
            n = int(row['decoded_frames'])
            walk = rng.normal(0, 0.01, (n, 133, 2)).cumsum(0)
            kpts = np.clip(rng.uniform(0.3, 0.7, (1, 133, 2)) + walk, 0, 1)
            pose_path = osp.join(pose_dir, f'{row["video_id"]}.pkl')
            save_unisign_pose(pose_path, kpts, rng.uniform(0.4, 1.0, (n, 133)),
                              width=int(row['width']), height=int(row['height']))
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


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = osp.join(osp.dirname(__file__), '..', '..', '..', 'shared', 'data')
    parser.add_argument('--data', default=default_data)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--clip-len', type=int, default=32)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    register_all_modules()
    import decord

    with tempfile.TemporaryDirectory() as tmp:
        samples = make_samples(args.data, tmp)
        pipeline = build_pipeline(args.clip_len, args.size, osp.join(tmp, 'masks'))
        np.random.seed(args.seed)
        # Warm-up (file cache, imports), then record each clip's decoded frame indices for the baseline.
        for s in samples:
            res = dict(s)
            for t in pipeline[:3]:
                res = t(res)
        t_pipe, frame_sets = 0.0, []
        for _ in range(args.repeats):
            for s in samples:
                captured = {}
                start = time.perf_counter()
                res = dict(s)
                for i, t in enumerate(pipeline):
                    res = t(res)
                    if i == 2:
                        captured['inds'] = np.union1d(*[v['frame_inds'] for v in res['views']]) + \
                            res['clip_offset']
                t_pipe += time.perf_counter() - start
                frame_sets.append((s['video_path'], captured['inds']))
        # Raw decode: open the reader and decode exactly the same frames, nothing else.
        t_raw = 0.0
        for path, inds in frame_sets:
            start = time.perf_counter()
            decord.VideoReader(path, num_threads=1).get_batch(inds.tolist()).asnumpy()
            t_raw += time.perf_counter() - start
    n = len(frame_sets)
    print(f'{len(samples)} real videos x {args.repeats} repeats, two views of T={args.clip_len} at '
          f'{args.size}x{args.size}, RGB + pose')
    print(f'raw decord decode : {n / t_raw:8.2f} clips/s ({1000 * t_raw / n:7.2f} ms/clip)')
    print(f'full pipeline     : {n / t_pipe:8.2f} clips/s ({1000 * t_pipe / n:7.2f} ms/clip)')
    print(f'pipeline / raw decode time ratio: {t_pipe / t_raw:.2f}x (target <= 1.5x)')


if __name__ == '__main__':
    main()
