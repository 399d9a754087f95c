"""The plugin recipe of docs/plugins.md, end to end: a user module outside the package registers a
backbone (or a loss), a config imports it with custom_imports, and tools/train.py trains with it."""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

PLUGIN = textwrap.dedent('''
    import torch
    from torch import nn

    from cclslr.registry import MODELS


    @MODELS.register_module()
    class MyVideoNet(nn.Module):
        """RGB clips (N, 3, T, H, W) -> features (N, out_channels)."""

        def __init__(self, width=8):
            super().__init__()
            self.out_channels = width
            self.conv = nn.Conv3d(3, width, kernel_size=3, padding=1)

        def forward(self, x):
            return self.conv(x).mean(dim=(2, 3, 4))
''')


def train_with_plugin(tmp_path, repo_root, module: str, source: str, config: str):
    """Write a user's module and config outside the package, train through ``tools/train.py`` with the
    module's folder on PYTHONPATH. ``config`` is formatted with ``data`` (a tiny synthetic set) and
    ``configs`` (the repository's configs folder). Returns the finished process and the work dir."""
    from cclslr.datasets.synthetic import make_synthetic_dataset
    data = tmp_path / 'synthetic'
    make_synthetic_dataset(str(data), preset='tiny', seed=0)
    plugin_dir = tmp_path / 'plugin'
    plugin_dir.mkdir()
    (plugin_dir / f'{module}.py').write_text(source)
    (plugin_dir / 'my_config.py').write_text(
        textwrap.dedent(config).format(data=data, configs=osp.join(repo_root, 'configs')))
    env = dict(os.environ, PYTHONPATH=str(plugin_dir) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    wd = tmp_path / 'wd'
    proc = subprocess.run([sys.executable, 'tools/train.py', str(plugin_dir / 'my_config.py'),
                           '--work-dir', str(wd)], cwd=repo_root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, wd


def test_user_backbone_trains_through_custom_imports(tmp_path, repo_root):
    proc, wd = train_with_plugin(tmp_path, repo_root, 'my_backbone', PLUGIN, '''
        _base_ = ['{configs}/demo/recognizer_tiny_1xb8-40e_synthetic-2shot.py']
        custom_imports = dict(imports=['my_backbone'], allow_failed_imports=False)
        model = dict(num_classes=4, rgb_backbone=dict(_delete_=True, type='MyVideoNet', width=8),
                     pose_backbone=None, pose_head=None)
        train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
            ann_file='{data}/WLASL_v0.3.json', data_prefix=dict(video='{data}/videos', pose='{data}/poses')))
        train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=100)
        val_dataloader = None
        val_cfg = None
        val_evaluator = None
        test_dataloader = None
        test_cfg = None
        test_evaluator = None
        param_scheduler = []
        default_hooks = dict(checkpoint=dict(interval=2, by_epoch=False), logger=dict(interval=1))
        log_processor = dict(by_epoch=False)
    ''')
    out = proc.stdout + proc.stderr
    assert 'MyVideoNet' in out  # the model printed in the log holds the user's class
    assert 'Iter(train) [2/2]' in out
    assert (wd / 'iter_2.pth').is_file()


LOSS_PLUGIN = textwrap.dedent('''
    from torch import nn

    from cclslr.registry import MODELS


    @MODELS.register_module()
    class CosineDistanceLoss(nn.Module):
        """1 - mean cosine of query and key (queue unused): a loss in [0, 2], unlike InfoNCE's log(N + 1)."""

        def forward(self, query, key, queue):
            return 1 - (query * key).sum(1).mean()
''')


def test_user_contrastive_loss_pretrains_through_custom_imports(tmp_path, repo_root):
    """A user's loss named in the pre-training config replaces InfoNCE in the cl and cross terms."""
    _, wd = train_with_plugin(tmp_path, repo_root, 'my_loss', LOSS_PLUGIN, '''
        _base_ = ['{configs}/demo/cclslr_tiny_1xb16-30e_synthetic.py']
        custom_imports = dict(imports=['my_loss'], allow_failed_imports=False)
        model = dict(queue_size=8, loss_cl=dict(_delete_=True, type='CosineDistanceLoss'))
        train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False, dataset=dict(
            ann_file='{data}/WLASL_v0.3.json', data_prefix=dict(video='{data}/videos', pose='{data}/poses')))
        train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2)
        param_scheduler = []
        custom_hooks = []
        default_hooks = dict(checkpoint=dict(interval=2, by_epoch=False), logger=dict(interval=1))
        log_processor = dict(by_epoch=False)
    ''')
    log = next(wd.rglob('vis_data/scalars.json'))
    steps = [r for r in map(json.loads, log.read_text().splitlines()) if 'loss_cl_rgb' in r]
    assert [r['iter'] for r in steps] == [1, 2]
    for r in steps:  # InfoNCE against 8 queue slots would log about log(9) = 2.2 and more
        for key in ('loss_cl_rgb', 'loss_cl_pose', 'loss_cross_r2p', 'loss_cross_p2r'):
            assert 0.0 <= r[key] <= 2.0, (key, r[key])
