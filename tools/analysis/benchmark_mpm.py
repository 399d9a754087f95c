"""Benchmark MPM on CPU: (1) frames/s of mask generation per codec, (2) the per-step cost of applying a
cached mask in the training pipeline, against decoding the same frames.

    python tools/analysis/benchmark_mpm.py [--video ../shared/data/videos/38530.mp4] [--threads 1]

Prints one line per measurement; ratios are against a baseline measured in the same process.
"""
import argparse
import os.path as osp
import tempfile
import time

import numpy as np
import torch

from cclslr.fileio import decode_frames, load_mask, open_video, read_video, save_mask, write_video
from cclslr.mpm.mask_generator import MotionMaskGenerator
from cclslr.mpm.toy import moving_square_clip

SMALL_VAE = dict(block_out_channels=(32, 64, 64, 64), down_block_types=('DownEncoderBlock2D',) * 4,
                 up_block_types=('UpDecoderBlock2D',) * 4, latent_channels=16, norm_num_groups=32,
                 layers_per_block=1, use_quant_conv=False, use_post_quant_conv=False)

CODECS = {
    'frame difference': (dict(type='FrameDiffCodec'), 32),
    'Glow 3x8, width 96 (quality-tool size)': (dict(type='GlowCodec', levels=3, steps=8, hidden=96), 32),
    'Glow 3x16, width 512 (default size)': (dict(type='GlowCodec'), 4),
    'VAE small (32-64-64-64)': (dict(type='DiffusersVAECodec', vae_cfg=SMALL_VAE, preset='sd3'), 16),
    'VAE SD3 architecture': (dict(type='DiffusersVAECodec', preset='sd3'), 4),
}


def timed(fn, repeat: int) -> float:
    fn()  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat


def bench_codecs(size, skip_large: bool):
    frames, _ = moving_square_clip(num_frames=32, height=size, width=size, square=size // 4)
    base = None
    for name, (cfg, n) in CODECS.items():
        if skip_large and n <= 4:
            continue
        gen = MotionMaskGenerator(cfg, size=(size, size), batch_size=16)
        sec = timed(lambda: gen(frames[:n]), repeat=1 if n <= 4 else 2)
        fps = n / sec
        base = base or fps
        print(f'mask generation {name:42s} {fps:8.2f} frames/s at {size}x{size} '
              f'({n} frames/clip; x{fps / base:.4f} of frame difference)', flush=True)


def bench_pipeline(video: str, num_frames: int = 32, out_size: int = 224):
    """The cost of MotionMask (cached) against decoding + resizing the same frames."""
    import cv2

    from cclslr.datasets.transforms.motion_mask import MotionMask
    vr = open_video(video)
    total = len(vr)
    inds = np.linspace(0, total - 1, num_frames).round().astype(int)

    def decode():
        frames = decode_frames(vr, inds, video)
        return np.stack([cv2.resize(f, (out_size, out_size)) for f in frames])

    with tempfile.TemporaryDirectory() as cache:
        frames_all, _ = read_video(video)
        mask = MotionMaskGenerator(dict(type='FrameDiffCodec'), size=(112, 112), threshold=0.1)(frames_all)
        save_mask(cache, 'clip', mask)
        imgs = decode()
        t_decode = timed(decode, repeat=10)
        transform = MotionMask(cache_root=cache, prob=1.0)

        def apply_transform():
            transform.transform(dict(imgs=imgs.copy(), sample_id='clip', frame_inds=inds))

        def raw():
            m = load_mask(cache, 'clip')[inds]
            m = np.stack([cv2.resize(f.astype(np.uint8), (out_size, out_size),
                                     interpolation=cv2.INTER_NEAREST) for f in m])
            return imgs * m[..., None]

        t_copy = timed(lambda: imgs.copy(), repeat=10)
        t_transform = timed(apply_transform, repeat=10) - t_copy
        t_raw = timed(raw, repeat=10)
    print(f'decode {num_frames} frames of {osp.basename(video)} ({total} frames) + resize to {out_size}: '
          f'{t_decode * 1e3:.2f} ms')
    print(f'MotionMask transform (cached mask, alpha=1): {t_transform * 1e3:.2f} ms = '
          f'{100 * t_transform / t_decode:.1f}% of decoding')
    print(f'load_mask + index + resize + multiply: {t_raw * 1e3:.2f} ms = {100 * t_raw / t_decode:.1f}% '
          f'of decoding; with alpha = 0.2 per view the expected cost is '
          f'{20 * t_transform / t_decode:.1f}% of decoding')


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--video', help='video for the pipeline benchmark (default: a synthetic 320x240 clip)')
    p.add_argument('--size', type=int, default=112, help='mask working resolution')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--skip-large', action='store_true', help='skip the full-size flow and VAE')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f'torch threads: {args.threads}')
    with tempfile.TemporaryDirectory() as tmp:
        video = args.video
        if video is None:
            video = osp.join(tmp, 'clip.mp4')
            write_video(video, moving_square_clip(64, 240, 320, 60)[0])
        bench_pipeline(video)
    bench_codecs(args.size, args.skip_large)


if __name__ == '__main__':
    main()
