"""Shared pieces of the tools in tools/mpm/: which clips to process, and codec / generator options."""
import argparse
import os
import os.path as osp

VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.mov', '.webm')


def list_clips(config: str = None, split: str = 'train', video_dir: str = None,
               cfg_options: dict = None) -> list:
    """Clips to process: ``[{'video_path', 'sample_id', 'frame_start', 'frame_end'}]``.

    Args:
        config: an MMEngine config whose ``{split}_dataloader.dataset`` is built from
            ``cclslr.registry.DATASETS`` (its ``data_list`` follows docs/architecture.md).
        split: ``'train'``, ``'val'`` or ``'test'``.
        video_dir: used when ``config`` is None: every video file below it, whole file, ``sample_id`` =
            its relative path without extension.
        cfg_options: overrides merged into ``config`` first (``--cfg-options``, as tools/train.py has).
    """
    if config is not None:
        from mmengine.config import Config

        from cclslr.registry import DATASETS
        from cclslr.utils import register_all_modules
        from cclslr.utils.launch import apply_cfg_options
        register_all_modules()
        cfg = apply_cfg_options(Config.fromfile(config), cfg_options)
        key = f'{split}_dataloader'
        if key not in cfg:
            raise KeyError(f'{config}: no {key} in the config')
        dataset = DATASETS.build(cfg[key]['dataset'])
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
        clips = []
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            missing = [k for k in ('video_path', 'sample_id') if k not in info]
            if missing:
                raise KeyError(f'{config}: dataset sample {i} lacks {missing} (see docs/architecture.md)')
            clips.append(dict(video_path=info['video_path'], sample_id=str(info['sample_id']),
                              frame_start=int(info.get('frame_start', 0)),
                              frame_end=int(info.get('frame_end', -1))))
        return clips
    if video_dir is None:
        raise ValueError('give a dataset --config or a --video-dir')
    if not osp.isdir(video_dir):
        raise FileNotFoundError(f'{video_dir}: video folder not found')
    clips = []
    for root, _, files in os.walk(video_dir):
        for name in sorted(files):
            if name.lower().endswith(VIDEO_EXTS):
                path = osp.join(root, name)
                sid = osp.splitext(osp.relpath(path, video_dir))[0].replace(os.sep, '/')
                clips.append(dict(video_path=path, sample_id=sid, frame_start=0, frame_end=-1))
    return sorted(clips, key=lambda c: c['sample_id'])


def add_codec_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group('codec and mask generator')
    g.add_argument('--codec', default='glow', choices=['glow', 'vae', 'frame_diff'])
    g.add_argument('--checkpoint', help='flow checkpoint of tools/mpm/train_flow.py (glow); none = untrained')
    g.add_argument('--vae-path', help='local AutoencoderKL from_pretrained folder (vae)')
    g.add_argument('--vae-subfolder', help="e.g. 'vae' inside a pipeline folder")
    g.add_argument('--preset', choices=['sd3', 'flux'], help='VAE scale/shift preset')
    g.add_argument('--size', type=int, nargs=2, default=[112, 112], metavar=('H', 'W'),
                   help='working resolution of the codec and of the stored masks')
    g.add_argument('--threshold', type=float, default=0.5, help='p: keep latent dims with std >= p')
    g.add_argument('--keep-ratio', type=float, help='keep this fraction of dims instead of using p')
    g.add_argument('--rank-by', default='element', choices=['element', 'channel'])
    g.add_argument('--map-mode', default='deviation', choices=['deviation', 'temporal', 'intensity'])
    g.add_argument('--binarize', default='otsu', help="'otsu' or a float threshold")
    g.add_argument('--morph-kernel', type=int, default=3, help='opening+closing kernel, 0 = off')
    g.add_argument('--batch-size', type=int, default=16, help='frames per codec call')


def codec_cfg_from_args(args) -> dict:
    if args.codec == 'glow':
        return dict(type='GlowCodec', checkpoint=args.checkpoint)
    if args.codec == 'vae':
        return dict(type='DiffusersVAECodec', pretrained=args.vae_path, subfolder=args.vae_subfolder,
                    preset=args.preset)
    return dict(type='FrameDiffCodec')


def generator_cfg_from_args(args) -> dict:
    binarize = args.binarize if args.binarize == 'otsu' else float(args.binarize)
    return dict(size=tuple(args.size), threshold=args.threshold, keep_ratio=args.keep_ratio,
                rank_by=args.rank_by, map_mode=args.map_mode, binarize=binarize,
                morph_kernel=args.morph_kernel, batch_size=args.batch_size)
