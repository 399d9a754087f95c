"""List-file datasets (generic, NMFs-CSL, SLR500), the unlabelled union, and the data preprocessor."""
import pytest
import torch
from conftest import train_pipeline, wlasl_cfg
from mmengine.dataset import pseudo_collate

from cclslr.registry import DATASETS, MODELS
from cclslr.utils import register_all_modules

register_all_modules()


def test_list_dataset(tmp_path):
    (tmp_path / 'list.txt').write_text('# comment\na/clip1.mp4 3\n\nb/clip2 5 extra\nc/clip3\n')
    ds = DATASETS.build(dict(type='SignListDataset', ann_file=str(tmp_path / 'list.txt'),
                             data_prefix=dict(video='v', pose='p'), classes=[str(i) for i in range(6)]))
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [i['label'] for i in infos] == [3, 5, -1]
    assert infos[1]['video_path'] == 'v/b/clip2.mp4' and infos[1]['pose_path'] == 'p/b/clip2.pkl'
    assert infos[0]['sample_id'] == 'a/clip1' and len(ds.metainfo['classes']) == 6
    (tmp_path / 'bad.txt').write_text('a.mp4 three\n')
    with pytest.raises(ValueError, match='bad.txt:1'):
        DATASETS.build(dict(type='SignListDataset', ann_file=str(tmp_path / 'bad.txt')))
    with pytest.raises(KeyError, match='vidoe'):
        DATASETS.build(dict(type='SignListDataset', ann_file=str(tmp_path / 'list.txt'),
                            data_prefix=dict(vidoe='v')))


def test_nmfs_csl_lists(tmp_path):
    (tmp_path / 'train.txt').write_text('0001/P1_s1_00.mp4 1\n1066/P2_s3_01.mp4 1066\n')
    (tmp_path / 'test.txt').write_text('0007/P9_s1_02.mp4\n')
    train = DATASETS.build(dict(type='NMFsCSLDataset', ann_file=str(tmp_path / 'train.txt')))
    test = DATASETS.build(dict(type='NMFsCSLDataset', ann_file=str(tmp_path / 'test.txt')))
    assert [train.get_data_info(i)['label'] for i in range(2)] == [1, 1066]
    assert test.get_data_info(0)['label'] == 7


def test_slr500_split_by_signer(tmp_path):
    for cls in ('000000', '000499'):
        (tmp_path / cls).mkdir()
        for signer in (1, 36, 37, 50):
            (tmp_path / cls / f'P{signer:02d}_01_00_0_color.avi').write_bytes(b'')
            (tmp_path / cls / f'P{signer:02d}_01_00_0_depth.avi').write_bytes(b'')
    train = DATASETS.build(dict(type='SLR500Dataset', split='train', data_prefix=dict(video=str(tmp_path))))
    test = DATASETS.build(dict(type='SLR500Dataset', split='test', data_prefix=dict(video=str(tmp_path))))
    assert len(train) == 4 and len(test) == 4
    assert {train.get_data_info(i)['signer_id'] for i in range(4)} == {1, 36}
    assert {test.get_data_info(i)['label'] for i in range(4)} == {0, 499}
    (tmp_path / 'list.txt').write_text('000003/P40_01_00_0_color.avi\n000004/P02_01_00_0_color.avi\n')
    listed = DATASETS.build(dict(type='SLR500Dataset', ann_file=str(tmp_path / 'list.txt'), split='test'))
    assert len(listed) == 1 and listed.get_data_info(0)['label'] == 3


def test_unlabelled_concat(tmp_path, tiny_wlasl):
    (tmp_path / 'list.txt').write_text('00000.mp4 2\n00001.mp4 1\n')
    lst = dict(type='SignListDataset', ann_file=str(tmp_path / 'list.txt'), sample_id_prefix='mine/',
               data_prefix=dict(video=str(tiny_wlasl / 'videos'), pose=str(tiny_wlasl / 'poses')))
    members = [wlasl_cfg(tiny_wlasl, split=['train']), lst]
    ds = DATASETS.build(dict(type='UnlabelledConcatDataset', datasets=members,
                             pipeline=train_pipeline(clip_len=4, size=16)))
    assert len(ds) == 8 + 2
    assert all(ds.get_data_info(i)['label'] == -1 for i in range(len(ds)))
    out = ds[len(ds) - 1]
    assert out['data_samples'].gt_label.item() == -1 and out['data_samples'].sample_id == 'mine/00001'
    assert len(out['inputs']['rgb']) == 2


def test_data_preprocessor_two_views_and_padding(tiny_wlasl):
    ds = DATASETS.build(wlasl_cfg(tiny_wlasl, train_pipeline(clip_len=4, size=16), split=['train']))
    batch = pseudo_collate([ds[0], ds[1], ds[2]])
    pre = MODELS.build(dict(type='SignDataPreprocessor', mean=[100, 100, 100], std=[50, 50, 50]))
    out = pre(batch, training=True)['inputs']
    assert len(out['rgb']) == 2 and out['rgb'][1].shape == (3, 3, 4, 16, 16)
    assert out['rgb'][0].dtype == torch.float32 and out['pose'][0].shape == (3, 4, 75, 3)
    raw = batch['inputs']['rgb'][0][1].float()
    assert torch.allclose(out['rgb'][0][1], (raw - 100) / 50)
    # Single view of variable-length pose: padded, with the valid mask.
    data = dict(inputs=dict(pose=[[torch.ones(3, 75, 3), torch.ones(5, 75, 3)]]))
    pose_only = MODELS.build(dict(type='SignDataPreprocessor', modalities=('pose',)))
    out = pose_only(data)['inputs']
    assert set(out) == {'pose', 'pose_mask'} and out['pose'][0].shape == (2, 5, 75, 3)
    assert out['pose_mask'][0].tolist() == [[True] * 3 + [False] * 2, [True] * 5]
    assert out['pose'][0][0, 3:].abs().sum() == 0
    # default_collate stacks each view: (N, ...) tensors in the list over views.
    stacked = pre(dict(inputs=dict(rgb=[torch.zeros(2, 3, 4, 8, 8, dtype=torch.uint8)],
                                   pose=[torch.zeros(2, 4, 75, 3)])))['inputs']
    assert stacked['rgb'][0].shape == (2, 3, 4, 8, 8) and stacked['pose_mask'][0].all()
    with pytest.raises(KeyError, match="no 'rgb' input"):
        pre(data)
    with pytest.raises(TypeError, match=r"inputs\['pose'\] must be a non-empty list over views"):
        pose_only(dict(inputs=dict(pose=torch.zeros(2, 4, 75, 3))))
    with pytest.raises(KeyError, match='already has a pose_mask'):
        pose_only(dict(inputs=dict(pose=[[torch.ones(3, 75, 3)]],
                                   pose_mask=[[torch.ones(3, dtype=torch.bool)]])))


def test_num_per_class_keeps_a_seeded_label_scarce_subset(tmp_path):
    from cclslr.registry import DATASETS
    lines = [f'v{i}.mp4 {i % 3}' for i in range(30)]
    (tmp_path / 'list.txt').write_text('\n'.join(lines))
    cfg = dict(type='SignListDataset', ann_file=str(tmp_path / 'list.txt'), num_per_class=2, subset_seed=1)
    ds = DATASETS.build(cfg)
    labels = [ds.get_data_info(i)['label'] for i in range(len(ds))]
    assert len(ds) == 6 and sorted(labels) == [0, 0, 1, 1, 2, 2]
    again = DATASETS.build(cfg)
    assert [again.get_data_info(i)['sample_id'] for i in range(6)] == \
        [ds.get_data_info(i)['sample_id'] for i in range(6)]
    other = DATASETS.build(dict(cfg, subset_seed=2))
    assert {other.get_data_info(i)['sample_id'] for i in range(6)} != \
        {ds.get_data_info(i)['sample_id'] for i in range(6)}
