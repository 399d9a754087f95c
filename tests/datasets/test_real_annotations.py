"""The benchmark readers against the real annotation files of ../shared/data (skipped when absent)."""
import json

import pytest

from cclslr.registry import DATASETS
from cclslr.utils import register_all_modules

register_all_modules()

WLASL_SIZES = {100: (1442, 338, 258), 300: (3549, 900, 668), 1000: (8974, 2318, 1876),
               2000: (14289, 3916, 2878)}
MSASL_SIZES = {100: (3790, 1190, 757), 200: (6321, 2041, 1359), 500: (11403, 3702, 2720),
               1000: (16054, 5287, 4172)}


def _wlasl(shared_data, subset, split):
    return DATASETS.build(dict(type='WLASLDataset', ann_file=str(shared_data / 'wlasl' / 'WLASL_v0.3.json'),
                               subset=subset, split=split, data_prefix=dict(video='videos', pose='poses')))


@pytest.mark.parametrize('subset', sorted(WLASL_SIZES))
def test_wlasl_split_sizes_and_labels(shared_data, subset):
    for split, expected in zip(('train', 'val', 'test'), WLASL_SIZES[subset]):
        ds = _wlasl(shared_data, subset, split)
        assert len(ds) == expected
        labels = {ds.get_data_info(i)['label'] for i in range(len(ds))}
        assert min(labels) == 0 and max(labels) == subset - 1
        assert len(ds.metainfo['classes']) == subset
    assert len(_wlasl(shared_data, subset, ['train', 'val'])) == sum(WLASL_SIZES[subset][:2])


def test_wlasl_frame_range_and_quirks(shared_data):
    ds = _wlasl(shared_data, 2000, ['train', 'val', 'test'])
    info = {ds.get_data_info(i)['sample_id']: ds.get_data_info(i) for i in range(len(ds))}
    raw = json.loads((shared_data / 'wlasl' / 'WLASL_v0.3.json').read_text())
    inst = next(i for g in raw for i in g['instances'] if i['frame_end'] != -1)
    s = info[inst['video_id']]
    # 1-based inclusive [frame_start, frame_end] -> 0-based [start, end).
    assert (s['frame_start'], s['frame_end']) == (inst['frame_start'] - 1, inst['frame_end'])
    assert info['69241'] == dict(info['69241'], frame_start=0, frame_end=-1, signer_id=118, label=0,
                                 video_path='videos/69241.mp4', pose_path='poses/69241.pkl')
    # nslt files hold ids that are in no version of the json: they are not samples.
    nslt = json.loads((shared_data / 'wlasl' / 'nslt_2000.json').read_text())
    assert set(nslt) - set(info), 'expected the known stray nslt ids'
    # The class list's typo ('losear' for label 163) does not leak: classes come from the json.
    classes = ds.metainfo['classes']
    assert classes[163] == 'lose' and 'losear' not in classes
    # The manifest's labels match the gloss order of the json.
    for line in (shared_data / 'videos' / 'manifest.csv').read_text().splitlines()[1:]:
        vid, gloss, label = line.split(',')[0], line.split(',')[8], int(line.split(',')[9])
        assert info[vid]['label'] == label and classes[label] == gloss


def test_wlasl_rejects_bad_config(shared_data):
    with pytest.raises(ValueError, match='subset'):
        _wlasl(shared_data, 150, 'train')
    with pytest.raises(ValueError, match='split'):
        _wlasl(shared_data, 100, 'training')


@pytest.mark.parametrize('subset', sorted(MSASL_SIZES))
def test_msasl_split_sizes_and_labels(shared_data, subset):
    for split, expected in zip(('train', 'val', 'test'), MSASL_SIZES[subset]):
        ann = str(shared_data / 'msasl' / f'MSASL_{split}.json')
        ds = DATASETS.build(dict(type='MSASLDataset', ann_file=ann, subset=subset))
        assert len(ds) == expected
        labels = [ds.get_data_info(i)['label'] for i in range(len(ds))]
        assert min(labels) == 0 and max(labels) == subset - 1


def test_msasl_ids_boxes_and_quirks(shared_data):
    ann = str(shared_data / 'msasl' / 'MSASL_train.json')
    ds = DATASETS.build(dict(type='MSASLDataset', ann_file=ann, subset=1000, crop_to_box=True,
                             video_layout='youtube', data_prefix=dict(video='yt')))
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    first = infos[0]
    assert first['sample_id'] == 'C37R_Ix8-qs_0_83' and first['video_path'] == 'yt/C37R_Ix8-qs.mp4'
    assert (first['frame_start'], first['frame_end']) == (0, 83) and first['crop_to_box'] is True
    # box [y0, x0, y1, x1] in the json -> [x0, y0, x1, y1].
    assert first['box'] == pytest.approx([0.21637457, 0.05754462, 0.73008442, 1.0])
    # Rows listed twice in the official file keep both copies with unique ids.
    assert sum(i['sample_id'].endswith('_dup1') for i in infos) > 0
    assert len({i['sample_id'] for i in infos}) == len(infos) == 16054
    # The one zero-length row (start == end) becomes a one-frame clip.
    zero = next(i for i in infos if i['sample_id'].startswith('xfVNJxKWqeg_4007_'))
    assert (zero['frame_start'], zero['frame_end']) == (4007, 4008)
    clip = DATASETS.build(dict(type='MSASLDataset', ann_file=ann, subset=100, data_prefix=dict(video='c')))
    info = clip.get_data_info(0)
    assert info['video_path'] == f'c/{info["sample_id"]}.mp4' and info['frame_end'] == -1
