"""AUTSL, GISLR and INCLUDE / INCLUDE-50 read from their real annotation files in ../shared/data (skipped
when absent), with the exact counts; and their annotation errors, on small files written here."""
import os.path as osp
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from cclslr.datasets.include import gloss_key
from cclslr.fileio import pose_format_names, pose_format_of
from cclslr.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]


def _build(**cfg):
    return DATASETS.build(dict(cfg, pipeline=cfg.get('pipeline', [])))


def _infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


# ---------------------------------------------------------------------------------------------- AUTSL
def _autsl(shared_data, ann, **kw):
    root = shared_data / 'autsl'
    return _build(type='AUTSLDataset', ann_file=str(root / ann),
                  class_file=str(root / 'SignList_ClassId_TR_EN.csv'),
                  data_prefix=dict(video='videos', pose='poses'), **kw)


def test_autsl_counts_classes_and_signer_split(shared_data):
    train, val = _autsl(shared_data, 'train_labels.csv'), _autsl(shared_data, 'val_gt.csv')
    assert (len(train), len(val)) == (28142, 4418)
    train_signers = {d['signer_id'] for d in _infos(train)}
    val_signers = {d['signer_id'] for d in _infos(val)}
    assert (len(train_signers), len(val_signers)) == (31, 6)
    assert not train_signers & val_signers  # signer-independent, as the challenge split
    assert {d['label'] for d in _infos(train)} == set(range(226))
    classes = train.metainfo['classes']
    assert len(classes) == 226 and classes[0] == 'sister' and classes[182] == 'you (plural)'
    first = train.get_data_info(0)
    assert first == dict(first, video_path='videos/signer0_sample1_color.mp4',
                         pose_path='poses/signer0_sample1.pkl',
                         label=41, signer_id=0, sample_id='signer0_sample1', frame_start=0, frame_end=-1)
    turkish = _autsl(shared_data, 'val_gt.csv', gloss_language='tr').metainfo['classes']
    assert turkish[0] == 'abla' and turkish[1] == 'acele' and len(turkish) == 226


def test_autsl_pose_format_sample_pairs_video_and_pose(shared_data):
    root = shared_data / 'pose_format' / 'autsl_sample'
    ds = _build(type='AUTSLDataset', ann_file=str(root / 'labels.csv'),
                class_file=str(shared_data / 'autsl' / 'SignList_ClassId_TR_EN.csv'),
                data_prefix=dict(video=str(root), pose=str(root)), pose_ext='.pose')
    (info, ) = _infos(ds)  # the file has no final newline: still one clip
    assert (info['label'], info['signer_id'], info['sample_id']) == (164, 0, 'signer0_sample1000')
    assert osp.isfile(info['video_path']) and osp.isfile(info['pose_path'])
    assert info['pose_path'].endswith('signer0_sample1000.pose')


def test_autsl_pose_format_sample_through_the_pretraining_pipeline(shared_data):
    if not _readable('x.pose'):
        pytest.skip('no .pose reader registered yet (cclslr/fileio/pose_formats/)')
    root = shared_data / 'pose_format' / 'autsl_sample'
    pipelines = Config.fromfile(str(REPO / 'configs' / '_base_' / 'datasets' / 'sign_pipelines.py'))
    ds = _build(type='AUTSLDataset', ann_file=str(root / 'labels.csv'), pose_ext='.pose',
                data_prefix=dict(video=str(root), pose=str(root)), unlabelled=True,
                pipeline=pipelines.pretrain_pipeline_no_mpm)
    out = ds[0]
    assert len(out['inputs']['rgb']) == len(out['inputs']['pose']) == 2
    assert out['inputs']['rgb'][0].shape == (3, 32, 224, 224)
    pose = np.asarray(out['inputs']['pose'][0])
    assert pose.shape[0] == 32 and pose.shape[2] == 3 and (pose[..., 2] > 0).any()


def _readable(name: str) -> bool:
    try:
        pose_format_of(name)
    except ValueError:
        return False
    return True


def _autsl_tmp(tmp_path):
    return _build(type='AUTSLDataset', ann_file=str(tmp_path / 'labels.csv'),
                  class_file=str(tmp_path / 'classes.csv'))


@pytest.mark.parametrize('text, problem', [
    ('signer0_sample1,1\nsigner0_sample2\n', r'labels.csv:2: expected "signer<S>_sample<N>,<class id>"'),
    ('sample1,41\n', r'labels.csv:1: expected'),
    ('signer0_sample1,x\n', r'labels.csv:1: expected'),
    ('signer0_sample1,2\n', r'labels.csv:1: class id 2 is not in'),
    ('\n\n', 'names no clip')])
def test_autsl_bad_label_file_names_the_line(tmp_path, text, problem):
    (tmp_path / 'labels.csv').write_text(text)
    (tmp_path / 'classes.csv').write_text('ClassId,TR,EN\n0,abla,sister\n1,acele,hurry\n')
    with pytest.raises(ValueError, match=problem):
        _autsl_tmp(tmp_path)


@pytest.mark.parametrize('text, problem', [
    ('Id,TR,EN\n0,abla,sister\n', 'expected the header "ClassId,TR,EN"'),
    ('ClassId,TR,EN\n0,abla\n', r'classes.csv:2: expected'),
    ('ClassId,TR,EN\n0,abla,sister\n0,acele,hurry\n', r'classes.csv:3: class id 0 is listed twice'),
    ('ClassId,TR,EN\n0,abla,sister\n2,acele,hurry\n', r'class ids must be 0..1; missing e.g. \[1\]')])
def test_autsl_bad_class_file_names_the_problem(tmp_path, text, problem):
    (tmp_path / 'labels.csv').write_text('signer0_sample1,0')
    (tmp_path / 'classes.csv').write_text(text)
    with pytest.raises(ValueError, match=problem):
        _autsl_tmp(tmp_path)


def test_autsl_rejects_unknown_gloss_language(tmp_path):
    with pytest.raises(ValueError, match='gloss_language'):
        _build(type='AUTSLDataset', ann_file=str(tmp_path / 'x.csv'), gloss_language='de')


# ---------------------------------------------------------------------------------------------- GISLR
def _gislr(shared_data, split, **kw):
    root = shared_data / 'gislr'
    return _build(type='GISLRDataset', ann_file=str(root / 'train_new_csv.csv'),
                  sign_map_file=str(root / 'sign_to_prediction_index_map.json'), split=split,
                  data_prefix=dict(pose=str(root)), **kw)


def test_gislr_counts_classes_and_participant_split(shared_data):
    train, val, every = (_gislr(shared_data, s) for s in ('train', 'val', 'all'))
    assert (len(train), len(val), len(every)) == (594, 153, 747)
    train_p = {d['signer_id'] for d in _infos(train)}
    val_p = {d['signer_id'] for d in _infos(val)}
    assert val_p == {53618, 55372, 61333, 62590} and len(train_p) == 17 and not train_p & val_p
    classes = every.metainfo['classes']
    assert len(classes) == 250 and classes[0] == 'TV'
    assert {classes[d['label']] for d in _infos(every)} == {'hello', 'thankyou'}
    info = every.get_data_info(0)
    assert info == dict(info, video_path='', label=classes.index('thankyou'), signer_id=30680,
                        sample_id='1005102931', frame_start=0, frame_end=-1,
                        pose_path=str(shared_data / 'gislr/train_landmark_files/30680/1005102931.parquet'))
    rooted = _build(type='GISLRDataset', data_root=str(shared_data / 'gislr'), ann_file='train_new_csv.csv',
                    sign_map_file=str(shared_data / 'gislr' / 'sign_to_prediction_index_map.json'),
                    data_prefix=dict(pose=''), split='all')
    assert rooted.get_data_info(0) == dict(info, sample_idx=0)  # no made-up video folder under data_root
    custom = _gislr(shared_data, 'val', val_participants=[30680])
    assert {d['signer_id'] for d in _infos(custom)} == {30680} and len(custom) == 31


def test_gislr_end_to_end_through_load_pose(shared_data):
    if 'gislr_parquet' not in pose_format_names():
        pytest.skip("the 'gislr_parquet' pose reader is not registered yet")
    pipelines = Config.fromfile(str(REPO / 'configs' / '_base_' / 'datasets' / 'sign_pipelines.py'))
    ds = _gislr(shared_data, 'all', pipeline=pipelines.test_pipeline_pose)
    present = [i for i, d in enumerate(_infos(ds)) if osp.isfile(d['pose_path'])]
    assert len(present) == 4  # of the 5 real parquet files, 16069/10042041 is not in the 747 rows
    for i in present:
        pose = np.asarray(ds[i]['inputs']['pose'][0])
        assert pose.shape[0] == 32 and pose.shape[2] == 3 and np.isfinite(pose).all()
        assert (pose[..., 2] > 0).any()


@pytest.mark.parametrize('text, problem', [
    ('path,participant,sequence_id,sign\n', 'expected the header'),
    ('path,participant_id,sequence_id,sign\na.parquet,7,1\n', r'train.csv:2: expected'),
    ('path,participant_id,sequence_id,sign\na.parquet,x,1,hello\n', r'train.csv:2: expected'),
    ('path,participant_id,sequence_id,sign\na.parquet,7,1,hello\nb.parquet,7,2,goodbye\n',
     r"train.csv:3: sign 'goodbye' is not in"),
    ('path,participant_id,sequence_id,sign\na.parquet,7,1,hello\n', "no row of split 'val'")])
def test_gislr_bad_csv_names_the_line(tmp_path, text, problem):
    (tmp_path / 'train.csv').write_text(text)
    (tmp_path / 'map.json').write_text('{"hello": 0, "thankyou": 1}')
    with pytest.raises(ValueError, match=problem):
        _build(type='GISLRDataset', ann_file=str(tmp_path / 'train.csv'),
               sign_map_file=str(tmp_path / 'map.json'), split='val', val_participants=[8],
               data_prefix=dict(pose=str(tmp_path)))


def test_gislr_rejects_video_prefix_and_bad_split(tmp_path):
    with pytest.raises(ValueError, match='GISLR has no video'):
        _build(type='GISLRDataset', ann_file='x.csv', sign_map_file='m.json',
               data_prefix=dict(video='v', pose='p'))
    with pytest.raises(ValueError, match='split must be one of'):
        _build(type='GISLRDataset', ann_file='x.csv', sign_map_file='m.json', split='test',
               data_prefix=dict(pose='p'))


# -------------------------------------------------------------------------------------------- INCLUDE
INCLUDE_SIZES = dict(include=(3127, 348, 817), include50=(689, 77, 192))


def _include(shared_data, name, split, **kw):
    root = shared_data / 'include'
    return _build(type='INCLUDEDataset', ann_file=str(root / f'{name}_{split}.txt'),
                  label_map_file=str(root / f'label_map_{name}.json'),
                  data_prefix=dict(video='videos', pose='poses'), **kw)


@pytest.mark.parametrize('name, num_classes', [('include', 263), ('include50', 50)])
def test_include_counts_and_every_gloss_folder_in_the_map(shared_data, name, num_classes):
    labels = set()
    for split, expected in zip(('train', 'val', 'test'), INCLUDE_SIZES[name]):
        ds = _include(shared_data, name, split)
        assert len(ds) == expected
        assert len(ds.metainfo['classes']) == num_classes
        labels |= {d['label'] for d in _infos(ds)}
    assert labels == set(range(num_classes))  # every gloss of the map is used


def test_include_sample_fields_and_gloss_keys(shared_data):
    ds = _include(shared_data, 'include', 'train')
    info = {d['sample_id']: d for d in _infos(ds)}
    first = info['Seasons/63. Winter/MVI_4997']
    assert first['video_path'] == 'videos/Seasons/63. Winter/MVI_4997.MOV'
    assert first['pose_path'] == 'poses/Seasons/63. Winter/MVI_4997.pkl'
    assert ds.metainfo['classes'][first['label']] == 'winter' and first['signer_id'] == -1
    # An 'Extra/' subfolder keeps the gloss of its <n>. <Gloss> folder.
    extra = info['Places/19. House/Extra/MVI_3439']
    assert ds.metainfo['classes'][extra['label']] == 'house'
    assert [gloss_key(f) for f in ('16. train ticket', '42. T-Shirt', '46. you (plural)', 'Second (Number)',
                                   'Ex. Monsoon')] == ['trainticket', 'tshirt', 'youplural', 'secondnumber',
                                                       'exmonsoon']


def test_include_excluding_the_include50_eval_clips(shared_data):
    root = shared_data / 'include'
    ds = _include(shared_data, 'include', 'train',
                  exclude_lists=[str(root / 'include50_val.txt'), str(root / 'include50_test.txt')])
    # 59 of INCLUDE-50 val and 145 of its test clips are in INCLUDE's train list.
    assert len(ds) == 3127 - 59 - 145
    held_out = set((root / 'include50_test.txt').read_text().splitlines())
    assert not held_out & {d['video_path'][len('videos/'):] for d in _infos(ds)}


def _include_tmp(tmp_path, **kw):
    return _build(type='INCLUDEDataset', ann_file=str(tmp_path / 'list.txt'),
                  label_map_file=str(tmp_path / 'map.json'), **kw)


@pytest.mark.parametrize('text, problem', [
    ('Animals/1. Dog/a.MOV\nAnimals/2. Cat/b.MOV',
     r"list.txt:2: gloss folder '2. Cat' \(key 'cat'\) is not in"),
    ('Animals/1. Dog/a.MOV\n\nDog/a.MOV', r'list.txt:3: expected "<category>/<n>. <Gloss>/<file>"'),
    ('Animals//a.MOV', r'list.txt:1: expected'),
    ('\n  \n', 'names no clip')])
def test_include_bad_list_names_the_line(tmp_path, text, problem):
    (tmp_path / 'list.txt').write_text(text)
    (tmp_path / 'map.json').write_text('{"dog": 0}')
    with pytest.raises(ValueError, match=problem):
        _include_tmp(tmp_path)


def test_include_bad_label_map_and_missing_exclude_list(tmp_path):
    (tmp_path / 'list.txt').write_text('Animals/1. Dog/a.MOV')
    for bad in ('{"dog": 1}', '{"dog": 0, "cat": true}', '["dog"]'):
        (tmp_path / 'map.json').write_text(bad)
        with pytest.raises(ValueError, match=r'map.json: expected \{gloss: id\}'):
            _include_tmp(tmp_path)
    (tmp_path / 'map.json').write_text('{"dog": 0}')
    with pytest.raises(FileNotFoundError, match='exclude list .*nope.txt not found'):
        _include_tmp(tmp_path, exclude_lists=[str(tmp_path / 'nope.txt')])
