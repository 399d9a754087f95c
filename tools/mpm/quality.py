"""MPM mask quality on synthetic data, where the true moving regions are known.

    python tools/mpm/quality.py --work-dir work_dirs/mpm_quality

Generates the synthetic 'demo' set with its moving-region masks (``cclslr.datasets.synthetic``; or reads
``--data-root``), trains a small flow on its frames (or takes ``--flow-checkpoint``), then scores the masks
of: the trained flow, the same flow untrained, a random-weight diffusers VAE and the frame-difference
baseline. For each: IoU with the true moving region per frame, IoU with the clip's motion footprint
(union over time of the moving region: MPM ranks latents by std over the whole clip, so its masks mark
where something moves during the clip), the recall of moving pixels, the fraction of static background
removed and the masked-out area. Prints a table, writes ``<work-dir>/quality.json``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import cv2
import numpy as np
import torch

from cclslr.fileio import load_mask, read_video
from cclslr.mpm.mask_generator import MotionMaskGenerator
from cclslr.mpm.tool_utils import list_clips

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import train_flow  # noqa: E402

TINY_VAE = dict(block_out_channels=(32, 64, 64, 64), down_block_types=('DownEncoderBlock2D',) * 4,
                up_block_types=('UpDecoderBlock2D',) * 4, latent_channels=16, norm_num_groups=32,
                layers_per_block=1, use_quant_conv=False, use_post_quant_conv=False)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--work-dir', required=True)
    p.add_argument('--data-root', help='existing synthetic dataset root (videos/, motion_gt/)')
    p.add_argument('--preset', default='demo')
    p.add_argument('--flow-checkpoint', help='skip training, score this flow')
    p.add_argument('--levels', type=int, default=3)
    p.add_argument('--steps', type=int, default=4)
    p.add_argument('--hidden', type=int, default=48)
    p.add_argument('--iters', type=int, default=300)
    p.add_argument('--max-clips', type=int, default=20, help='clips scored')
    p.add_argument('--size', type=int, nargs=2, default=[112, 112])
    p.add_argument('--map-modes', nargs='+', default=['deviation', 'temporal'])
    return p.parse_args(argv)


def prepare_data(args) -> str:
    if args.data_root:
        return args.data_root
    from cclslr.datasets.synthetic import make_synthetic_dataset
    root = osp.join(args.work_dir, 'synthetic')
    make_synthetic_dataset(root, preset=args.preset, seed=0, with_motion_gt=True, progress=True)
    return root


def scores(mask: np.ndarray, truth: np.ndarray) -> dict:
    """mask, truth bool (T, h, w) -> the metrics of the module docstring."""
    footprint = np.broadcast_to(truth.any(0, keepdims=True), truth.shape)
    static = ~footprint
    return dict(
        iou_frame=(mask & truth).sum() / max((mask | truth).sum(), 1),
        iou_footprint=(mask & footprint).sum() / max((mask | footprint).sum(), 1),
        moving_recall=(mask & truth).sum() / max(truth.sum(), 1),
        background_removed=(~mask & static).sum() / max(static.sum(), 1),
        masked_out=1.0 - mask.mean())


def resize_truth(truth: np.ndarray, size) -> np.ndarray:
    h, w = size
    return np.stack([cv2.resize(t.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
                     for t in truth]).astype(bool)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)  # shared CPUs: more threads oversubscribe and run far slower
    os.makedirs(args.work_dir, exist_ok=True)
    root = prepare_data(args)
    ckpt = args.flow_checkpoint
    flow_args = dict(levels=args.levels, steps=args.steps, hidden=args.hidden)
    if ckpt is None:
        flow_dir = osp.join(args.work_dir, 'flow')
        t0 = time.time()
        train_flow.main(['--video-dir', osp.join(root, 'videos'), '--work-dir', flow_dir,
                         '--levels', str(args.levels), '--steps', str(args.steps),
                         '--hidden', str(args.hidden),
                         '--size', *map(str, args.size), '--iters', str(args.iters), '--crop', '32',
                         '--frames-per-video', '4', '--batch-size', '16', '--lr', '2e-3',
                         '--warmup', '30'])
        print(f'flow trained in {time.time() - t0:.0f} s')
        ckpt = osp.join(flow_dir, 'flow.pth')
    codecs = {
        'trained flow (p=0.5)': (dict(type='GlowCodec', checkpoint=ckpt), dict(threshold=0.5)),
        'untrained flow (p=0.5)': (dict(type='GlowCodec', **flow_args), dict(threshold=0.5)),
        'random VAE, SD3 scale (p=0.5)': (dict(type='DiffusersVAECodec', vae_cfg=TINY_VAE, preset='sd3'),
                                          dict(threshold=0.5)),
        'frame difference (p=0.1)': (dict(type='FrameDiffCodec'), dict(threshold=0.1)),
        'trained flow (keep 10%)': (dict(type='GlowCodec', checkpoint=ckpt), dict(keep_ratio=0.1)),
        'untrained flow (keep 10%)': (dict(type='GlowCodec', **flow_args), dict(keep_ratio=0.1)),
        'random VAE (keep 10%)': (dict(type='DiffusersVAECodec', vae_cfg=TINY_VAE, preset='sd3'),
                                  dict(keep_ratio=0.1)),
        'frame difference (keep 10%)': (dict(type='FrameDiffCodec'), dict(keep_ratio=0.1)),
    }
    clips = list_clips(video_dir=osp.join(root, 'videos'))[:args.max_clips]
    data = []
    for clip in clips:
        truth = load_mask(osp.join(root, 'motion_gt'), clip['sample_id'])
        if truth is None:
            raise FileNotFoundError(f'{root}/motion_gt/{clip["sample_id"]}.npz: no true moving-region mask')
        frames, _ = read_video(clip['video_path'])
        data.append((frames, resize_truth(truth[:len(frames)], args.size)))
    results = {}
    for mode in args.map_modes:
        for name, (codec_cfg, gen_cfg) in codecs.items():
            gen = MotionMaskGenerator(codec_cfg, size=tuple(args.size), map_mode=mode, **gen_cfg)
            per_clip = [scores(gen(frames), truth) for frames, truth in data]
            row = {k: float(np.mean([s[k] for s in per_clip])) for k in per_clip[0]}
            results[f'{name} [{mode}]'] = row
            print(f'{name + " [" + mode + "]":48s} ' + ' '.join(f'{k} {v:.3f}' for k, v in row.items()),
                  flush=True)
    with open(osp.join(args.work_dir, 'quality.json'), 'w') as f:
        json.dump(dict(flow_checkpoint=ckpt, clips=len(data), results=results), f, indent=1)
    return results


if __name__ == '__main__':
    main()
