"""Helpers of the inference tests (tests/apis/conftest.py and the demo / export tool tests): a tiny
synthetic sign set, and checkpoints of the demo's fused and pose-only recognizer configs trained on it for
one iteration by a real ``Runner`` (so the checkpoint has MMEngine's layout and ``dataset_meta``)."""
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FUSED_CFG = osp.join(REPO, 'configs', 'demo', 'recognizer_tiny_1xb8-40e_synthetic-2shot.py')
POSE_CFG = osp.join(REPO, 'configs', 'demo', 'recognizer_tiny-pose_1xb8-40e_synthetic-2shot.py')
NUM_CLASSES = 2


def data_options(root: str) -> dict:
    """--cfg-options that point a demo fine-tuning config at ``root`` with tiny, single-process loaders."""
    opts = {'model.num_classes': NUM_CLASSES}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.update({f'{loader}.dataset.ann_file': osp.join(root, 'WLASL_v0.3.json'),
                     f'{loader}.dataset.data_prefix.video': osp.join(root, 'videos'),
                     f'{loader}.dataset.data_prefix.pose': osp.join(root, 'poses'),
                     f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False,
                     f'{loader}.batch_size': 2})
    return opts


def make_tiny_signs(root: str) -> str:
    """2 glosses x 3 signers x 1 repetition, 64x64, 8-10 frames (root with WLASL_v0.3.json, videos/,
    poses/)."""
    from cclslr.datasets.synthetic import make_synthetic_dataset
    make_synthetic_dataset(root, preset='tiny', seed=0, num_workers=1, num_classes=NUM_CLASSES, num_signers=3,
                           num_reps=1, size=64, min_frames=8, max_frames=10)
    return root


def train_one_iter(config: str, root: str, work_dir: str) -> str:
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    from cclslr.utils import allow_mmengine_checkpoint_globals
    allow_mmengine_checkpoint_globals()
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(data_options(root))
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=100)
    cfg.param_scheduler = []
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.default_hooks.checkpoint = dict(type='AtomicCheckpointHook', interval=1, by_epoch=False)
    cfg.custom_hooks = []
    with DefaultScope.overwrite_default_scope('cclslr'):
        Runner.from_cfg(cfg).train()
    return osp.join(work_dir, 'iter_1.pth')


def write_random_checkpoint(config: str, path: str, num_classes: int = None, **meta) -> str:
    """An MMEngine-format checkpoint (``meta.dataset_meta`` + ``state_dict``) of ``config``'s model at
    its random initialisation, class names ``gloss_<i>``; its norms' ``num_batches_tracked`` is 1, as in any
    trained checkpoint (so they use their running statistics)."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from cclslr.registry import MODELS
    cfg = Config.fromfile(config)
    if num_classes is not None:
        cfg.model.num_classes = num_classes
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('cclslr'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    for name, buf in model.named_buffers():  # as after training: the norms use their running statistics
        if name.endswith('num_batches_tracked'):
            buf.fill_(1)
    classes = tuple(f'gloss_{i}' for i in range(cfg.model.num_classes))
    meta = dict(dataset_meta=dict(classes=classes, **meta))
    torch.save(dict(meta=meta, state_dict=model.state_dict()), path)
    return path
