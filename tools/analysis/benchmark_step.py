"""Time one CCL-SLR pre-training step, split into its parts, at the paper's queue size.

    python tools/analysis/benchmark_step.py                       # CPU, small encoders, batch 4
    python tools/analysis/benchmark_step.py --full --device cuda  # R3D-50 32x224x224 + full pose encoder
    python tools/analysis/benchmark_step.py --full --device cuda --amp [--amp-dtype bfloat16]

``--amp``: the forward parts under autocast (fp16 with a dynamic loss scale on CUDA, bf16 on CPU), the
losses and queues in fp32, as ``tools/train.py --amp`` runs them. Printed besides the split: clips/s of
the unsplit step and the peak device memory (CUDA).

Parts (each timed between device synchronisations, median over ``--iters`` steps after ``--warmup``):
    data preprocessing   SignDataPreprocessor: stack, normalise, move to the device
    query fwd + bwd      query encoders + heads forward, and their backward
    key forward          key encoders + heads under no_grad
    algorithm            EMA update, SPM mining, the loss terms (forward and backward through the
                         queue similarities), gathering + enqueueing the keys
    optimizer            SGD step (reported, part of the step)
The step's backward is split exactly: the losses are computed on detached copies of the query features,
backpropagated to them (algorithm), then the encoders are backpropagated from those gradients (query).
A plain ``model.train_step`` is timed too, to check that the split adds no overhead. Target: the
algorithm's share of the step < 10 %.
"""
import argparse
import os.path as osp
import statistics
import sys
import time

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))  # run from a clone

from cclslr.engine import amp_optim_wrapper  # noqa: E402
from cclslr.engine.optim_wrappers.autocast_optim_wrapper import AMP_DTYPES  # noqa: E402
from cclslr.utils import register_all_modules  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--full', action='store_true', help="the paper's encoders and clip sizes")
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--batch', type=int, default=None, help='per-device batch (default 4 CPU, 8 full)')
    p.add_argument('--queue-size', type=int, default=16384)
    p.add_argument('--frames', type=int, default=None, help='T (default 8 small, 32 full)')
    p.add_argument('--size', type=int, default=None, help='RGB side (default 64 small, 224 full)')
    p.add_argument('--iters', type=int, default=5)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    p.add_argument('--amp', action='store_true', help='mixed precision (fp16 on CUDA, bf16 on CPU)')
    p.add_argument('--amp-dtype', choices=AMP_DTYPES, default=None, help='with --amp: the autocast dtype')
    return p.parse_args(argv)


def model_cfg(args) -> dict:
    if args.full:
        rgb = dict(type='RGBEncoder')  # R3D-50, 2048-d
        pose = dict(type='PoseEncoder')  # GCN + 2 x 3-block Transformers, 1024-d
    else:
        rgb = dict(type='RGBEncoder', backbone=dict(
            type='mmaction.ResNet3d', depth=18, inflate=(1, 1, 1, 1), inflate_style='3x3x3',
            conv1_kernel=(3, 7, 7), base_channels=32, pretrained=None, pretrained2d=False), out_channels=256)
        pose = dict(type='PoseEncoder', group_channels=128, gcn_channels=(32, 64), d_model=256,
                    num_layers=2, num_heads=4)
    return dict(type='CCLSLR', rgb_encoder=rgb, pose_encoder=pose, queue_size=args.queue_size,
                data_preprocessor=dict(type='SignDataPreprocessor'))


def fake_batch(batch: int, frames: int, size: int) -> dict:
    """What the dataloader (pseudo_collate) yields: per view, a list of per-sample tensors."""
    views = range(2)
    return dict(inputs={
        'rgb': [[torch.randint(0, 256, (3, frames, size, size), dtype=torch.uint8) for _ in range(batch)]
                for _ in views],
        'pose': [[torch.rand(frames, 75, 3) * 2 - 1 for _ in range(batch)] for _ in views]})


class Timer:
    def __init__(self, device: str):
        self.cuda = device.startswith('cuda')
        self.times = {}

    def __call__(self, name: str, fn):
        if self.cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = fn()
        if self.cuda:
            torch.cuda.synchronize()
        self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - t0
        return out


def build_optim_wrapper(model, device: str, amp: bool = False, amp_dtype: str = None, lr: float = 0.01):
    """SGD in a plain ``OptimWrapper``, or the mixed-precision wrapper ``tools/train.py --amp`` builds."""
    from cclslr.registry import OPTIM_WRAPPERS
    cfg = dict(type='OptimWrapper')
    if amp:
        cfg = amp_optim_wrapper(cfg, device.split(':')[0], amp_dtype)
    params = [p for p in model.parameters() if p.requires_grad]
    return OPTIM_WRAPPERS.build(dict(cfg, optimizer=torch.optim.SGD(params, lr=lr, momentum=0.9)))


def split_step(model, optim, data, timer: Timer) -> None:
    """One step, identical in effect to ``model.train_step``, with each part timed.

    The forward parts run in ``optim.optim_context`` (autocast under AMP), the loss backward through the
    wrapper's loss scaler when it has one (fp16), as ``train_step`` does."""
    inputs = timer('preprocess', lambda: model.data_preprocessor(data, True)['inputs'])
    with optim.optim_context(model):
        query = timer('query_fwd', lambda: model.extract_query(inputs))
        timer('ema', model.momentum_update)
        key = timer('key_fwd', lambda: model.extract_key(inputs))
    leaves = {m: dict(g=q['g'].detach(), f=q['f'].detach().requires_grad_()) for m, q in query.items()}

    def losses_fwd():
        with optim.optim_context(model):
            losses = model.losses_fp32(leaves, key)
        total = sum(v for k, v in losses.items() if 'loss' in k)
        scaler = getattr(optim, 'loss_scaler', None)
        return scaler.scale(total) if scaler is not None else total

    total = timer('losses_fwd', losses_fwd)
    timer('losses_bwd', total.backward)
    timer('query_bwd', lambda: torch.autograd.backward(
        [query[m]['f'] for m in query], [leaves[m]['f'].grad for m in query]))
    timer('optimizer', lambda: (optim.step(), optim.zero_grad()))
    timer('enqueue', lambda: model.enqueue(key))


def time_steps(model, optim, data, device: str, iters: int, warmup: int):
    """Median time of each part (split steps) and of the unsplit ``train_step``, alternating."""
    per_step, whole = [], []
    for i in range(warmup + iters):
        timer = Timer(device)
        split_step(model, optim, data, timer)
        timer('train_step', lambda: model.train_step(data, optim))
        if i >= warmup:
            whole.append(timer.times.pop('train_step'))
            per_step.append(timer.times)
    med = {k: statistics.median(t[k] for t in per_step) for k in per_step[0]}
    return med, statistics.median(whole)


GROUPS = {
    'data preprocessing': ['preprocess'],
    'query fwd + bwd': ['query_fwd', 'query_bwd'],
    'key forward': ['key_fwd'],
    'algorithm (EMA, SPM, losses, queues)': ['ema', 'losses_fwd', 'losses_bwd', 'enqueue'],
    'optimizer step': ['optimizer'],
}


def print_split(med: dict, ref: float, batch: int, print_fn=print) -> None:
    """The table of parts (ms, share of the step), the unsplit reference and clips/s."""
    step = sum(med.values())
    print_fn(f'{"part":40s} {"ms":>10s} {"share":>8s}')
    for name, keys in GROUPS.items():
        t = sum(med[k] for k in keys)
        print_fn(f'{name:40s} {1e3 * t:10.1f} {100 * t / step:7.1f}%')
    for label, keys in (('EMA', ['ema']), ('losses fwd + bwd', ['losses_fwd', 'losses_bwd']),
                        ('enqueue', ['enqueue'])):
        t = sum(med[k] for k in keys)
        print_fn(f'{"  of which " + label:40s} {1e3 * t:10.1f} {100 * t / step:7.1f}%')
    print_fn(f'{"step (sum of parts)":40s} {1e3 * step:10.1f} {100.0:7.1f}%')
    print_fn(f'{"model.train_step (unsplit, reference)":40s} {1e3 * ref:10.1f} {100 * ref / step:7.1f}%')
    algo = sum(med[k] for k in GROUPS['algorithm (EMA, SPM, losses, queues)']) / step
    print_fn(f'algorithm share {100 * algo:.1f}% (target < 10%): {"OK" if algo < 0.10 else "ABOVE TARGET"}')
    print_fn(f'clips/s (unsplit step) {batch / ref:.1f}')


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    batch = args.batch or (8 if args.full else 4)
    frames = args.frames or (32 if args.full else 8)
    size = args.size or (224 if args.full else 64)
    register_all_modules()
    from cclslr.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(args)).to(args.device)
    model.init_weights()
    model.train()
    optim = build_optim_wrapper(model, args.device, args.amp, args.amp_dtype)
    data = fake_batch(batch, frames, size)
    n_params = {m: sum(p.numel() for p in model.encoders[m].parameters()) / 1e6 for m in model.modalities}
    cuda = args.device.startswith('cuda')
    if cuda:
        torch.cuda.reset_peak_memory_stats()

    # Split and unsplit steps alternate, so that both see the same machine load.
    med, ref = time_steps(model, optim, data, args.device, args.iters, args.warmup)
    precision = 'fp32' if not args.amp else f'amp {getattr(optim, "cast_dtype", None)}'
    device_name = torch.cuda.get_device_name(args.device) if cuda else 'CPU'
    print(f'device {args.device} ({device_name}) | {precision} | batch {batch} | '
          f'clip {frames}x{size}x{size} | '
          f'queue {args.queue_size} | encoders (M params) ' +
          ', '.join(f'{m} {v:.1f}' for m, v in n_params.items()) + f' | threads {torch.get_num_threads()}')
    print_split(med, ref, batch)
    if cuda:
        print(f'peak memory {torch.cuda.max_memory_allocated(args.device) / 2**30:.2f} GiB')


if __name__ == '__main__':
    main()
