"""Clips/s of the two-view pre-training pipeline on the original real clips vs their prepared files
(tools/data/prepare_videos.py: cut, short side 256, H.264 with a keyframe every 12 frames), per source
resolution, and the disk size before/after, in one run.

    python tools/analysis/benchmark_prepared.py [--data ../shared/data] [--repeats 5] [--clip-len 32]
        [--size 224] [--short-side 256] [--gop 12] [--no-masks]

The clips of ``videos/manifest.csv`` are prepared into a temp folder first (the encoding time is
printed too), with the generated pose files and motion masks of benchmark_pipeline.py. Then every clip
runs through the same pipeline (tools/analysis/benchmark_pipeline.py ``build_pipeline``) from the
original and from the prepared file, interleaved (original, prepared; the next repeat in the other
order) with the same random seed for both, so both sides see the same views and the same machine load.
Medians of the per-clip times are reported: the CPU may be shared.
"""
import argparse
import collections
import os.path as osp
import sys
import tempfile
import time

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from benchmark_pipeline import build_pipeline, make_samples  # noqa: E402

from cclslr.datasets.prepared import to_prepared  # noqa: E402
from cclslr.fileio.video_encode import encode_clip  # noqa: E402
from cclslr.utils import register_all_modules  # noqa: E402


def resolution_group(width: int, height: int) -> str:
    short = min(width, height)
    return '1080p' if short >= 1080 else '720p' if short >= 720 else '360-480p' if short >= 360 else '<360p'


def run(pipeline, sample: dict, seed: int):
    """(wall seconds, CPU seconds) of one clip through ``pipeline``."""
    np.random.seed(seed)
    start, cpu = time.perf_counter(), time.process_time()
    res = dict(sample)
    for t in pipeline:
        res = t(res)
    return time.perf_counter() - start, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = osp.join(osp.dirname(__file__), '..', '..', '..', 'shared', 'data')
    parser.add_argument('--data', default=default_data)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--clip-len', type=int, default=32)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--short-side', type=int, default=256)
    parser.add_argument('--gop', type=int, default=12)
    parser.add_argument('--no-masks', action='store_true')
    args = parser.parse_args()
    register_all_modules()
    cv2.setNumThreads(1)

    with tempfile.TemporaryDirectory() as tmp:
        mask_root, prep_root = osp.join(tmp, 'masks'), osp.join(tmp, 'prepared')
        samples = make_samples(args.data, tmp, None if args.no_masks else mask_root)
        prepared, records, t_encode = [], [], 0.0
        for s in samples:
            start = time.perf_counter()
            rec = encode_clip(s['video_path'], osp.join(prep_root, f'{s["sample_id"]}.mp4'), s['frame_start'],
                              s['frame_end'], short_side=args.short_side, gop=args.gop)
            t_encode += time.perf_counter() - start
            records.append(rec)
            prepared.append(to_prepared(s, rec, prep_root))
        pipeline = build_pipeline(args.clip_len, args.size, mask_root)
        for s, p in zip(samples, prepared):  # warm-up: file cache, lazy initialisation
            run(pipeline, s, 0), run(pipeline, p, 0)
        times = np.zeros((len(samples), args.repeats, 2, 2))  # clip, repeat, original/prepared, wall/cpu
        for r in range(args.repeats):
            for i, (s, p) in enumerate(zip(samples, prepared)):
                seed = 1000 * r + i
                order = (0, 1) if (r + i) % 2 == 0 else (1, 0)
                for k in order:
                    times[i, r, k] = run(pipeline, (s, p)[k], seed)

    med = np.median(times[..., 0], axis=1)  # (clip, 2) wall seconds
    cpu = np.median(times[..., 1], axis=1)
    groups = collections.OrderedDict()
    for i, rec in sorted(enumerate(records), key=lambda x: min(x[1]['source_size'])):
        groups.setdefault(resolution_group(*rec['source_size']), []).append(i)
    print(f'{len(samples)} real clips x {args.repeats} repeats (medians), two views of T={args.clip_len} at '
          f'{args.size}x{args.size}, RGB + pose, motion masks {"off" if args.no_masks else "on"}; prepared: '
          f'short side {args.short_side}, H.264 GOP {args.gop}, encoded in {t_encode:.1f} s '
          f'({1000 * t_encode / len(samples):.0f} ms/clip)')
    print(f'{"source":10s} {"clips":>5s} {"sizes":28s} {"orig ms":>8s} {"prep ms":>8s} {"orig c/s":>8s} '
          f'{"prep c/s":>8s} {"speed-up":>8s} {"orig KiB":>9s} {"prep KiB":>9s}')
    for name, idx in list(groups.items()) + [('all', list(range(len(samples))))]:
        o, p = med[idx, 0].sum(), med[idx, 1].sum()
        src = sum(osp.getsize(samples[i]['video_path']) for i in idx) / 1024
        dst = sum(records[i]['bytes'] for i in idx) / 1024
        sizes = sorted({'x'.join(map(str, records[i]['source_size'])) for i in idx})
        sizes = ','.join(sizes) if len(sizes) <= 2 else f'{len(sizes)} sizes'
        print(f'{name:10s} {len(idx):5d} {sizes:28s} {1000 * o / len(idx):8.1f} {1000 * p / len(idx):8.1f} '
              f'{len(idx) / o:8.2f} {len(idx) / p:8.2f} {o / p:7.2f}x {src:9.0f} {dst:9.0f}')
    big = [i for i, rec in enumerate(records) if min(rec['source_size']) >= 720]
    if big:
        ratio = med[big, 0].sum() / med[big, 1].sum()
        print(f'720p and larger: prepared {ratio:.2f}x faster (target >= 4x)')
    print(f'CPU time per clip, all clips: originals {1000 * cpu[:, 0].mean():.1f} ms '
          f'({1 / cpu[:, 0].mean():.2f} clips/s per core), prepared {1000 * cpu[:, 1].mean():.1f} ms '
          f'({1 / cpu[:, 1].mean():.2f} clips/s per core)')


if __name__ == '__main__':
    main()
