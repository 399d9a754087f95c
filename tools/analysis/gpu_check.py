"""One-GPU check of the paper-size CCL-SLR step, in minutes, with no download (docs/performance.md).

    python tools/analysis/gpu_check.py                       # CUDA, ~200 iterations per run
    python tools/analysis/gpu_check.py --device cpu --tiny --iters 3 --batch 2   # what the test runs

1. checks the environment (torch, CUDA device, numpy; the imports this check needs, nothing of mmpose);
2. renders a small synthetic sign set at 224x224 with the project's generator (once; reused after);
3. builds ``configs/ccl_slr/pretrain_msasl.py`` at its real sizes (R3D-50, 32x224x224, the 1024-d pose
   encoder, queues of 16384; ``--tiny``: small encoders and clips for CPU tests) and a pool of pre-training
   samples through its real two-view pipeline;
4. per AMP dtype (``--dtypes``, default bf16 and fp16): finds the largest per-GPU batch that fits (doubling
   until out of memory, then one bisection step back), unless ``--batch`` is given;
5. per dtype and shuffle-BN setting (on: ``ShuffleBN``, off: none): trains ``--iters`` steps from the same
   seed on batches drawn from the pool, printing every ``--log-interval`` iterations each loss term and
   ``spread_f_*``; then clips/s (steady state, after ``--warmup`` steps), peak memory and the step split of
   ``benchmark_step.py``; a table of all runs at the end.

The batches come from a pool loaded once (``--pool`` samples of 40 clips), so clips/s is the GPU step alone;
feeding it is docs/performance.md's "Feeding the GPUs". The pool repeats (and the queues fill with keys of
the same 40 clips), so the loss values show stability (finite, no collapse), not what real data reaches.
Exit status 1 when a run produced a non-finite loss.
"""
import argparse
import copy
import os
import os.path as osp
import random
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))  # run from a clone

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAPER_CFG = osp.join(REPO, 'configs', 'ccl_slr', 'pretrain_msasl.py')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cuda')
    p.add_argument('--iters', type=int, default=200, help='training steps per run')
    p.add_argument('--warmup', type=int, default=10, help='steps excluded from clips/s')
    p.add_argument('--log-interval', type=int, default=20)
    p.add_argument('--dtypes', nargs='+', default=['bfloat16', 'float16'], choices=['bfloat16', 'float16'])
    p.add_argument('--shuffle-bn', nargs='+', default=['on', 'off'], choices=['on', 'off'])
    p.add_argument('--batch', type=int, default=None, help='per-GPU batch (skips the search)')
    p.add_argument('--min-batch', type=int, default=8, help='first batch of the search')
    p.add_argument('--max-batch', type=int, default=512, help='the search stops here')
    p.add_argument('--data-root', default=osp.join(REPO, 'work_dirs', 'gpu_check', 'synthetic_224'))
    p.add_argument('--pool', type=int, default=256, help='pre-training samples loaded once (two views each)')
    p.add_argument('--num-workers', type=int, default=min(8, os.cpu_count() or 1))
    p.add_argument('--split-iters', type=int, default=3, help='steps of the benchmark_step split per run')
    p.add_argument('--tiny', action='store_true',
                   help='small encoders, 8x64x64 clips, queue 256 (CPU tests); not a measurement')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------------- environment
def check_environment(device: str) -> None:
    """Print versions; fail early, naming the cause, where this check cannot run."""
    import numpy as np
    import torch
    print(f'python {sys.version.split()[0]} | torch {torch.__version__} (CUDA build {torch.version.cuda}) | '
          f'numpy {np.__version__}')
    if int(np.__version__.split('.')[0]) >= 2:
        # What breaks on numpy 2 is not imported here: mmpose's xtcocotools (binary built against numpy 1)
        # and mmaction2 1.2.0's PoseCompact (np.Inf, removed in numpy 2) are never used by this check.
        print('note: numpy >= 2. The pinned OpenMMLab releases are tested with numpy 1.26 (mmpose/'
              'xtcocotools and mmaction2 PoseCompact break on numpy 2); this check uses neither. If an '
              'import below fails, bring the numpy 1.26.4 wheel (docs/performance.md).')
    needed = [('mmengine', 'mmengine'), ('mmaction.models.backbones.resnet3d', 'mmaction2 (pure Python)'),
              ('mmcv', 'mmcv-lite (pure Python)'), ('decord', 'decord'),
              ('cclslr.models', 'cclslr'), ('cclslr.datasets', 'cclslr')]
    import importlib
    import cclslr  # noqa: F401  (applies the compat stand-ins before mmaction is imported)
    for module, package in needed:
        try:
            importlib.import_module(module)
        except Exception as exc:  # any import error: name the package to bring
            raise SystemExit(f'gpu_check: cannot import {module} ({package}): {type(exc).__name__}: {exc}. '
                             'See docs/performance.md, "The paper-size step on one GPU", for the wheels.')
    if device.startswith('cuda'):
        if not torch.cuda.is_available():
            raise SystemExit('gpu_check: --device cuda but torch sees no CUDA device '
                             f'(torch {torch.__version__}, CUDA build {torch.version.cuda}); '
                             'use --device cpu --tiny for a smoke run')
        props = torch.cuda.get_device_properties(device)
        print(f'device {device}: {props.name}, {props.total_memory / 2**30:.1f} GiB, '
              f'bf16 {"yes" if torch.cuda.is_bf16_supported() else "no"}')
    else:
        print(f'device {device} ({torch.get_num_threads()} threads)')


# --------------------------------------------------------------------------------------------------- config
def make_data(root: str, tiny: bool, workers: int) -> None:
    from cclslr.datasets.synthetic import make_synthetic_dataset
    t0 = time.perf_counter()
    # 4 signs x 8 signers x 2 repetitions = 64 clips, 40 of them in the train split; 224x224 (64 tiny).
    info = make_synthetic_dataset(root, preset='demo', num_classes=4, num_signers=8, num_reps=2,
                                  size=64 if tiny else 224, min_frames=36, max_frames=48,
                                  num_workers=workers, progress=False)
    state = 'reused' if info['skipped'] else f'rendered in {time.perf_counter() - t0:.0f} s'
    print(f'data: {info["num_clips"]} synthetic clips in {root} ({state})')


def _resize_pipeline(node, clip_len: int, size: int):
    """The pipeline with its clip length and crop size replaced (``--tiny``)."""
    if isinstance(node, list):
        return [_resize_pipeline(n, clip_len, size) for n in node]
    if isinstance(node, dict):
        node = {k: _resize_pipeline(v, clip_len, size) for k, v in node.items()}
        if node.get('type') == 'PairedTemporalCrop':
            node['clip_len'] = clip_len
        if node.get('type') == 'SignRandomResizedCrop':
            node['size'] = size
    return node


def build_cfg(args):
    """(model cfg, optim_wrapper cfg, dataset cfg) of the paper's pre-training on the synthetic set."""
    from mmengine.config import Config
    cfg = Config.fromfile(PAPER_CFG)
    model = copy.deepcopy(cfg.model.to_dict())
    pipeline = copy.deepcopy(cfg.train_dataloader.dataset.pipeline)
    pipeline = [t.to_dict() if hasattr(t, 'to_dict') else t for t in pipeline]
    if args.tiny:
        model['rgb_encoder'] = dict(type='RGBEncoder', out_channels=64, backbone=dict(
            type='mmaction.ResNet3d', depth=18, inflate=(1, 1, 1, 1), conv1_kernel=(3, 7, 7), base_channels=8,
            pretrained=None, pretrained2d=False))
        model['pose_encoder'] = dict(type='PoseEncoder', group_channels=16, gcn_channels=(8, 16), d_model=32,
                                     num_layers=1, num_heads=2)
        model['queue_size'] = 256
        pipeline = _resize_pipeline(pipeline, clip_len=8, size=64)
    dataset = dict(type='WLASLDataset', ann_file=osp.join(args.data_root, 'WLASL_v0.3.json'), subset=None,
                   data_prefix=dict(video=osp.join(args.data_root, 'videos'),
                                    pose=osp.join(args.data_root, 'poses')),
                   split='train', unlabelled=True, pipeline=pipeline)
    return model, cfg.optim_wrapper.to_dict(), dataset


def load_pool(dataset_cfg: dict, size: int, workers: int, seed: int) -> list:
    """``size`` samples (indices drawn with replacement, each a fresh augmentation) through the pipeline."""
    import torch
    from cclslr.registry import DATASETS
    dataset = DATASETS.build(dataset_cfg)
    g = torch.Generator().manual_seed(seed)
    indices = torch.randint(len(dataset), (size,), generator=g).tolist()
    loader = torch.utils.data.DataLoader(torch.utils.data.Subset(dataset, indices), batch_size=1,
                                         num_workers=workers, collate_fn=lambda x: x[0])
    t0 = time.perf_counter()
    try:
        pool = list(loader)
    except RuntimeError as exc:  # e.g. a worker killed by a small /dev/shm in a container
        if workers == 0:
            raise
        print(f'pool: loader workers failed ({exc}); loading in this process instead')
        return load_pool(dataset_cfg, size, 0, seed)
    dt = time.perf_counter() - t0
    print(f'pool: {len(pool)} two-view samples of {len(dataset)} clips loaded in {dt:.1f} s '
          f'({len(pool) / dt:.1f} samples/s with {workers} workers)')
    return pool


def make_batch(pool: list, batch: int, rng: random.Random):
    from mmengine.dataset import default_collate
    return default_collate([pool[rng.randrange(len(pool))] for _ in range(batch)])


def build_model(model_cfg: dict, optim_cfg: dict, device: str, dtype: str, shuffle: bool, seed: int):
    import torch
    from mmengine.optim import build_optim_wrapper
    from cclslr.engine import amp_optim_wrapper
    from cclslr.registry import MODELS
    cfg = copy.deepcopy(model_cfg)
    cfg['shuffle_bn'] = (cfg.get('shuffle_bn') or dict(type='ShuffleBN', num_splits=2)) if shuffle else None
    torch.manual_seed(seed)
    model = MODELS.build(cfg).to(device)
    model.init_weights()
    model.train()
    optim = build_optim_wrapper(model, amp_optim_wrapper(optim_cfg, device.split(':')[0], dtype))
    return model, optim


# ---------------------------------------------------------------------------------------------- batch search
def fits(model_cfg, optim_cfg, args, dtype, batch, pool) -> bool:
    import torch
    model = optim = None
    try:
        model, optim = build_model(model_cfg, optim_cfg, args.device, dtype, shuffle=False, seed=args.seed)
        rng = random.Random(0)
        for _ in range(2):
            model.train_step(make_batch(pool, batch, rng), optim)
        torch.cuda.synchronize()
        return True
    except torch.cuda.OutOfMemoryError:
        return False
    except RuntimeError as exc:  # cuDNN / cuBLAS report a failed workspace allocation as their own error
        if any(s in str(exc) for s in ('out of memory', 'CUDNN_STATUS_ALLOC', 'CUBLAS_STATUS_ALLOC')):
            return False
        raise
    finally:
        del model, optim
        torch.cuda.empty_cache()


def search_batch(model_cfg, optim_cfg, args, dtype, pool) -> int:
    """Double from ``--min-batch`` until out of memory, then one bisection step between the last two."""
    good, bad, batch = None, None, args.min_batch
    while batch <= args.max_batch:
        ok = fits(model_cfg, optim_cfg, args, dtype, batch, pool)
        print(f'  batch {batch:4d}: {"fits" if ok else "out of memory"}')
        if not ok:
            bad = batch
            break
        good, batch = batch, batch * 2
    if good is None:
        raise SystemExit(f'gpu_check: batch {args.min_batch} does not fit in {dtype}; try --min-batch 2')
    if bad is not None and bad - good > 8:
        mid = (good + bad) // 2 // 8 * 8
        if mid > good and fits(model_cfg, optim_cfg, args, dtype, mid, pool):
            good = mid
        print(f'  batch {mid:4d}: {"fits" if good == mid else "out of memory"}')
    return good


# ------------------------------------------------------------------------------------------------------ runs
def run(model_cfg, optim_cfg, args, dtype, shuffle, batch, pool) -> dict:
    import torch
    from benchmark_step import print_split, time_steps
    cuda = args.device.startswith('cuda')
    model, optim = build_model(model_cfg, optim_cfg, args.device, dtype, shuffle, args.seed)
    print(f'\n== {dtype}, shuffle BN {"on (" + repr(model.shuffle_bn) + ")" if shuffle else "off"}, '
          f'batch {batch}, {args.iters} iterations')
    if cuda:
        torch.cuda.reset_peak_memory_stats(args.device)
    rng = random.Random(args.seed)
    last, finite, t_start = {}, True, None
    for it in range(1, args.iters + 1):
        if it == args.warmup + 1:
            if cuda:
                torch.cuda.synchronize()
            t_start = time.perf_counter()
        log_vars = model.train_step(make_batch(pool, batch, rng), optim)
        if it % args.log_interval == 0 or it == args.iters:
            last = {k: float(v) for k, v in log_vars.items()}
            scale = getattr(getattr(optim, 'loss_scaler', None), 'get_scale', lambda: None)()
            terms = ' '.join(f'{k} {v:.4f}' for k, v in last.items())
            print(f'iter {it:4d} {terms}' + ('' if scale is None else f' loss_scale {scale:.0f}'))
            if not all(v == v and abs(v) != float('inf') for v in last.values()):
                print(f'non-finite loss at iteration {it}: stopping this run')
                finite = False
                break
    if cuda:
        torch.cuda.synchronize()
    timed = it - args.warmup
    clips_s = timed * batch / (time.perf_counter() - t_start) if t_start is not None and timed > 0 else None
    peak = torch.cuda.max_memory_allocated(args.device) / 2**30 if cuda else None
    print(f'clips/s {clips_s:.2f} (steady state, {timed} steps)' if clips_s
          else 'clips/s n/a (no steps timed)')
    if peak is not None:
        print(f'peak memory {peak:.2f} GiB')
    if finite and args.split_iters > 0:
        print('step split (benchmark_step.py):')
        med, ref = time_steps(model, optim, make_batch(pool, batch, rng), args.device, args.split_iters, 1)
        print_split(med, ref, batch, print_fn=lambda line: print('  ' + line))
    del model, optim
    if cuda:
        torch.cuda.empty_cache()
    return dict(dtype=dtype, shuffle='on' if shuffle else 'off', batch=batch, clips_s=clips_s, peak=peak,
                finite=finite, last=last)


def main(argv=None):
    args = parse_args(argv)
    t0 = time.perf_counter()
    check_environment(args.device)
    from mmengine.logging import MMLogger
    MMLogger.get_instance('gpu_check', log_level='WARNING')  # not MMEngine's per-parameter init report
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))  # benchmark_step
    from cclslr.utils import register_all_modules
    register_all_modules()
    if not args.device.startswith('cuda') and args.batch is None:
        raise SystemExit('gpu_check: give --batch on CPU (the batch search needs CUDA out-of-memory errors)')
    import torch
    if args.device.startswith('cuda') and 'bfloat16' in args.dtypes and not torch.cuda.is_bf16_supported():
        print('bfloat16: not supported by this card, skipped')
        args.dtypes = [d for d in args.dtypes if d != 'bfloat16']
        if not args.dtypes:
            raise SystemExit('gpu_check: no dtype left to run (add --dtypes float16)')
    make_data(args.data_root, args.tiny, args.num_workers)
    model_cfg, optim_cfg, dataset_cfg = build_cfg(args)
    pool = load_pool(dataset_cfg, args.pool, args.num_workers, args.seed)
    results = []
    for dtype in args.dtypes:
        if args.batch:
            batch = args.batch
        else:
            print(f'batch search ({dtype}):')
            batch = search_batch(model_cfg, optim_cfg, args, dtype, pool)
        for shuffle in args.shuffle_bn:
            results.append(run(model_cfg, optim_cfg, args, dtype, shuffle == 'on', batch, pool))

    print(f'\n{"dtype":9s} {"shuffle":7s} {"batch":>5s} {"clips/s":>8s} {"peak GiB":>8s}  last losses')
    for r in results:
        losses = ' '.join(f'{k}={v:.3f}' for k, v in r['last'].items() if k != 'loss')
        cps = f'{r["clips_s"]:8.1f}' if r['clips_s'] else f'{"n/a":>8s}'
        peak = f'{r["peak"]:8.2f}' if r['peak'] is not None else f'{"n/a":>8s}'
        print(f'{r["dtype"]:9s} {r["shuffle"]:7s} {r["batch"]:5d} {cps} {peak}  {losses}')
    print(f'total {time.perf_counter() - t0:.0f} s')
    if not all(r['finite'] for r in results):
        raise SystemExit(1)


if __name__ == '__main__':
    main()
