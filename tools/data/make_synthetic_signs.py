"""Generate the synthetic sign-language dataset (WLASL layout, mp4 + Uni-Sign pose pickles).

    python tools/data/make_synthetic_signs.py OUT_DIR [--preset demo] [--classes C --signers S --reps R
        --size 112 --seed 0 --similarity 0.5 --clutter 0.5 --motion-gt --num-workers 2 --overwrite]

Reuses OUT_DIR when it already holds the same dataset (same settings and seed), unless --overwrite.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from cclslr.datasets.synthetic import PRESETS, make_synthetic_dataset  # noqa: E402

# CLI flag -> SyntheticConfig field
_OPTIONS = dict(classes='num_classes', signers='num_signers', reps='num_reps', size='size', fps='fps',
                min_frames='min_frames', max_frames='max_frames', similarity='similarity',
                clutter='clutter', keypoint_noise='keypoint_noise', hand_drop_rate='hand_drop_rate',
                signer_variability='signer_variability', camera_noise='camera_noise')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Render a synthetic ISLR dataset')
    p.add_argument('out_dir')
    p.add_argument('--preset', default='demo', choices=sorted(PRESETS))
    p.add_argument('--seed', type=int, default=0)
    for flag in ('classes', 'signers', 'reps', 'size', 'fps', 'min_frames', 'max_frames'):
        p.add_argument('--' + flag.replace('_', '-'), dest=flag, type=int)
    for flag in ('similarity', 'clutter', 'keypoint_noise', 'hand_drop_rate', 'signer_variability',
                 'camera_noise'):
        p.add_argument('--' + flag.replace('_', '-'), dest=flag, type=float)
    p.add_argument('--val-signers', type=int, nargs='+', help='signer ids of the val split')
    p.add_argument('--test-signers', type=int, nargs='+', help='signer ids of the test split')
    p.add_argument('--motion-gt', action='store_true', help='also write motion_gt/<video_id>.npz masks')
    p.add_argument('--num-workers', type=int, default=2)
    p.add_argument('--overwrite', action='store_true')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    overrides = {field: getattr(args, flag) for flag, field in _OPTIONS.items()
                 if getattr(args, flag) is not None}
    if args.val_signers is not None:
        overrides['val_signers'] = tuple(args.val_signers)
    if args.test_signers is not None:
        overrides['test_signers'] = tuple(args.test_signers)
    if args.motion_gt:
        overrides['with_motion_gt'] = True
    s = make_synthetic_dataset(args.out_dir, preset=args.preset, seed=args.seed, num_workers=args.num_workers,
                               overwrite=args.overwrite, progress=True, **overrides)
    state = 'already complete, reused' if s['skipped'] else f"written in {s['seconds']:.1f} s"
    print(f"{s['out_dir']}: {s['num_clips']} clips, {s['num_classes']} classes ({state})")
    print('split sizes: ' + ', '.join(f'{k} {v}' for k, v in s['splits'].items()))
    print(f"annotation: {s['ann_file']}")


if __name__ == '__main__':
    main()
