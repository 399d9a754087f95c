"""Train the MPM Glow flow on frames sampled from a dataset's videos (or a folder of videos).

    python tools/mpm/train_flow.py --video-dir data/synthetic/videos --work-dir work_dirs/mpm_flow \
        --levels 3 --steps 16 --hidden 512 --iters 20000

Logs the negative log-likelihood in bits/dim (progress bar + ``<work-dir>/log.jsonl``), writes
``<work-dir>/latest.pth`` every ``--save-interval`` iterations and ``<work-dir>/flow.pth`` at the end; both
load with ``GlowCodec(checkpoint=...)``. Re-running the same command resumes from ``latest.pth``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from multiprocessing import Pool

import numpy as np
import torch
from tqdm import tqdm

# This checkout's cclslr, not another installed one (as generate_masks.py and tools/train.py).
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from cclslr.fileio import read_video  # noqa: E402
from cclslr.mpm.codecs.glow import GlowFlow  # noqa: E402
from cclslr.mpm.mask_generator import frames_to_tensor  # noqa: E402
from cclslr.mpm.tool_utils import list_clips  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', help='dataset config (its {split}_dataloader.dataset gives the videos)')
    p.add_argument('--split', default='train')
    p.add_argument('--video-dir', help='folder of videos, when no --config')
    p.add_argument('--work-dir', required=True)
    p.add_argument('--levels', type=int, default=3)
    p.add_argument('--steps', type=int, default=16)
    p.add_argument('--hidden', type=int, default=512)
    p.add_argument('--size', type=int, nargs=2, default=[112, 112], metavar=('H', 'W'),
                   help='frames are resized to this (use the mask generator\'s working size)')
    p.add_argument('--crop', type=int, default=32, help='random square training crops (fully conv flow)')
    p.add_argument('--frames-per-video', type=int, default=8)
    p.add_argument('--max-videos', type=int, default=None)
    p.add_argument('--n-bits', type=int, default=5, help='train on n-bit images (Glow: 5), which makes '
                   'the latents insensitive to compression noise below 1/2**n_bits')
    p.add_argument('--iters', type=int, default=2000)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--warmup', type=int, default=100)
    p.add_argument('--save-interval', type=int, default=500)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--num-workers', type=int, default=0, help='processes that decode videos')
    p.add_argument('--no-resume', action='store_true', help='start afresh even if latest.pth exists')
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def _sample_frames(job):
    clip, n, size = job
    try:
        frames, _ = read_video(clip['video_path'], clip['frame_start'], clip['frame_end'])
    except Exception as e:  # one bad file must not stop the run: reported in errors.log
        return None, f'{clip["video_path"]}: {e}'
    idx = np.linspace(0, len(frames) - 1, num=min(n, len(frames))).round().astype(int)
    x = frames_to_tensor(frames[idx], size)
    return (x * 255).round().to(torch.uint8), None


def load_frame_pool(args) -> torch.Tensor:
    """uint8 (N, 3, H, W) frames sampled uniformly from every clip."""
    clips = list_clips(args.config, args.split, args.video_dir)[:args.max_videos]
    if not clips:
        raise RuntimeError('no videos found to train the flow on')
    jobs = [(c, args.frames_per_video, tuple(args.size)) for c in clips]
    pool, errors = [], []
    if args.num_workers > 0:
        with Pool(args.num_workers) as workers:
            results = list(tqdm(workers.imap(_sample_frames, jobs), total=len(jobs), desc='frames',
                                disable=args.no_progress))
    else:
        results = [_sample_frames(j) for j in tqdm(jobs, desc='frames', disable=args.no_progress)]
    for x, err in results:
        (errors.append(err) if err else pool.append(x))
    if errors:
        with open(osp.join(args.work_dir, 'errors.log'), 'a') as f:
            f.write('\n'.join(errors) + '\n')
        print(f'{len(errors)} video(s) failed, see {osp.join(args.work_dir, "errors.log")}', file=sys.stderr)
    if not pool:
        raise RuntimeError('every video failed to decode; see errors.log')
    return torch.cat(pool)


def make_batch(pool: torch.Tensor, args, gen: torch.Generator) -> torch.Tensor:
    """Random crops + flips, reduced to n bits and dequantised with uniform noise; centred."""
    n_bins = 2 ** args.n_bits
    idx = torch.randint(len(pool), (args.batch_size,), generator=gen)
    h, w = pool.shape[-2:]
    c = min(args.crop, h, w) // (2 ** args.levels) * (2 ** args.levels)
    ys = torch.randint(h - c + 1, (args.batch_size,), generator=gen)
    xs = torch.randint(w - c + 1, (args.batch_size,), generator=gen)
    flips = torch.rand(args.batch_size, generator=gen) < 0.5
    crops = []
    for i, y, x, f in zip(idx.tolist(), ys.tolist(), xs.tolist(), flips.tolist()):
        crop = pool[i, :, y:y + c, x:x + c]
        crops.append(crop.flip(-1) if f else crop)
    x = torch.stack(crops).float()
    x = torch.floor(x / 2 ** (8 - args.n_bits)) / n_bins
    return x + torch.rand(x.shape, generator=gen) / n_bins - 0.5


def save_checkpoint(path, flow, optim, it, args, gen):
    tmp = path + '.tmp'
    torch.save(dict(flow_cfg=flow.config(), state_dict=flow.state_dict(), optimizer=optim.state_dict(),
                    iter=it, n_bits=args.n_bits, rng=gen.get_state()), tmp)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    torch.manual_seed(args.seed)
    pool = load_frame_pool(args)
    print(f'frame pool: {tuple(pool.shape)}')
    flow = GlowFlow(3, args.levels, args.steps, args.hidden)
    optim = torch.optim.Adam(flow.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(args.seed)
    start = 0
    latest = osp.join(args.work_dir, 'latest.pth')
    if osp.isfile(latest) and not args.no_resume:
        ckpt = torch.load(latest, map_location='cpu', weights_only=True)
        if ckpt['flow_cfg'] != flow.config():
            raise ValueError(f'{latest}: flow size {ckpt["flow_cfg"]} differs from the arguments '
                             f'{flow.config()}; use another --work-dir or --no-resume')
        flow.load_state_dict(ckpt['state_dict'])
        optim.load_state_dict(ckpt['optimizer'])
        gen.set_state(ckpt['rng'])
        start = int(ckpt['iter'])
        print(f'resumed from {latest} at iteration {start}')
    flow.train()
    log = open(osp.join(args.work_dir, 'log.jsonl'), 'a')
    bar = tqdm(range(start, args.iters), initial=start, total=args.iters, desc='train flow',
               disable=args.no_progress)
    t0, bpd = time.time(), float('nan')
    for it in bar:
        for group in optim.param_groups:
            group['lr'] = args.lr * min(1.0, (it + 1) / args.warmup)
        loss = flow.nll_bits_per_dim(make_batch(pool, args, gen), 2 ** args.n_bits)
        if not torch.isfinite(loss):
            raise FloatingPointError(f'non-finite bits/dim at iteration {it}; lower --lr')
        optim.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(flow.parameters(), 50.0)
        optim.step()
        bpd = loss.item()
        bar.set_postfix(bpd=f'{bpd:.3f}')
        if (it + 1) % 10 == 0 or it + 1 == args.iters:
            log.write(json.dumps(dict(iter=it + 1, bits_per_dim=bpd, time=time.time() - t0)) + '\n')
            log.flush()
        if (it + 1) % args.save_interval == 0:
            save_checkpoint(latest, flow, optim, it + 1, args, gen)
    log.close()
    save_checkpoint(latest, flow, optim, args.iters, args, gen)
    final = osp.join(args.work_dir, 'flow.pth')
    save_checkpoint(final, flow, optim, args.iters, args, gen)
    print(f'bits/dim {bpd:.4f} after {args.iters} iterations; checkpoint: {final}')
    return bpd


if __name__ == '__main__':
    main()
