"""Run a few iterations of a paper-size config on the synthetic clips, to check it end to end on any
machine (CPU included) before spending GPU hours on the real benchmark.

    python tools/analysis/smoke_paper_config.py [CONFIG] [--batch-size 2] [--iters 1] [--device cpu]

The model, pipeline, optimiser and queue sizes are the config's own; only the training data (the
synthetic set, generated if missing), the batch size, the number of iterations and the evaluation
hooks are replaced. Prints the losses and the seconds per iteration.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import cclslr  # noqa: E402,F401
from cclslr.utils import register_all_modules  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?',
                        default=osp.join(REPO, 'configs', 'ccl_slr', 'pretrain_msasl.py'))
    parser.add_argument('--data-root', default='data/synthetic_demo')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--iters', type=int, default=1)
    parser.add_argument('--work-dir', default='work_dirs/smoke_paper_config')
    args = parser.parse_args(argv)

    register_all_modules(init_default_scope=False)
    from mmengine.config import Config
    from mmengine.runner import Runner

    from cclslr.datasets.synthetic import make_synthetic_dataset
    make_synthetic_dataset(args.data_root, preset='demo', progress=True)

    cfg = Config.fromfile(args.config)
    ds = cfg.train_dataloader.dataset
    unlabelled = bool(ds.get('unlabelled', False)) or ds.get('type') == 'UnlabelledConcatDataset'
    cfg.train_dataloader.dataset = dict(
        type='WLASLDataset', ann_file=osp.join(args.data_root, 'WLASL_v0.3.json'), subset=None,
        split='train', unlabelled=unlabelled, pipeline=ds['pipeline'],
        data_prefix=dict(video=osp.join(args.data_root, 'videos'), pose=osp.join(args.data_root, 'poses')))
    cfg.train_dataloader.update(batch_size=args.batch_size, num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=args.iters)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg[key] = None
    cfg.param_scheduler = []
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] != 'KNNEvalHook']
    cfg.default_hooks.checkpoint = dict(type='AtomicCheckpointHook', interval=-1, save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(by_epoch=False)
    cfg.work_dir = args.work_dir
    if cfg.model.get('init_from'):
        cfg.model.init_from = None  # the pre-training checkpoint is not needed to check the plumbing
    runner = Runner.from_cfg(cfg)
    n_params = sum(p.numel() for p in runner.model.parameters())
    start = time.time()
    runner.train()
    seconds = (time.time() - start) / args.iters
    losses = {k: runner.message_hub.get_scalar(k).current() for k in runner.message_hub.log_scalars
              if k.startswith('train/loss')}
    print(f'{osp.basename(args.config)}: {n_params / 1e6:.1f} M parameters, batch {args.batch_size}, '
          f'{args.iters} iteration(s), {seconds:.1f} s per iteration (including start-up)')
    print('losses: ' + ', '.join(f'{k[6:]}={v:.4f}' for k, v in losses.items()))


if __name__ == '__main__':
    main()
