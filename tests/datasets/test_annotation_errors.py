"""Annotation files the fuzz suite (tests/fileio/test_fuzz.py) found read wrongly before the fixes: each
is now an error naming the file (and the entry), not a bare KeyError/TypeError or a silently wrong sample."""
import json

import pytest

from cclslr.registry import DATASETS


def _wlasl(video_id=None, **inst):
    inst = dict(dict(frame_start=1, frame_end=-1, split='train', video_id='00001', signer_id=3), **inst)
    if video_id is not None:
        inst['video_id'] = video_id
    return [dict(gloss='book', instances=[inst])]


def _build(path, **cfg):
    return DATASETS.build(dict(cfg, ann_file=str(path), pipeline=[]))


@pytest.mark.parametrize('glosses, problem', [
    (_wlasl(video_id=[1, 2]), 'instance 0: TypeError: video_id must be str'),
    (_wlasl(video_id=True), 'video_id must be str'),
    (_wlasl(frame_end=[1, 2]), 'frame_end must be int'),
    (_wlasl(frame_start=True), 'frame_start must be int'),
    ([dict(instances=[])], "gloss 0: KeyError: 'gloss'"),
    ({'gloss': 'book'}, 'must be a list of glosses'),
    (_wlasl(split='val'), 'no instance of split')])
def test_wlasl_wrong_field_names_the_file(tmp_path, glosses, problem):
    path = tmp_path / 'WLASL_v0.3.json'
    path.write_text(json.dumps(glosses))
    with pytest.raises(ValueError, match=problem) as err:
        _build(path, type='WLASLDataset', subset=None)
    assert str(path) in str(err.value)


@pytest.mark.parametrize('change, problem', [
    (dict(box=[0.1, float('nan'), 0.9, 1.0]), 'box must be 4 numbers'),
    (dict(box=[0.1, 0.2, 0.9, 1e308]), 'box must be 4 numbers'),
    (dict(label=True), 'label must be int'), (dict(label=3.5), 'label must be int'),
    (dict(url=None), 'url must be str')])
def test_msasl_wrong_field_names_the_file(tmp_path, change, problem):
    row = dict(label=3, url='https://www.youtube.com/watch?v=ri3NrdgfAtE', start=0, end=30, signer_id=1,
               box=[0.1, 0.2, 0.9, 1.0])
    path = tmp_path / 'MSASL_val.json'
    path.write_text(json.dumps([dict(row, **change)]))
    with pytest.raises(ValueError, match=problem) as err:
        _build(path, type='MSASLDataset', subset=100)
    assert str(path) in str(err.value)


@pytest.mark.parametrize('payload, problem', [
    (b'a.mp4 1\n\xff\xfe 2\n', 'not UTF-8'), (b'', 'names no clip'),
    (b'# only a comment\n', 'names no clip')])
def test_list_file_unreadable_or_empty_names_the_file(tmp_path, payload, problem):
    path = tmp_path / 'list.txt'
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=problem) as err:
        _build(path, type='SignListDataset')
    assert str(path) in str(err.value)
