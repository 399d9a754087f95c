"""Train a model from a config with MMEngine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CHECKPOINT]] [--amp [--amp-dtype D]]
                                 [--cfg-options k=v ...] [--launcher none|pytorch|slurm]

``--amp``: mixed precision, fp16 with a dynamic loss scale on CUDA (MMEngine's AmpOptimWrapper), bf16 on
CPU (cclslr's AutocastOptimWrapper); ``--amp-dtype bfloat16`` picks bf16 on CUDA too.

Multi-GPU / multi-node: ``bash tools/dist_train.sh CONFIG GPUS`` (torchrun). See docs/get_started.md.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))  # run from a clone without install

import torch  # noqa: E402

import cclslr  # noqa: E402,F401  (applies the compat stand-ins first)
from cclslr.engine import amp_optim_wrapper  # noqa: E402
from cclslr.engine.optim_wrappers.autocast_optim_wrapper import AMP_DTYPES  # noqa: E402
from cclslr.utils import allow_mmengine_checkpoint_globals, register_all_modules  # noqa: E402
from cclslr.utils.launch import (add_common_args, load_config, run_tool,  # noqa: E402
                                 setup_distributed_cpu, teardown_distributed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a cclslr model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from the given checkpoint, or, with no value, from the latest '
                        'checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: fp16 on CUDA, bf16 on CPU (losses and queues stay fp32)')
    parser.add_argument('--amp-dtype', choices=AMP_DTYPES, default=None,
                        help='with --amp: the autocast dtype (default float16 on CUDA, bfloat16 on CPU)')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = load_config(args)

    if args.amp_dtype and not args.amp:
        raise ValueError('--amp-dtype needs --amp')
    if args.amp:
        # The Runner puts the model on CUDA when there is one (MMEngine's get_device), else on CPU.
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
        cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper, device, args.amp_dtype)

    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume: checkpoint not found: {args.resume}')
        cfg.resume, cfg.load_from = True, args.resume

    setup_distributed_cpu(cfg)
    # Our own checkpoints hold MMEngine's HistoryBuffer and numpy state: allow exactly those classes.
    allow_mmengine_checkpoint_globals()

    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()
    teardown_distributed()


if __name__ == '__main__':
    run_tool(main, 'train.py')  # an error: one line naming the file and the reason, exit status 1
