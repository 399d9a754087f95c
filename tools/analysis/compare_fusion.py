"""Compare pose-only, late fusion and prior-guided fusion (PGF) on the synthetic data, label-scarce.

Example::

    python tools/analysis/compare_fusion.py --data-root data/synthetic_demo --shots 2
    python tools/analysis/compare_fusion.py --pretrained work_dirs/ccl_slr/epoch_10.pth \
        --pretrain-config configs/ccl_slr/<the pre-training config>.py

Every clip goes once through a deterministic pipeline (no augmentation; the same frames every epoch) and
is cached as tensors, then each model is trained with a plain loop on ``--shots`` labelled clips per class
of the train split and evaluated on the test split (top-1 / top-5 per instance). The models are small
(CPU, a few minutes in all); with ``--pretrain-config`` they take the encoder sizes of that config, so a
CCL-SLR checkpoint (``--pretrained``) can be loaded into them. Prints one table and the model cost per
clip (forward, batch 1, one thread) of each variant relative to pose-only.
"""
import argparse
import copy
import os.path as osp
import time

import numpy as np
import torch
from mmengine.dataset import pseudo_collate

from cclslr.registry import DATASETS, MODELS
from cclslr.utils import register_all_modules

POSE = dict(type='PoseEncoder', group_channels=64, gcn_channels=(32,), d_model=64, num_layers=1,
            num_heads=4, dropout=0.1)
RGB = dict(type='RGBEncoder', backbone=dict(type='mmaction.ResNet3dSlowOnly', depth=18, pretrained=None,
                                            in_channels=3, base_channels=16, lateral=False,
                                            conv1_kernel=(1, 7, 7), inflate=(0, 0, 1, 1)),
           probe_shape=(1, 3, 8, 64, 64))
CROP = dict(type='CropEncoder', backbone=dict(type='mmaction.MobileNetV2', widen_factor=0.5, pretrained=None))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data-root', default='data/synthetic_demo',
                   help='synthetic dataset root; generated (preset demo) if absent')
    p.add_argument('--shots', type=int, default=2, help='labelled training clips per class')
    p.add_argument('--epochs', type=int, default=40)
    p.add_argument('--clip-len', type=int, default=16)
    p.add_argument('--rgb-size', type=int, default=64, help='RGB side for the late-fusion branch')
    p.add_argument('--crop-size', type=int, default=112, help='hand crop side for PGF')
    p.add_argument('--ratio', type=float, default=0.1, help='score-aware sampling ratio')
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--pretrained', default=None, help='CCL-SLR pre-training checkpoint (adds rows)')
    p.add_argument('--pretrain-config', default=None,
                   help='its config: the encoders are built with model.pose_encoder / model.rgb_encoder')
    p.add_argument('--variants', default='pose,late,pgf', help='comma-separated subset of pose,late,pgf')
    return p.parse_args()


def encoders(args):
    """The encoder configs and whether the RGB encoder reads frame differences: this script's small
    defaults, or those of ``--pretrain-config`` (read once), so that ``--pretrained`` loads and is fed
    what it was trained on. Returns ``dict(pose=..., rgb=..., frame_difference=bool)``."""
    if not args.pretrain_config:
        return dict(pose=copy.deepcopy(POSE), rgb=copy.deepcopy(RGB), frame_difference=False)
    from mmengine.config import Config
    from cclslr.datasets.transforms import iter_transforms
    cfg = Config.fromfile(args.pretrain_config)
    steps = iter_transforms(cfg.train_dataloader.dataset.pipeline)
    return dict(pose=cfg.model.pose_encoder.to_dict(), rgb=cfg.model.rgb_encoder.to_dict(),
                frame_difference=any(t['type'] == 'FrameDifference' for t in steps))


def pipeline(args):
    # An RGB encoder pre-trained on frame differences (the demo config) must be fed them here too; the
    # hand crops are decoded by ScoreAwareHandSampling itself and stay frames.
    diff = [dict(type='FrameDifference')] if args.encoders['frame_difference'] else []
    return [
        dict(type='DecordInit'), dict(type='LoadPose'),
        dict(type='PairedTemporalCrop', clip_len=args.clip_len, test_mode=True),
        dict(type='ScoreAwareHandSampling', ratio=args.ratio, crop_size=args.crop_size, test_mode=True),
        dict(type='DecodeFrames'), dict(type='SignResize', scale=args.rgb_size),
        dict(type='SignCenterCrop', size=args.rgb_size), *diff,
        dict(type='PoseNormalize'), dict(type='SelectKeypoints'),
        dict(type='PackSignInputsWithHands', modalities=('rgb', 'pose'))]


def load_split(args, split, per_class=None):
    """The split's clips through the pipeline, batched by PGFDataPreprocessor: (inputs, labels, secs/clip)."""
    ds = DATASETS.build(dict(type='WLASLDataset', ann_file=osp.join(args.data_root, 'WLASL_v0.3.json'),
                             subset=None, split=split, pipeline=pipeline(args), test_mode=True,
                             data_prefix=dict(video=osp.join(args.data_root, 'videos'),
                                              pose=osp.join(args.data_root, 'poses'))))
    labels = [ds.get_data_info(i)['label'] for i in range(len(ds))]
    keep = range(len(ds))
    if per_class is not None:  # the first `per_class` clips of each class: a fixed label-scarce subset
        seen, keep = {}, []
        for i, y in enumerate(labels):
            if seen.get(y, 0) < per_class:
                seen[y] = seen.get(y, 0) + 1
                keep.append(i)
    start = time.perf_counter()
    samples = [ds[i] for i in keep]
    secs = (time.perf_counter() - start) / max(len(samples), 1)
    pre = MODELS.build(dict(type='PGFDataPreprocessor'))
    batch = pre(pseudo_collate(samples))
    y = torch.cat([s.gt_label for s in batch['data_samples']])
    return {k: v[0] for k, v in batch['inputs'].items()}, y, secs


def build(variant, num_classes, args, pretrained):
    pose, rgb = copy.deepcopy(args.encoders['pose']), copy.deepcopy(args.encoders['rgb'])
    kw = dict(num_classes=num_classes, pose_backbone=pose, pose_head=dict(dropout=0.2))
    if pretrained:
        kw['init_from'] = dict(checkpoint=pretrained)
    if variant == 'late':
        return MODELS.build(dict(type='SignRecognizer', rgb_backbone=rgb, rgb_head=dict(dropout=0.2), **kw))
    if variant == 'pgf':
        return MODELS.build(dict(type='PGFRecognizer', pgf=dict(type='PriorGuidedFusion', num_heads=4,
                                                                crop_encoder=CROP), **kw))
    return MODELS.build(dict(type='SignRecognizer', **kw))


def select(inputs, variant, idx):
    keys = ['pose', 'pose_mask'] + (['rgb'] if variant == 'late' else []) + \
        ([k for k in inputs if k.startswith('hand_')] if variant == 'pgf' else [])
    return {k: [inputs[k][idx]] for k in keys}  # one view, as the model inputs hold it


def logits_of(model, inputs):
    return torch.stack(list(model(inputs).values())).sum(0)


def train_eval(variant, train, test, num_classes, args, pretrained):
    from cclslr.structures import SignDataSample
    torch.manual_seed(args.seed)
    model = build(variant, num_classes, args, pretrained)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    (x_tr, y_tr, _), (x_te, y_te, _) = train, test
    g = torch.Generator().manual_seed(args.seed)
    for _ in range(args.epochs):
        model.train()
        for idx in torch.randperm(len(y_tr), generator=g).split(8):
            samples = [SignDataSample().set_gt_label(int(y)) for y in y_tr[idx]]
            losses = model(select(x_tr, variant, idx), samples, mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        scores = torch.cat([logits_of(model, select(x_te, variant, idx))
                            for idx in torch.arange(len(y_te)).split(16)])
    top5 = scores.topk(min(5, num_classes), dim=1).indices
    top1 = (top5[:, 0] == y_te).float().mean().item()
    return model, top1, (top5 == y_te[:, None]).any(1).float().mean().item()


def ms_per_clip(model, variant, inputs, reps=10):
    """Median forward time (ms) of one clip, batch 1, in the same process and thread setting."""
    model.eval()
    x = select(inputs, variant, torch.tensor([0]))
    times = []
    with torch.no_grad():
        logits_of(model, x)  # warm-up
        for _ in range(reps):
            start = time.perf_counter()
            logits_of(model, x)
            times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main():
    args = parse_args()
    torch.set_num_threads(1)
    register_all_modules()
    if not osp.exists(osp.join(args.data_root, 'WLASL_v0.3.json')):
        from cclslr.datasets.synthetic import make_synthetic_dataset
        print(f'generating the synthetic demo dataset in {args.data_root} ...', flush=True)
        make_synthetic_dataset(args.data_root, preset='demo', seed=0)
    if args.pretrained and not args.pretrain_config:
        raise SystemExit('--pretrained needs --pretrain-config (the encoders must match its sizes)')
    args.encoders = encoders(args)
    train = load_split(args, 'train', per_class=args.shots)
    test = load_split(args, 'test')
    num_classes = int(max(train[1].max(), test[1].max())) + 1
    print(f'{len(train[1])} labelled training clips ({args.shots} per class, {num_classes} classes), '
          f'{len(test[1])} test clips; data pipeline {1e3 * test[2]:.0f} ms/clip incl. hand crops',
          flush=True)
    inits = [('scratch', None)] + ([('CCL-SLR', args.pretrained)] if args.pretrained else [])
    rows, cost = [], {}
    for variant in args.variants.split(','):
        for init_name, ckpt in inits:
            start = time.perf_counter()
            model, top1, top5 = train_eval(variant, train, test, num_classes, args, ckpt)
            rows.append((variant, init_name, top1, top5, time.perf_counter() - start))
            print(f'  {variant:5s} {init_name:8s} top-1 {100 * top1:5.1f}  top-5 {100 * top5:5.1f} '
                  f'({rows[-1][-1]:.0f} s)', flush=True)
            if variant not in cost:
                n_params = sum(p.numel() for p in model.parameters())
                cost[variant] = (ms_per_clip(model, variant, test[0]), n_params)
    print('\n| fusion | init | top-1 (%) | top-5 (%) | ms/clip | × pose-only | params (M) |')
    print('|---|---|---|---|---|---|---|')
    base = cost.get('pose', (float('nan'),))[0]
    for variant, init_name, top1, top5, _ in rows:
        ms, n = cost[variant]
        print(f'| {variant} | {init_name} | {100 * top1:.1f} | {100 * top5:.1f} | {ms:.1f} | '
              f'{ms / base:.2f} | {n / 1e6:.2f} |')
    if 'pgf' in cost and 'pose' in cost:
        print(f'\nPGF extra model cost over pose-only: {cost["pgf"][0] - base:.1f} ms/clip '
              f'({cost["pgf"][0] / base:.2f}x), CPU, batch 1, 1 thread; '
              f'hand crops: {int(test[0]["hand_valid"].sum(dim=(1, 2)).float().mean())} per clip.')


if __name__ == '__main__':
    main()
