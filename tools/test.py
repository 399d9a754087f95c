"""Evaluate a checkpoint on a config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl] [--cfg-options k=v ...]
                                           [--launcher none|pytorch|slurm]

Prints the metrics of the config's ``test_evaluator`` (for ISLR: top-1/top-5 per instance and per class).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import cclslr  # noqa: E402,F401
from cclslr.utils import allow_mmengine_checkpoint_globals, register_all_modules  # noqa: E402
from cclslr.utils.launch import (add_common_args, load_config, run_tool,  # noqa: E402
                                 setup_distributed_cpu, teardown_distributed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a cclslr model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the per-clip predictions to this pickle file')
    parser.add_argument('--amp', action='store_true', help='mixed precision inference')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = load_config(args)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError('--out must be a .pkl file')
        cfg.test_evaluator = list(cfg.test_evaluator) if isinstance(cfg.test_evaluator, (list, tuple)) \
            else [cfg.test_evaluator]
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.out))
    setup_distributed_cpu(cfg)
    allow_mmengine_checkpoint_globals()

    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    teardown_distributed()
    if runner.rank == 0:
        print('\n'.join(f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}'
                        for k, v in metrics.items()))
    return metrics


if __name__ == '__main__':
    run_tool(main, 'test.py')  # an error: one line naming the file and the reason, exit status 1
