"""Bad samples with DataLoader workers: reported once per epoch with file and reason, counted at the end
of the epoch (on_error='skip'); one clear error line from tools/train.py (on_error='raise')."""
import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import wlasl_cfg
from mmengine.runner import Runner

from cclslr.datasets.synthetic import make_synthetic_dataset
from cclslr.fileio import read_pose, write_pose
from cclslr.utils import register_all_modules
from cclslr.utils.launch import error_message

register_all_modules()
REPO = Path(__file__).resolve().parents[2]

PIPELINE = [
    dict(type='DecordInit'),
    # NaN keypoints as an error: with the default on_nan='zero' they are missing points, not a bad sample.
    dict(type='LoadPose', on_nan='error'),
    dict(type='PairedTemporalCrop', clip_len=4, test_mode=True),
    dict(type='DecodeFrames'),
    dict(type='SignResize', scale=32),
    dict(type='PoseNormalize'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputs'),
]
MODEL = dict(
    type='SignRecognizer', num_classes=4,
    rgb_backbone=dict(type='RGBEncoder', backbone=dict(
        type='mmaction.ResNet3dSlowOnly', depth=18, pretrained=None, pretrained2d=False, lateral=False,
        conv1_kernel=(1, 7, 7), inflate=(0, 0, 1, 1), base_channels=8)),
    pose_backbone=dict(type='PoseEncoder', group_channels=8, gcn_channels=(), d_model=8, num_layers=1,
                       num_heads=2, dropout=0.0),
    data_preprocessor=dict(type='SignDataPreprocessor', mean=[128.0] * 3, std=[64.0] * 3))


@pytest.fixture(scope='module')
def corrupt_set(tmp_path_factory):
    """The tiny synthetic set with four bad training samples and one bad test sample.

    Returns (root, {sample_id: (file named in the report, words of the reason)}, bad test sample id).
    """
    root = tmp_path_factory.mktemp('bad_samples')
    make_synthetic_dataset(str(root), preset='tiny', seed=0, num_workers=1)
    split = {i['video_id']: i['split'] for g in json.loads((root / 'WLASL_v0.3.json').read_text())
             for i in g['instances']}
    train = sorted(v for v, s in split.items() if s == 'train')
    test = sorted(v for v, s in split.items() if s == 'test')
    garbage, no_pose, nan, short = train[1], train[4], train[7], train[10]
    video = root / 'videos'
    pose = root / 'poses'
    (video / f'{garbage}.mp4').write_bytes(b'\x00\x00\x00\x18ftypmp42 truncated garbage')
    (pose / f'{no_pose}.pkl').unlink()
    p = read_pose(str(pose / f'{nan}.pkl'))
    kpts = p.keypoints.copy()
    kpts[2, 10] = np.nan
    write_pose(str(pose / f'{nan}.pkl'), dataclasses.replace(p, keypoints=kpts))
    p = read_pose(str(pose / f'{short}.pkl'))
    half = len(p.keypoints) // 2
    write_pose(str(pose / f'{short}.pkl'), dataclasses.replace(p, keypoints=p.keypoints[:half],
                                                               scores=p.scores[:half]))
    (video / f'{test[2]}.mp4').write_bytes(b'not a video')
    bad = {garbage: (video / f'{garbage}.mp4', 'cannot open video'),
           no_pose: (pose / f'{no_pose}.pkl', 'pose file not found'),
           nan: (pose / f'{nan}.pkl', 'NaN/inf keypoints'),
           short: (pose / f'{short}.pkl', 'length mismatch')}
    return root, bad, test[2]


def loader(root, split, on_error, shuffle=False, batch_size=4):
    return dict(batch_size=batch_size, num_workers=2, persistent_workers=False,
                sampler=dict(type='DefaultSampler', shuffle=shuffle), collate_fn=dict(type='default_collate'),
                dataset=dict(type='WLASLDataset', ann_file=f'{root}/WLASL_v0.3.json', subset=None,
                             split=split, test_mode=split != 'train', on_error=on_error, pipeline=PIPELINE,
                             data_prefix=dict(video=f'{root}/videos', pose=f'{root}/poses')))


def run_config(root, work_dir, on_error='skip') -> dict:
    return dict(
        model=MODEL, work_dir=str(work_dir), default_scope='cclslr',
        train_dataloader=loader(root, 'train', on_error, shuffle=True),
        val_dataloader=loader(root, 'test', on_error), test_dataloader=loader(root, 'test', on_error),
        val_evaluator=dict(type='ISLRAccuracy', topk=(1,)),
        test_evaluator=dict(type='ISLRAccuracy', topk=(1,)),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1), val_cfg=dict(), test_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1), checkpoint=None),
        custom_hooks=[dict(type='BadSampleHook')],
        env_cfg=dict(mp_cfg=dict(mp_start_method='fork')), randomness=dict(seed=0))


def test_skip_with_workers_reports_each_bad_sample_once_and_counts(corrupt_set, tmp_path):
    root, bad, bad_test = corrupt_set
    runner = Runner(**run_config(root, tmp_path))
    runner.train()
    assert runner.epoch == 2  # both epochs completed
    runner.test()
    log = Path(runner.log_dir, f'{runner.timestamp}.log').read_text().splitlines()
    reports = [line for line in log if 'bad sample ' in line]
    for epoch in (1, 2):
        for sid, (path, reason) in bad.items():
            mine = [line for line in reports if f'bad sample {sid} skipped in train epoch {epoch} ' in line]
            assert len(mine) == 1, (sid, epoch, reports)
            assert f'({path}): ' in mine[0] and reason in mine[0], mine[0]
        assert sum(f'train epoch {epoch}: skipped 4 bad samples this epoch' in line for line in log) == 1
        assert sum(f'val epoch {epoch}: skipped 1 bad samples this epoch' in line for line in log) == 1
    assert sum('test epoch 1: skipped 1 bad samples this epoch' in line for line in log) == 1
    # The workers did not log them as well: only the hook's lines name the bad files, once per epoch.
    for path, _ in bad.values():
        assert sum(str(path) in line for line in log) == 2, path
    assert sum(f'bad sample {bad_test} skipped' in line for line in reports) == 3  # 2 val epochs, 1 test
    assert len(reports) == 2 * len(bad) + 3


def test_replacement_sample_carries_the_records(tiny_wlasl):
    from cclslr.registry import DATASETS
    ds = DATASETS.build(wlasl_cfg(tiny_wlasl, PIPELINE, on_error='skip', test_mode=True))
    ids = [ds.get_data_info(i)['sample_id'] for i in range(len(ds))]
    k = ids.index('00006')  # corrupt video; test mode replaces it by the next sample that loads
    out = ds[k]
    records = out['data_samples'].metainfo['bad_samples']
    assert [r['sample_id'] for r in records] == ids[k:k + len(records)]
    assert out['data_samples'].sample_id == ids[k + len(records)]
    path = str(tiny_wlasl / 'videos' / '00006.mp4')
    assert records[0]['path'] == path
    assert records[0]['reason'].startswith(f'ValueError: {path}: cannot open video')
    records = ds[ids.index('00007')]['data_samples'].metainfo['bad_samples']
    assert records[0] == dict(sample_id='00007', path=str(tiny_wlasl / 'poses' / '00007.pkl'),
                              reason=f'FileNotFoundError: {tiny_wlasl}/poses/00007.pkl: pose file not found')
    records = ds[ids.index('00008')]['data_samples'].metainfo['bad_samples']  # names pose, then video
    assert records[0]['path'] == str(tiny_wlasl / 'poses' / '00008.pkl') and 'length mismatch' in \
        records[0]['reason']
    # ...and a sample that loads carries none.
    assert 'bad_samples' not in ds[ids.index('00000')]['data_samples'].metainfo


def test_raise_stops_train_py_with_one_clear_line(corrupt_set, tmp_path):
    root, bad, _ = corrupt_set
    cfg = run_config(root, tmp_path / 'work', on_error='raise')
    cfg.pop('custom_hooks')  # tools/train.py adds BadSampleHook itself
    base = REPO / 'configs' / '_base_' / 'default_runtime.py'
    text = f'_base_ = [{str(base)!r}]\n' + ''.join(f'{k} = {v!r}\n' for k, v in cfg.items())
    (tmp_path / 'cfg.py').write_text(text)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / 'train.py'), str(tmp_path / 'cfg.py')],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-2:]
    assert re.fullmatch(r'train\.py: error: \w+Error: .+ \(in DataLoader worker process \d\)', last[0]), last
    assert any(f'{path}: ' in last[0] and reason in last[0] for path, reason in bad.values()), last
    assert last[1].startswith('train.py: the full traceback is in ')
    log = Path(last[1].split(' is in ')[1]).read_text()
    assert re.search(r'Caught \w+ in DataLoader worker process \d', log) and 'Traceback' in log


def test_error_message_unwraps_worker_exceptions():
    from torch._utils import ExceptionWrapper

    def wrapped(error):
        try:
            raise error
        except Exception:
            try:
                ExceptionWrapper(where='in DataLoader worker process 1').reraise()
            except Exception as outer:
                return outer

    try:
        try:
            raise RuntimeError('decoder detail')
        except RuntimeError as inner:
            raise ValueError('/d/v.mp4: cannot open video (RuntimeError: decoder detail)') from inner
    except ValueError as chained:
        assert error_message(wrapped(chained)) == ('ValueError: /d/v.mp4: cannot open video (RuntimeError: '
                                                   'decoder detail) (in DataLoader worker process 1)')
    assert error_message(wrapped(KeyError('/d/p.pkl: no keypoints'))) == \
        "KeyError: '/d/p.pkl: no keypoints' (in DataLoader worker process 1)"
    assert error_message(KeyError('k')) == 'KeyError: k'
    assert error_message(FileNotFoundError('config file not found: x.py')) == \
        'FileNotFoundError: config file not found: x.py'


def test_tools_add_the_hook_when_a_config_replaces_custom_hooks():
    from mmengine.config import Config

    from cclslr.utils.launch import ensure_bad_sample_hook
    cfg = Config(dict(custom_hooks=[dict(type='RNGStateHook')]))
    ensure_bad_sample_hook(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == ['RNGStateHook', 'BadSampleHook']
    ensure_bad_sample_hook(cfg)  # present: not added twice
    assert [h['type'] for h in cfg.custom_hooks] == ['RNGStateHook', 'BadSampleHook']
    base = Config.fromfile(str(REPO / 'configs' / '_base_' / 'default_runtime.py'))
    assert {'type': 'BadSampleHook'} in base.custom_hooks
