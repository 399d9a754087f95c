"""Draw MPM as in the paper's Figure 3: one PNG per clip with four rows, for ``--num-frames`` frames
sampled uniformly: the frames / their reconstruction from the dynamic latent dimensions only (the
"motion-preserving" video) / its gray map / the binary mask. ``--with-masked`` adds a fifth row, the
frames as the mask leaves them (what pre-training sees).

    python tools/mpm/visualize.py --video-dir ../shared/data/videos --out-dir work_dirs/mpm_vis \
        --codec glow --checkpoint work_dirs/mpm_flow/flow.pth
    python tools/mpm/visualize.py --video CLIP.mp4 --out-dir work_dirs/mpm_vis --codec frame_diff

Prints each clip's masked-out area fraction (share of pixels the mask removes) and the mean.
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
from tqdm import tqdm

from cclslr.fileio import read_video
from cclslr.mpm.mask_generator import MotionMaskGenerator
from cclslr.mpm.tool_utils import add_codec_args, codec_cfg_from_args, generator_cfg_from_args, list_clips
from cclslr.visualization import SignVisualizer

ROWS = ('frames', 'reconstruction from the dynamic latent dims', 'gray map', 'binary mask')
MASKED_ROW = 'masked frames'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config')
    p.add_argument('--split', default='train')
    p.add_argument('--video-dir')
    p.add_argument('--video', help='one clip (instead of --config / --video-dir)')
    p.add_argument('--with-masked', action='store_true', help='add the masked frames as a fifth row')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--num-frames', type=int, default=8)
    p.add_argument('--max-clips', type=int)
    p.add_argument('--no-progress', action='store_true')
    add_codec_args(p)
    return p.parse_args(argv)


def to_uint8(x) -> np.ndarray:
    """float (3, h, w) tensor in [0, 1] -> uint8 (h, w, 3)."""
    return (x.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def figure(result: dict, num_frames: int, with_masked: bool = False) -> np.ndarray:
    """uint8 RGB image (rows * (h + label), n * w, 3) from the output of ``MotionMaskGenerator.run``.
    The gray map is shown on the clip's own scale (its maximum is white), as the binarisation sees it."""
    t = result['frames'].shape[0]
    idx = np.linspace(0, t - 1, num=min(num_frames, t)).round().astype(int)
    gray = result['motion_map'].numpy()
    gray = gray / gray.max() if gray.max() > 0 else gray
    rows = []
    for name in ROWS + ((MASKED_ROW,) if with_masked else ()):
        tiles = []
        for i in idx:
            if name == ROWS[0]:
                tile = to_uint8(result['frames'][i])
            elif name == ROWS[1]:
                tile = to_uint8(result['motion_frames'][i])
            elif name == ROWS[2]:
                tile = np.repeat((gray[i][..., None] * 255).round().astype(np.uint8), 3, axis=-1)
            elif name == ROWS[3]:
                tile = np.repeat(result['mask'][i][..., None].astype(np.uint8) * 255, 3, axis=-1)
            else:
                tile = to_uint8(result['frames'][i]) * result['mask'][i][..., None]
            tiles.append(np.pad(tile, ((1, 1), (1, 1), (0, 0)), constant_values=255))
        row = np.concatenate(tiles, axis=1)
        label = np.full((14, row.shape[1], 3), 255, np.uint8)
        cv2.putText(label, name, (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1, cv2.LINE_AA)
        rows += [label, row]
    return np.concatenate(rows, axis=0)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    generator = MotionMaskGenerator(codec_cfg_from_args(args), **generator_cfg_from_args(args))
    if args.video is not None:
        if not osp.isfile(args.video):
            raise SystemExit(f'{args.video}: video not found')
        clips = [dict(video_path=args.video, sample_id=osp.splitext(osp.basename(args.video))[0],
                      frame_start=0, frame_end=-1)]
    else:
        clips = list_clips(args.config, args.split, args.video_dir)[:args.max_clips]
    vis = SignVisualizer.get_instance('mpm_visualize')
    fractions = {}
    for clip in tqdm(clips, desc='visualize', disable=args.no_progress):
        try:
            frames, _ = read_video(clip['video_path'], clip['frame_start'], clip['frame_end'])
        except Exception as e:  # report and go on with the other clips
            print(f'skipped {clip["sample_id"]}: {e}')
            continue
        result = generator.run(frames)
        out = osp.join(args.out_dir, clip['sample_id'].replace('/', '_') + '.png')
        vis.add_figure('mpm', figure(result, args.num_frames, args.with_masked), out_file=out)
        fractions[clip['sample_id']] = 1.0 - float(result['mask'].mean())
        print(f'{clip["sample_id"]}: masked-out fraction {fractions[clip["sample_id"]]:.3f} '
              f'(latent dims kept {result["kept_fraction"]:.3f}) -> {out}')
    if fractions:
        mean = np.mean(list(fractions.values()))
        print(f'mean masked-out fraction over {len(fractions)} clips: {mean:.3f}')
    return fractions


if __name__ == '__main__':
    main()
