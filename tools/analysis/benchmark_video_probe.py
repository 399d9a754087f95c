"""What ``open_video(probe=True)`` costs per clip (docs/notes/fuzzing.md): not a test, a measurement.

    python tools/analysis/benchmark_video_probe.py [../shared/data/videos] [--repeats 5]

For every clip: the time to open it and decode 8 frames (what a training sample does) without and with
the forked probe (on a first open: a file already probed by this process is not probed again);
prints ms per clip and the ratio. Run it in a process the size of a training one
(``--ballast-mb``) if the fork cost matters: fork copies the page tables of the whole process.
"""
import argparse
import os
import os.path as osp
import time

import sys

import numpy as np

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from cclslr.fileio import decode_frames, open_video  # noqa: E402
from cclslr.fileio import video as video_module  # noqa: E402


def one_clip(path, probe):
    video_module._PROBED_OK.clear()  # measure the first open's probe every time
    t0 = time.perf_counter()
    reader = open_video(path, probe=probe)
    n = len(reader)
    decode_frames(reader, np.linspace(0, n - 1, 8).round().astype(int), path)
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser()
    repo = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..')
    parser.add_argument('videos', nargs='?', default=osp.join(repo, '..', 'shared', 'data', 'videos'))
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--ballast-mb', type=int, default=0, help='resident memory to hold while forking')
    args = parser.parse_args()
    ballast = np.ones(args.ballast_mb << 18, np.float32) if args.ballast_mb else None  # noqa: F841
    clips = sorted(osp.join(args.videos, v) for v in os.listdir(args.videos) if v.endswith('.mp4'))
    rows = []
    for path in clips:
        one_clip(path, False)  # warm the page cache
        plain = min(one_clip(path, False) for _ in range(args.repeats))
        probed = min(one_clip(path, True) for _ in range(args.repeats))
        rows.append((osp.basename(path), plain * 1e3, probed * 1e3))
        print(f'{rows[-1][0]:<12} {rows[-1][1]:8.1f} ms {rows[-1][2]:8.1f} ms  x{probed / plain:.2f}')
    plain, probed = np.mean([r[1] for r in rows]), np.mean([r[2] for r in rows])
    print(f'mean over {len(rows)} clips: {plain:.1f} ms without the probe, {probed:.1f} ms with it '
          f'(+{probed - plain:.1f} ms, x{probed / plain:.2f}); ballast {args.ballast_mb} MB')


if __name__ == '__main__':
    main()
