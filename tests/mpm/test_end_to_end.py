"""Issue 5's 'done means', on the tiny synthetic set: train_flow.py + generate_masks.py write a cache that
the pre-training pipeline with MPM switched on reads for every clip."""
import os
import subprocess
import sys
import textwrap

import numpy as np


def test_flow_masks_feed_the_pretraining_pipeline(tmp_path, repo_root):
    from cclslr.fileio import load_mask
    from cclslr.datasets.synthetic import make_synthetic_dataset
    from cclslr.registry import DATASETS
    data = tmp_path / 'synthetic'
    make_synthetic_dataset(str(data), preset='tiny', seed=0)
    cache = tmp_path / 'masks'
    cfg_path = tmp_path / 'mpm_cfg.py'
    demo = os.path.join(repo_root, 'configs', 'demo', 'cclslr_tiny_1xb16-30e_synthetic.py')
    cfg_path.write_text(textwrap.dedent(f'''
        _base_ = [{demo!r}]
        train_dataloader = dict(dataset=dict(
            ann_file='{data}/WLASL_v0.3.json', indices=4,
            data_prefix=dict(video='{data}/videos', pose='{data}/poses')))
    '''))
    env = dict(os.environ)
    run = dict(cwd=repo_root, env=env, capture_output=True, text=True, timeout=300)
    proc = subprocess.run([sys.executable, 'tools/mpm/train_flow.py', '--config', str(cfg_path),
                           '--work-dir', str(tmp_path / 'flow'), '--levels', '2', '--steps', '1',
                           '--hidden', '8', '--iters', '5', '--batch-size', '4', '--size', '32', '32',
                           '--crop', '16', '--no-progress'], **run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'bits/dim' in proc.stdout
    proc = subprocess.run([sys.executable, 'tools/mpm/generate_masks.py', '--config', str(cfg_path),
                           '--cache-root', str(cache), '--codec', 'glow', '--size', '32', '32',
                           '--checkpoint', str(tmp_path / 'flow' / 'flow.pth'), '--no-progress'], **run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'wrote 4 masks' in proc.stdout

    from mmengine.config import Config
    cfg = Config.fromfile(str(cfg_path))
    ds_cfg = cfg.train_dataloader.dataset
    view = ds_cfg.pipeline[2]['transforms']
    mm = next(t for t in view if t['type'] == 'MotionMask')
    # Every view masked, and a clip without a mask would be an error: the cache must cover them all.
    mm.update(cache_root=str(cache), prob=1.0, on_missing='error', keep_mask=True)
    # Without colour jitter and frame differencing the masked-out pixels stay exactly black, which the
    # check below counts.
    ds_cfg.pipeline[2]['transforms'] = [t for t in view if t['type'] not in ('SignColorJitter',
                                                                             'FrameDifference')]
    ds = DATASETS.build(ds_cfg)
    for i in range(len(ds)):
        sample_id = ds.get_data_info(i)['sample_id']
        mask = load_mask(str(cache), sample_id)
        assert mask is not None and mask.dtype == bool and 0 < mask.mean() < 1
        out = ds[i]
        rgb = out['inputs']['rgb'][0].numpy()
        assert (rgb == 0).mean() > 0.05  # masked-out pixels are black in the view
    assert np.isfinite(out['inputs']['pose'][0].numpy()).all()
