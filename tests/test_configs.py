"""Every config under configs/ loads, and its model and datasets build (new configs are picked up
automatically). Models are built on the meta device: the paper-size ones allocate no memory."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from cclslr.registry import DATASETS, MODELS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


@pytest.fixture(scope='module')
def synthetic_root(tmp_path_factory):
    from cclslr.datasets.synthetic import make_synthetic_dataset
    root = tmp_path_factory.mktemp('synthetic')
    make_synthetic_dataset(str(root), preset='tiny', seed=0)
    return str(root)


@pytest.fixture(scope='module')
def list_roots(tmp_path_factory):
    """Small NMFs-CSL list files and an SLR500 folder layout, as their loaders expect."""
    root = tmp_path_factory.mktemp('lists')
    (root / 'train.txt').write_text('000/P01_s1_00_0.mp4 0\n001/P02_s1_01_0.mp4 1\n')
    (root / 'test.txt').write_text('000/P30_s1_00_0.mp4\n001/P31_s1_01_0.mp4\n')
    slr = root / 'slr500'
    for cls in ('000000', '000001'):
        for signer in (1, 40):
            (slr / cls).mkdir(parents=True, exist_ok=True)
            (slr / cls / f'P{signer:02d}_01_00_0_color.avi').write_bytes(b'')
    return root


def _redirect(ds, synthetic_root, list_roots, shared):
    """Point a dataset config at files that exist here (recursing into concatenations)."""
    ds = copy.deepcopy(ds)
    if ds['type'] == 'UnlabelledConcatDataset':
        ds['datasets'] = [_redirect(d, synthetic_root, list_roots, shared) for d in ds['datasets']]
        return ds
    ann = ds.get('ann_file', '')
    if ds['type'] == 'WLASLDataset' and 'synthetic' in ann:
        ds['ann_file'] = osp.join(synthetic_root, 'WLASL_v0.3.json')
    elif ds['type'] == 'WLASLDataset':
        ds['ann_file'] = osp.join(shared(), 'wlasl', 'WLASL_v0.3.json')
    elif ds['type'] == 'MSASLDataset':
        ds['ann_file'] = osp.join(shared(), 'msasl', osp.basename(ann))
    elif ds['type'] == 'NMFsCSLDataset':
        ds['ann_file'] = str(list_roots / osp.basename(ann))
    elif ds['type'] == 'SLR500Dataset':
        ds['data_prefix'] = dict(ds['data_prefix'], video=str(list_roots / 'slr500'))
    elif ds['type'] in SHARED_FOLDERS:
        ds = _redirect_to_shared(ds, osp.join(shared(), SHARED_FOLDERS[ds['type']]))
    return ds


# The benchmarks whose annotation files are all in ../shared/data, by folder there. Of GISLR's train.csv
# the folder holds 747 real rows, as train_new_csv.csv.
SHARED_FOLDERS = dict(AUTSLDataset='autsl', GISLRDataset='gislr', INCLUDEDataset='include')
SHARED_NAMES = {'train.csv': 'train_new_csv.csv'}


def _redirect_to_shared(ds, folder):
    def real(path):
        name = osp.basename(path)
        return osp.join(folder, SHARED_NAMES.get(name, name))
    for key in ('ann_file', 'class_file', 'sign_map_file', 'label_map_file'):
        if ds.get(key):
            ds[key] = real(ds[key])
    if ds.get('exclude_lists'):
        ds['exclude_lists'] = [real(p) for p in ds['exclude_lists']]
    return ds


def _datasets(cfg):
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            yield name, cfg[name]['dataset']
    for hook in cfg.get('custom_hooks', []):
        for key in ('dataloader', 'query_dataloader'):
            if isinstance(hook.get(key), dict):
                yield f'{hook["type"]}.{key}', hook[key]['dataset']


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(p, osp.join(REPO, 'configs')) for p in CONFIGS])
def test_config_builds(path, synthetic_root, list_roots, request):
    def shared():
        return request.getfixturevalue('shared_data')

    cfg = Config.fromfile(path)
    assert cfg.get('default_scope') == 'cclslr'
    for key in ('model', 'train_dataloader', 'optim_wrapper', 'train_cfg'):
        assert key in cfg, f'{path} has no {key}'

    model_cfg = copy.deepcopy(cfg.model)
    if model_cfg.get('init_from'):
        # The pre-training checkpoint does not exist here; loading it is tested in test_recognizer.
        model_cfg['init_from'] = None
    with torch.device('meta'):
        model = MODELS.build(model_cfg)
    assert sum(p.numel() for p in model.parameters()) > 0

    num_classes = model_cfg.get('num_classes')
    for where, ds_cfg in _datasets(cfg):
        ds = DATASETS.build(_redirect(ds_cfg, synthetic_root, list_roots, shared))
        assert len(ds) > 0, f'{where} of {path} is empty'
        labels = [ds.get_data_info(i)['label'] for i in range(min(len(ds), 50))]
        if num_classes is not None and 'synthetic' not in str(ds_cfg.get('ann_file', '')):
            assert max(labels) < num_classes, f'{where}: label {max(labels)} >= num_classes {num_classes}'


def test_paper_sizes_in_the_main_configs():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'ccl_slr', 'pretrain_msasl.py'))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    rgb = sum(p.numel() for p in model.encoders['rgb'].parameters())
    assert 46.0e6 < rgb < 46.4e6  # R3D-50, 3x3x3 bottlenecks (docs/method.md §4)
    assert model.encoders['rgb'].out_channels == 2048 and model.encoders['pose'].out_channels == 1024
    assert model.queues.size == 16384 and model.momentum == 0.999 and model.loss_cl.temperature == 0.07
    assert model.spm_head.topk == 10 and model.spm_head.loss_module.temperature == 0.02
    assert cfg.train_dataloader.batch_size * 8 == 64 and cfg.train_cfg.max_epochs == 140
    assert cfg.optim_wrapper.optimizer.lr == 0.01 and cfg.param_scheduler[0].milestones == [100]


RECOGNIZERS = [p for p in CONFIGS if Config.fromfile(p).model.type in ('SignRecognizer', 'PGFRecognizer')]


@pytest.mark.parametrize('path', RECOGNIZERS,
                         ids=[osp.relpath(p, osp.join(REPO, 'configs')) for p in RECOGNIZERS])
def test_recognizer_pipelines_feed_exactly_its_branches(path):
    # A fine-tuning config names its model base and its pipelines separately: they must agree, and the
    # data preprocessor must ask for exactly those inputs (it raises on a missing one at the first batch).
    # RGB-only reads no pose file, pose-only (and PGF, which decodes its own hand crops) no whole frames.
    from cclslr.datasets.transforms import iter_transforms
    cfg = Config.fromfile(path)
    branches = {m for m in ('rgb', 'pose') if cfg.model.get(f'{m}_backbone')}
    assert set(cfg.model.data_preprocessor.get('modalities', ('rgb', 'pose'))) == branches
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        steps = list(iter_transforms(cfg[name].dataset.pipeline))
        pack = next(t for t in steps if t['type'].startswith('PackSignInputs'))
        assert set(pack['modalities']) == branches, name
        types = {t['type'] for t in steps}
        assert ('LoadPose' in types) == ('pose' in branches), name
        assert ('DecodeFrames' in types) == ('rgb' in branches), name
