"""Clips/s of the two-view RGB+pose pre-training pipeline on the real videos, beside the raw decord
decode of the same frames in the same process (target: pipeline <= 1.2x raw decode); then our RGB-only
two-view pipeline beside MMAction2's own video pipeline building the same two views (target: our time
<= 0.4x theirs).

    python tools/analysis/benchmark_pipeline.py [--data ../shared/data] [--repeats 5] [--clip-len 32]
        [--size 224] [--no-masks] [--profile] [--cprofile OUT.prof] [--no-peer]

The real clips have no pose files or motion masks: plausible ones (Uni-Sign pose format; mask cache at
the MPM generator's 112x112 working size) are generated in a temp folder, and a WLASL-style sample list
is made from ``videos/manifest.csv``.

Fairness: every clip is run through the pipeline and, next to it, the raw decode opens the same file
and decodes exactly the frames the pipeline decoded (the union of both views' indices) with the plain
decord call ``VideoReader(path, num_threads=1).get_batch(...).asnumpy()`` (what MMAction2's
``DecordDecode`` does), and once more with ``cclslr.fileio`` (``open_video`` + ``decode_frames``, which
skips asnumpy's copy), so all see the same file cache and machine load (pipeline, raw, ours, ...); the
per-clip medians over the repeats are summed (the CPU may be shared). The side-by-side with MMAction2
(``build_mmaction_pipeline``) runs both pipelines on each clip back to back, in alternating order,
with the same seed. OpenCV runs on one thread, as in an MMEngine DataLoader worker
(``env_cfg.opencv_num_threads=0``): the pipeline may not borrow a second core the decoder lacks.
"""
import argparse
import collections
import csv
import os.path as osp
import tempfile
import time

import cv2
import decord
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


def build_rgb_pipeline(clip_len: int, size: int):
    """Ours, RGB only, the steps of MMAction2's standard pipeline below: two views, crop, flip, pack."""
    view = [dict(type='PairedTemporalCrop', clip_len=clip_len, min_ratio=0.1), dict(type='DecodeFrames'),
            dict(type='SignRandomResizedCrop', size=size), dict(type='SignFlip')]
    cfgs = [dict(type='DecordInit'), dict(type='MultiView', num_views=2, transforms=view),
            dict(type='PackSignInputs', modalities=('rgb', ))]
    return [TRANSFORMS.build(c) for c in cfgs]


def build_mmaction_pipeline(clip_len: int, size: int):
    """MMAction2's own video pipeline for the same two views: ``DecordInit`` once, then per view (as
    MMPretrain's ``MultiView`` applies a pipeline to copies of the results) ``SampleFrames``,
    ``DecordDecode``, ``RandomResizedCrop``, ``Resize`` to size x size (their crop does not resize),
    ``Flip``, ``FormatShape('NCTHW')``. Returns a callable ``results -> [view results]``."""
    import cclslr.utils.compat  # noqa: F401  (stand-ins mmaction needs, installed by ``import cclslr``)
    from mmaction.datasets.transforms import (DecordDecode, DecordInit, Flip, FormatShape, RandomResizedCrop,
                                              Resize, SampleFrames)
    init = DecordInit(num_threads=1)
    view = [SampleFrames(clip_len=clip_len, frame_interval=1, num_clips=1), DecordDecode(),
            RandomResizedCrop(), Resize(scale=(size, size), keep_ratio=False), Flip(flip_ratio=0.5),
            FormatShape(input_format='NCTHW')]

    def run(results):
        results = init(dict(filename=results['video_path'], start_index=0, modality='RGB'))
        views = []
        for _ in range(2):
            v = dict(results)  # a shallow copy: the decord reader cannot be deep-copied
            for t in view:
                v = t(v)
            views.append(v)
        return views
    return run


def run_pipeline(pipeline, sample: dict) -> dict:
    res = dict(sample)
    for t in pipeline:
        res = t(res)
    return res


def full_vs_raw(args, samples, mask_root, stage_times):
    """Per-clip times (clips, repeats, 4) of [full pipeline, raw decord decode of the frames it decoded,
    the same decode through ``cclslr.fileio.decode_frames`` (no copy out of decord's buffer), the full
    pipeline's CPU time]."""
    pipeline = build_pipeline(args.clip_len, args.size, mask_root)
    decoded = {}

    def record(views_res):  # the frames DecodeFrames decoded: the union of the views' indices
        inds = np.union1d(*[v['frame_inds'] for v in views_res['views']])
        decoded['inds'] = inds + views_res['clip_offset']
        return views_res
    multi = pipeline[2]
    if args.profile:  # every transform but the MultiView wrapper, which holds the per-view ones
        multi.transforms = [Timed(t, stage_times) for t in multi.transforms]
        pipeline = [t if t is multi else Timed(t, stage_times) for t in pipeline]
    pipeline = pipeline[:3] + [record] + pipeline[3:]
    np.random.seed(args.seed)
    for s in samples:  # warm-up: file cache, imports, lazy initialisation
        run_pipeline(pipeline, s)
    stage_times.clear()
    times = np.zeros((len(samples), args.repeats, 4))
    for r in range(args.repeats):
        for i, s in enumerate(samples):  # pipeline, raw, pipeline, raw, ...: each triple back to back
            np.random.seed(args.seed + 1000 * r + i)
            cpu = time.process_time()
            times[i, r, 0] = _time(lambda: run_pipeline(pipeline, s))
            times[i, r, 3] = time.process_time() - cpu  # CPU seconds: the per-core cost on a busy machine
            inds, path = decoded['inds'].tolist(), s['video_path']
            times[i, r, 1] = _time(lambda: decord.VideoReader(path, num_threads=1).get_batch(inds).asnumpy())
            times[i, r, 2] = _time(lambda: decode_frames(open_video(path), inds, path))
    return times


def ours_vs_mmaction(args, samples):
    """Per-clip times (clips, repeats, 2) of [our RGB two-view pipeline, MMAction2's], interleaved."""
    ours = build_rgb_pipeline(args.clip_len, args.size)
    theirs = build_mmaction_pipeline(args.clip_len, args.size)
    for s in samples:
        run_pipeline(ours, s), theirs(s)
    times = np.zeros((len(samples), args.repeats, 2))
    for r in range(args.repeats):
        for i, s in enumerate(samples):
            order = (0, 1) if (r + i) % 2 == 0 else (1, 0)
            for k in order:
                np.random.seed(args.seed + 1000 * r + i)
                times[i, r, k] = _time(lambda: run_pipeline(ours, s) if k == 0 else theirs(s))
    return times


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _summary(times: np.ndarray, a: int = 0, b: int = 1):
    """Sums over clips of the per-clip medians over repeats of columns a, b (seconds), and the
    per-repeat ratios a / b."""
    med = np.median(times, axis=1)
    return med[:, a].sum(), med[:, b].sum(), times[:, :, a].sum(0) / times[:, :, b].sum(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = osp.join(osp.dirname(__file__), '..', '..', '..', 'shared', 'data')
    parser.add_argument('--data', default=default_data)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--clip-len', type=int, default=32)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-masks', action='store_true', help='no mask cache: MotionMask passes')
    parser.add_argument('--profile', action='store_true', help='also print the time of every transform')
    parser.add_argument('--cprofile', metavar='OUT', help='cProfile the pipeline-vs-raw runs (warm-up '
                        'included) into OUT (.prof; read with python -m pstats)')
    parser.add_argument('--no-peer', action='store_true', help='skip the side-by-side with MMAction2')
    args = parser.parse_args()
    register_all_modules()
    cv2.setNumThreads(1)

    stage_times = collections.defaultdict(float)
    with tempfile.TemporaryDirectory() as tmp:
        mask_root = osp.join(tmp, 'masks')
        samples = make_samples(args.data, tmp, None if args.no_masks else mask_root)
        if args.cprofile:
            import cProfile
            prof = cProfile.Profile()
            prof.enable()
        full = full_vs_raw(args, samples, mask_root, stage_times)
        if args.cprofile:
            prof.disable()
            prof.dump_stats(args.cprofile)
        peer = None if args.no_peer else ours_vs_mmaction(args, samples)
    n = len(samples)
    print(f'{n} real videos x {args.repeats} repeats (per-clip medians, interleaved), two views of '
          f'T={args.clip_len} at {args.size}x{args.size}')
    t_pipe, t_raw, ratios = _summary(full)
    print(f'RGB + pose, motion masks {"off" if args.no_masks else "on (alpha 0.2)"}:')
    t_zero = np.median(full, axis=1)[:, 2].sum()
    print(f'  raw decord decode : {n / t_raw:8.2f} clips/s ({1000 * t_raw / n:7.2f} ms/clip)  '
          '(VideoReader + get_batch + asnumpy)')
    print(f'  decode, no copy   : {n / t_zero:8.2f} clips/s ({1000 * t_zero / n:7.2f} ms/clip)  '
          '(cclslr.fileio.decode_frames: DLPack)')
    print(f'  full pipeline     : {n / t_pipe:8.2f} clips/s ({1000 * t_pipe / n:7.2f} ms/clip)')
    t_cpu = np.median(full, axis=1)[:, 3].sum()
    print(f'  full pipeline CPU : {n / t_cpu:8.2f} clips/s per core ({1000 * t_cpu / n:7.2f} ms/clip of CPU '
          'time)')
    print('  per-repeat ratios : ' + ' '.join(f'{x:.2f}x' for x in ratios))
    print(f'  pipeline / raw decode time ratio: {t_pipe / t_raw:.2f}x (target <= 1.2x); '
          f'/ decode without the copy: {t_pipe / t_zero:.2f}x')
    if args.profile:
        for name, sec in stage_times.items():
            print(f'    {name:24s} {1000 * sec / (n * args.repeats):7.2f} ms/clip')
    if peer is not None:
        t_ours, t_mma, ratios = _summary(peer)
        print('RGB only, the same steps (two views, random resized crop, flip, pack):')
        print(f'  ours              : {n / t_ours:8.2f} clips/s ({1000 * t_ours / n:7.2f} ms/clip)')
        print(f'  MMAction2         : {n / t_mma:8.2f} clips/s ({1000 * t_mma / n:7.2f} ms/clip)')
        print('  per-repeat ratios : ' + ' '.join(f'{x:.2f}' for x in ratios))
        print(f'  ours / MMAction2 time ratio: {t_ours / t_mma:.2f} (target <= 0.4)')


if __name__ == '__main__':
    main()
