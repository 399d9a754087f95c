"""Write the MPM mask cache for a dataset config (or a folder of videos).

    python tools/mpm/generate_masks.py --config configs/ccl_slr/pretrain_msasl.py \
        --cache-root data/mpm_masks --codec glow --checkpoint work_dirs/mpm_flow/flow.pth \
        [--cfg-options train_dataloader.dataset.ann_file=... ...]

One ``<cache-root>/<sample_id>.npz`` per clip (``cclslr.fileio.mask_cache`` format): the mask covers the
video file's frames; frames outside the clip's [frame_start, frame_end) are all ones (kept). Clips whose
file already exists are skipped (re-run to resume; ``--overwrite`` to redo). Failures are appended to
``<cache-root>/errors.log`` and the run goes on. Prints a summary with the mean masked-out fraction.
"""
import argparse
import os
import os.path as osp
import sys
import time
from multiprocessing import get_context

import numpy as np
import torch
from mmengine.config import DictAction
from tqdm import tqdm

# This checkout's cclslr, not another installed one (tools/demo.py runs this file in a subprocess).
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from cclslr.fileio import mask_path, read_video, save_mask  # noqa: E402
from cclslr.fileio.atomic import remove_stale_temp_files  # noqa: E402
from cclslr.mpm.mask_generator import MotionMaskGenerator  # noqa: E402
from cclslr.mpm.tool_utils import (add_codec_args, codec_cfg_from_args, generator_cfg_from_args,  # noqa: E402
                                   list_clips)

_GENERATOR = None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', help='dataset config ({split}_dataloader.dataset is built)')
    p.add_argument('--split', default='train')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override entries of --config, as tools/train.py does, e.g. '
                        'train_dataloader.dataset.ann_file=other.json. Dotted keys must exist.')
    p.add_argument('--video-dir', help='folder of videos, when no --config')
    p.add_argument('--cache-root', required=True)
    p.add_argument('--num-workers', type=int, default=0, help='worker processes (one codec each)')
    p.add_argument('--overwrite', action='store_true')
    p.add_argument('--no-progress', action='store_true')
    add_codec_args(p)
    return p.parse_args(argv)


def _init_worker(codec_cfg, generator_cfg):
    global _GENERATOR
    torch.set_num_threads(1)  # one thread per worker: processes scale better than threads here
    _GENERATOR = MotionMaskGenerator(codec_cfg, **generator_cfg)


def process_clip(clip: dict, cache_root: str, generator: MotionMaskGenerator = None):
    """Compute and save one clip's mask. Returns (sample_id, masked-out fraction or None, error or None)."""
    generator = generator or _GENERATOR
    try:
        frames, total = read_video(clip['video_path'], clip['frame_start'], clip['frame_end'])
        clip_mask = generator(frames)
        full = np.ones((total,) + clip_mask.shape[1:], dtype=bool)
        full[clip['frame_start']:clip['frame_start'] + len(clip_mask)] = clip_mask
        save_mask(cache_root, clip['sample_id'], full)
        return clip['sample_id'], 1.0 - float(clip_mask.mean()), None
    except Exception as e:  # logged per file; the run continues
        return clip['sample_id'], None, f'{clip["sample_id"]} ({clip["video_path"]}): {type(e).__name__}: {e}'


def _work(job):
    return process_clip(*job)


def main(argv=None):
    args = parse_args(argv)
    clips = list_clips(args.config, args.split, args.video_dir, args.cfg_options)
    todo = [c for c in clips if args.overwrite or not osp.isfile(mask_path(args.cache_root, c['sample_id']))]
    print(f'{len(clips)} clips, {len(clips) - len(todo)} already cached, {len(todo)} to do')
    os.makedirs(args.cache_root, exist_ok=True)
    # save_mask is atomic: a killed run leaves at most marked temporary files, removed here.
    removed = remove_stale_temp_files(args.cache_root)
    if removed:
        print(f'removed {len(removed)} partial file(s) of an interrupted run')
    codec_cfg, generator_cfg = codec_cfg_from_args(args), generator_cfg_from_args(args)
    jobs = [(c, args.cache_root) for c in todo]
    t0 = time.time()
    if args.num_workers > 0:
        with get_context('spawn').Pool(args.num_workers, _init_worker, (codec_cfg, generator_cfg)) as pool:
            results = list(tqdm(pool.imap_unordered(_work, jobs), total=len(jobs), desc='masks',
                                disable=args.no_progress))
    else:
        _init_worker(codec_cfg, generator_cfg)
        results = [_work(j) for j in tqdm(jobs, desc='masks', disable=args.no_progress)]
    errors = [err for _, _, err in results if err]
    fractions = [frac for _, frac, _ in results if frac is not None]
    if errors:
        log = osp.join(args.cache_root, 'errors.log')
        with open(log, 'a') as f:
            f.write('\n'.join(errors) + '\n')
        print(f'{len(errors)} clip(s) failed, see {log}', file=sys.stderr)
    mean = float(np.mean(fractions)) if fractions else float('nan')
    if fractions:
        print(f'wrote {len(fractions)} masks in {time.time() - t0:.1f} s; '
              f'mean masked-out fraction {mean:.3f}')
    else:  # everything was cached (or failed): there is no new mask to average
        print(f'wrote 0 masks in {time.time() - t0:.1f} s')
    return dict(written=len(fractions), failed=len(errors), skipped=len(clips) - len(todo),
                masked_fraction=mean, removed_partial=len(removed))


if __name__ == '__main__':
    main()
