"""The demo: CCL-SLR end to end on the synthetic sign dataset, on CPU, in about 10 minutes.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-root data/synthetic_demo] [--quick]
                         [--pretrain-config configs/demo/cclslr-xpl_tiny_1xb16-30e_synthetic.py]

1. generates the synthetic demo dataset (skipped when it is already there);
2. writes the Motion-Preserving-Masking cache of the training clips (frame-difference codec);
3. embeds the clips with randomly initialised encoders: k-NN top-1 of RGB, pose and fused embeddings;
4. pre-trains CCL-SLR on the training signers (labels unused);
5. embeds them again with the pre-trained encoders;
6. fine-tunes with 2 labelled clips per class (fused, RGB-only and pose-only: FINETUNE_CFGS), from scratch
   and from the pre-trained checkpoint, tests on the held-out signers, and prints one table.
Logs and checkpoints go to the work dir; the console shows progress bars and the results.
"""
import argparse
import copy
import itertools
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import cclslr  # noqa: E402,F401
from cclslr.utils import allow_mmengine_checkpoint_globals, register_all_modules  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN_CFG = osp.join(REPO, 'configs', 'demo', 'cclslr_tiny_1xb16-30e_synthetic.py')
FINETUNE_CFGS = {  # the table's rows, in its order
    variant: osp.join(REPO, 'configs', 'demo', f'recognizer_{name}_1xb8-40e_synthetic-2shot.py')
    for variant, name in (('fused', 'tiny'), ('RGB-only', 'tiny-rgb'), ('pose-only', 'tiny-pose'))}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='CCL-SLR on the synthetic sign dataset, end to end')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/synthetic_demo')
    parser.add_argument('--pretrain-config', default=PRETRAIN_CFG,
                        help='pre-training config over the synthetic data (default: the CCL-SLR demo '
                             'config; e.g. a variant of it)')
    parser.add_argument('--pretrain-epochs', type=int, default=None,
                        help='override the pre-training config (default: its max_epochs)')
    parser.add_argument('--finetune-epochs', type=int, default=None)
    parser.add_argument('--quick', action='store_true',
                        help='a few iterations per stage, to check the plumbing (numbers meaningless)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--preset', default='demo', choices=['demo', 'tiny'],
                        help='synthetic dataset preset (tiny: 32 clips, for tests)')
    return parser.parse_args(argv)


def _stage(title):
    print(f'\n== {title}', flush=True)


def _quiet(cfg, work_dir, desc, seed):
    """Console: progress bars only; the full MMEngine log still goes to the work dir."""
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=seed)
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] != 'KNNEvalHook']
    cfg.custom_hooks.append(dict(type='ProgressBarHook', desc=desc))
    return cfg


def data_root_options(cfg, data_root) -> dict:
    """``--cfg-options`` that point every synthetic dataset of a demo config (its loaders and k-NN hook
    loaders) and its MPM mask cache at ``data_root``."""
    loaders = [name for name in ('train_dataloader', 'val_dataloader', 'test_dataloader') if cfg.get(name)]
    loaders += [f'custom_hooks.{i}.{key}' for i, hook in enumerate(cfg.get('custom_hooks', []))
                for key in ('dataloader', 'query_dataloader') if isinstance(hook.get(key), dict)]
    options = {}
    for loader in loaders:
        options.update({f'{loader}.dataset.ann_file': osp.join(data_root, 'WLASL_v0.3.json'),
                        f'{loader}.dataset.data_prefix.video': osp.join(data_root, 'videos'),
                        f'{loader}.dataset.data_prefix.pose': osp.join(data_root, 'poses')})
    for i, t in enumerate(cfg.train_dataloader.dataset.pipeline):
        for j, sub in enumerate(t.get('transforms', [])):
            if sub['type'] == 'MotionMask':
                options[f'train_dataloader.dataset.pipeline.{i}.transforms.{j}.cache_root'] = \
                    osp.join(data_root, 'mpm_masks')
    return options


def make_masks(config, options, data_root):
    """MPM masks for the pre-training clips of ``config`` (with ``options``, its --data-root redirection).
    The demo uses the codec-free frame-difference option (about 15 s); docs/mpm.md shows the flow-based
    cache (tools/mpm/train_flow.py + generate_masks.py)."""
    import subprocess
    cmd = [sys.executable, osp.join(REPO, 'tools', 'mpm', 'generate_masks.py'), '--config', config,
           '--split', 'train', '--cache-root', osp.join(data_root, 'mpm_masks'), '--codec', 'frame_diff',
           '--threshold', '0.1', '--cfg-options', *(f'{k}={v}' for k, v in options.items())]
    subprocess.run(cmd, check=True)


def knn_numbers(runner, knn_hook_cfg, shots):
    """k-NN numbers with the whole labelled training split as memory bank, and with only the clips the
    label-scarce fine-tuning sees (``shots``: the fine-tuning dataset's ``num_per_class`` and
    ``subset_seed``; keys ``shots_top1_<m>``, k = clips per class; skipped when ``num_per_class`` is
    None). The second needs no training, so it shows what the embedding gives a label-scarce task
    without the run-to-run noise of fine-tuning. The test split is embedded once for both."""
    from cclslr.evaluation import embed_for_eval, knn_scores
    loaders = [runner.build_dataloader(knn_hook_cfg['dataloader'], seed=0),
               runner.build_dataloader(knn_hook_cfg['query_dataloader'], seed=0)]
    if shots.get('num_per_class') is not None:
        few_cfg = copy.deepcopy(knn_hook_cfg['dataloader'])
        few_cfg['dataset'].update(shots)
        loaders.append(runner.build_dataloader(few_cfg, seed=0))
    bank, query, *few = embed_for_eval(runner.model, *loaders)
    out = knn_scores(bank, query, k=knn_hook_cfg.get('k', 20))
    if few:
        few_out = knn_scores(few[0], query, k=shots['num_per_class'])
        out.update({f'shots_{k}': v for k, v in few_out.items() if k.startswith('top1_')})
    return out


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.pretrain_config):
        sys.exit(f'tools/demo.py: --pretrain-config {args.pretrain_config}: no such file')
    register_all_modules(init_default_scope=False)
    allow_mmengine_checkpoint_globals()
    from mmengine.config import Config
    from mmengine.runner import Runner

    from cclslr.datasets.synthetic import make_synthetic_dataset
    t0 = time.time()

    _stage(f'1/6 synthetic sign dataset -> {args.data_root}')
    summary = make_synthetic_dataset(args.data_root, preset=args.preset, seed=args.seed, progress=True)
    print(('reused' if summary['skipped'] else 'generated') +
          f' {summary["num_clips"]} clips, {summary["num_classes"]} classes, splits {summary["splits"]}')

    pre_cfg = Config.fromfile(args.pretrain_config)
    pre_options = data_root_options(pre_cfg, args.data_root)
    _stage('2/6 Motion-Preserving Masking: mask cache of the training clips (frame-difference codec)')
    make_masks(osp.abspath(args.pretrain_config), pre_options, args.data_root)

    pre_cfg.merge_from_dict(pre_options)
    ft_data = Config.fromfile(FINETUNE_CFGS['fused']).train_dataloader.dataset
    shots = dict(num_per_class=ft_data.get('num_per_class'), subset_seed=ft_data.get('subset_seed', 0))
    knn_cfg = copy.deepcopy(next(h for h in pre_cfg.custom_hooks if h['type'] == 'KNNEvalHook'))
    if args.pretrain_epochs is not None:
        pre_cfg.train_cfg.max_epochs = args.pretrain_epochs
        pre_cfg.param_scheduler[0].T_max = args.pretrain_epochs
    if args.quick:
        pre_cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
        pre_cfg.param_scheduler = []
        pre_cfg.default_hooks.checkpoint = dict(type='AtomicCheckpointHook', interval=2, by_epoch=False)
    pre_dir = osp.join(args.work_dir, 'pretrain')
    runner = Runner.from_cfg(_quiet(pre_cfg, pre_dir, 'pre-training', args.seed))

    _stage('3/6 k-NN of randomly initialised encoders (bank: training signers, queries: test signers)')
    runner.model.init_weights()  # the Runner initialises at train(); the baseline needs it now
    knn_before = knn_numbers(runner, knn_cfg, shots)
    print(knn_before)
    from cclslr.visualization.demo_figures import demo_embeddings, write_demo_figures
    emb_before = demo_embeddings(runner, knn_cfg)  # for the t-SNE figure

    _stage('4/6 CCL-SLR pre-training (no labels)')
    runner.train()
    ckpt = osp.join(pre_dir, 'last_checkpoint')
    with open(ckpt) as f:
        pretrained = f.read().strip()

    _stage('5/6 k-NN after pre-training')
    knn_after = knn_numbers(runner, knn_cfg, shots)
    print(knn_after)
    emb_after = demo_embeddings(runner, knn_cfg)

    results = {}
    for (variant, config), (name, init) in itertools.product(
            FINETUNE_CFGS.items(), (('scratch', None), ('CCL-SLR', pretrained))):
        _stage(f'6/6 fine-tuning with 2 labels per class: {variant}, {name}')
        cfg = Config.fromfile(config)
        cfg.merge_from_dict(data_root_options(cfg, args.data_root))
        cfg.model.init_from = None if init is None else dict(checkpoint=init)
        if args.finetune_epochs is not None:
            cfg.train_cfg.max_epochs = args.finetune_epochs
            cfg.param_scheduler[0].T_max = args.finetune_epochs
        if args.quick:
            cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=100)
            cfg.param_scheduler = []
        cfg.train_cfg.val_interval = 10 ** 6  # model selection on test numbers would be cheating
        cfg.default_hooks.checkpoint = dict(type='AtomicCheckpointHook', interval=-1, save_last=True)
        ft = Runner.from_cfg(_quiet(cfg, osp.join(args.work_dir, f'finetune_{variant}_{name.lower()}'),
                                    f'fine-tuning ({variant}, {name})', args.seed))
        ft.train()
        results[variant, name] = ft.test()

    print_table(knn_before, knn_after, results, time.time() - t0, args.pretrain_config,
                describe_objective(pre_cfg))
    figures = write_demo_figures(args.work_dir, emb_before, emb_after, knn_before, knn_after, results)
    print('figures: ' + ', '.join(f'{name} {path}' for name, path in figures.items()))

    _stage('from video to gloss: three test clips through inference_recognizer (fused, CCL-SLR fine-tuned)')
    from cclslr.apis.demo_recognition import recognise_test_clips
    fused_cfg = Config.fromfile(FINETUNE_CFGS['fused'])
    recognise_test_clips(FINETUNE_CFGS['fused'], osp.join(args.work_dir, 'finetune_fused_ccl-slr'),
                         data_root_options(fused_cfg, args.data_root))


def describe_objective(cfg) -> str:
    """One line naming the pre-training's active loss terms and the RGB input, e.g.
    ``loss terms: cl rgb+pose, spm pose, cross r2p+p2r; RGB input: frame differences``."""
    from cclslr.registry import MODELS
    modalities = [m for m in ('rgb', 'pose') if cfg.model.get(f'{m}_encoder') is not None]
    weights = MODELS.get(cfg.model.type).parse_loss_weights(cfg.model.get('losses'), modalities)
    terms = ', '.join(f'{family} ' + '+'.join(t for t, w in ws.items() if w)
                      for family, ws in weights.items() if any(ws.values()))
    from cclslr.datasets.transforms import iter_transforms
    steps = [t['type'] for t in iter_transforms(cfg.train_dataloader.dataset.pipeline)]
    rgb = 'frame differences' if 'FrameDifference' in steps else 'frames'
    return f'loss terms: {terms}; RGB input: {rgb}'


def print_table(knn_before, knn_after, results, seconds, pretrain_config=PRETRAIN_CFG, objective=''):
    rows = [('k-NN top-1, RGB embedding', 'top1_rgb'), ('k-NN top-1, pose embedding', 'top1_pose'),
            ('k-NN top-1, fused embedding', 'top1_fused'),
            ('retrieval R@1, pose -> RGB', 'recall1_pose2rgb'),
            ('retrieval R@1, RGB -> pose', 'recall1_rgb2pose'),
            ('k-NN top-1, 2 labels/class, RGB', 'shots_top1_rgb'),
            ('k-NN top-1, 2 labels/class, pose', 'shots_top1_pose'),
            ('k-NN top-1, 2 labels/class, fused', 'shots_top1_fused')]
    print('\n' + '=' * 72)
    print('CCL-SLR on the synthetic sign dataset (test signers unseen in training)')
    if osp.abspath(pretrain_config) != osp.abspath(PRETRAIN_CFG):
        print(f'pre-training config: {osp.relpath(osp.abspath(pretrain_config), REPO)}')
    if objective:
        print(objective)
    print('-' * 72)
    print(f'{"embedding quality (%)":<40}{"random init":>15}{"pre-trained":>15}')
    for label, key in rows:
        if key in knn_before:
            print(f'{label:<40}{knn_before[key]:>15.2f}{knn_after[key]:>15.2f}')
    print('-' * 72)
    print(f'{"fine-tuned, 2 labels per class (%)":<40}{"scratch":>15}{"CCL-SLR":>15}')
    for variant in FINETUNE_CFGS:
        for key in ('top1_instance', 'top5_instance'):
            label = f'{variant} {key}'
            print(f'{label:<40}{results[variant, "scratch"][key]:>15.2f}'
                  f'{results[variant, "CCL-SLR"][key]:>15.2f}')
    print('=' * 72)
    print(f'total time {seconds / 60:.1f} min')


if __name__ == '__main__':
    main()
