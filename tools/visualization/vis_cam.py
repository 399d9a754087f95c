"""Grad-CAM of the RGB encoder's last stage on one clip: a heatmap strip PNG and an animated GIF / MP4.

    python tools/visualization/vis_cam.py CONFIG CHECKPOINT VIDEO [--split test] [--pose POSE]
        [--target-class N] [--layer NAME] [--num-frames 8] [--scale 3] [--out-dir work_dirs/vis_cam]
        [--cfg-options ...]

VIDEO is looked up in the ``--split`` dataset of CONFIG (the k-NN hook's or the test loader's): its pose
file, frame range and label come from there; a video outside it needs ``--pose`` when the model reads
pose. The clip goes through the split's own test pipeline. For a recognizer the CAM explains the
predicted class (or ``--target-class``); for a CCLSLR pre-training checkpoint, the agreement of the RGB
projection with the clip's pose projection (cclslr/visualization/cam.py). The frames shown are the
model's input frames before ``FrameDifference`` (if the pipeline has it), at the model's resolution.

Writes ``<clip>_cam.png`` (rows: frames, CAM overlay), ``<clip>_cam.gif`` and ``<clip>_cam.mp4``;
prints the explained class, its gloss and probability, and the paths.
"""
import argparse
import os.path as osp
import sys

import numpy as np
from mmengine.config import DictAction

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from cclslr.utils.launch import run_tool  # noqa: E402

SNAPSHOT_BEFORE = ('FrameDifference', 'PackSignInputs', 'PackSignInputsWithHands')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint', help="MMEngine checkpoint of the config's model, or 'none' (random init)")
    p.add_argument('video')
    p.add_argument('--split', default='test')
    p.add_argument('--pose', help='pose file of a video that is not in the split')
    p.add_argument('--target-class', type=int, help='explain this class instead of the predicted one')
    p.add_argument('--layer', help="module of the RGB backbone to explain instead of its output (default: "
                   "the last stage), e.g. 'layer3'")
    p.add_argument('--num-frames', type=int, default=8, help='frames in the PNG strip')
    p.add_argument('--scale', type=int, default=3, help='upscaling of each frame')
    p.add_argument('--fps', type=float, default=8.0, help='of the GIF and MP4')
    p.add_argument('--out-dir', default='work_dirs/vis_cam')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config entries')
    return p.parse_args(argv)


def clip_info(dataset, video: str, pose: str = None, needs_pose: bool = False) -> dict:
    """The dataset's data info of ``video`` (same real path, else same file name), or one built from
    the arguments (whole file, unknown label)."""
    want = osp.realpath(video)
    by_name = None
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if osp.realpath(info['video_path']) == want:
            return info
        if by_name is None and osp.basename(info['video_path']) == osp.basename(video):
            by_name = info
    if by_name is not None:
        return by_name
    if not osp.isfile(video):
        raise FileNotFoundError(f'{video}: video not found')
    if needs_pose and pose is None:
        raise ValueError(f'{video}: not in the {type(dataset).__name__} split of the config and the pipeline '
                         'loads pose: give its --pose file, or the --split it is in')
    return dict(video_path=video, pose_path=pose, label=-1, frame_start=0, frame_end=-1, signer_id=-1,
                sample_id=osp.splitext(osp.basename(video))[0])


def run_pipeline(pipeline_cfg, info: dict):
    """The packed sample, and the uint8 frames (T, H, W, 3) as they were before FrameDifference/packing."""
    from mmengine.dataset import Compose
    frames = None
    results = dict(info)
    for transform in Compose(pipeline_cfg).transforms:
        if frames is None and type(transform).__name__ in SNAPSHOT_BEFORE and 'imgs' in results:
            frames = np.array(np.asarray(results['imgs']), dtype=np.uint8)
        results = transform(results)
        if results is None:
            raise ValueError(f'{info["video_path"]}: {type(transform).__name__} dropped the clip')
    if frames is None:
        raise ValueError('the pipeline decodes no RGB frames (no "imgs"): Grad-CAM needs the RGB modality')
    return results, frames


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    from mmengine.dataset import default_collate

    from cclslr.fileio import write_video
    from cclslr.registry import DATASETS
    from cclslr.utils import register_all_modules
    from cclslr.utils.launch import apply_cfg_options
    from cclslr.visualization import SignVisualizer, build_model, split_loader_cfg, tile
    from cclslr.visualization.cam import RGBGradCAM
    register_all_modules(init_default_scope=True)
    cfg = apply_cfg_options(Config.fromfile(args.config), args.cfg_options)
    model = build_model(cfg, args.checkpoint)
    dataset_cfg = split_loader_cfg(cfg, args.split)['dataset']
    dataset = DATASETS.build(dataset_cfg)
    steps = [t['type'] for t in dataset_cfg['pipeline']]
    info = clip_info(dataset, args.video, args.pose, needs_pose='LoadPose' in steps)
    packed, frames = run_pipeline(dataset_cfg['pipeline'], info)
    out = RGBGradCAM(model, args.layer)(default_collate([packed]), args.target_class)
    cam = out['cam']
    if cam.shape != frames.shape[:3]:
        raise ValueError(f'CAM {cam.shape} does not cover the frames {frames.shape[:3]}')

    classes = dataset.metainfo.get('classes') or ()
    gloss = (lambda c: classes[c] if c is not None and 0 <= c < len(classes) else str(c))
    if out['label'] is None:
        caption = 'RGB-pose agreement'
        print(f'{info["sample_id"]}: CAM of the RGB projection\'s agreement with the pose projection '
              f'(cosine {out["score"]:.3f})')
    else:
        caption = f'{gloss(out["label"])} {out["confidence"]:.2f}' if args.target_class is None \
            else f'class {gloss(out["label"])}'
        print(f'{info["sample_id"]}: explained class {out["label"]} ({gloss(out["label"])}), predicted with '
              f'p={out["confidence"]:.3f}; true class {info["label"]} ({gloss(info["label"])})')

    vis = SignVisualizer.get_instance('vis_cam')
    plain = [vis.frame(f, args.scale) for f in frames]
    heat = [vis.frame(f, args.scale, heatmap=c) for f, c in zip(frames, cam)]
    idx = np.linspace(0, len(frames) - 1, min(args.num_frames, len(frames))).round().astype(int)
    strip = tile([plain[i] for i in idx] + [heat[i] for i in idx], cols=len(idx))
    vis.set_image(strip)
    vis.draw_label(caption, position=(4, 4), font_size=9)
    stem = osp.join(args.out_dir, str(info['sample_id']).replace('/', '_') + '_cam')
    png = vis.add_figure('cam', vis.get_image(), out_file=stem + '.png')
    movie = np.stack([np.concatenate([a, b], axis=1) for a, b in zip(plain, heat)])
    from PIL import Image
    Image.fromarray(movie[0]).save(stem + '.gif', save_all=True, loop=0, duration=int(1000 / args.fps),
                                   append_images=[Image.fromarray(m) for m in movie[1:]])
    write_video(stem + '.mp4', movie, fps=args.fps)
    for path in (png, stem + '.gif', stem + '.mp4'):
        print(f'wrote {path}')
    return dict(png=png, gif=stem + '.gif', mp4=stem + '.mp4', cam=cam, label=out['label'])


if __name__ == '__main__':
    run_tool(main, 'vis_cam.py')
