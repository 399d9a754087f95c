"""Kaggle GISLR landmark parquet files (cclslr/fileio/pose_formats/gislr_parquet.py): the five real
sequences with exact counts and geometry, and malformed files built from a real one."""
import glob
import os.path as osp

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cclslr.fileio import read_pose

# sequence -> (frames, frames with the left hand, frames with the right hand), counted in the files
REAL = {'16069/10042041': (105, 6, 0), '30680/1005102931': (10, 0, 6), '36257/2516472710': (13, 12, 0),
        '53618/4076224829': (6, 0, 6), '62590/1031693648': (17, 0, 8)}


def _path(shared_data, seq):
    return osp.join(shared_data, 'gislr', 'train_landmark_files', seq + '.parquet')


@pytest.mark.parametrize('seq', sorted(REAL))
def test_real_sequences(shared_data, seq):
    pose = read_pose(_path(shared_data, seq))
    frames, left, right = REAL[seq]
    k, s = pose.keypoints, pose.scores
    assert pose.num_frames == frames and pose.unit == 'normalized' and pose.image_size is None
    assert int((s[:, 91] > 0).sum()) == left and int((s[:, 112] > 0).sum()) == right
    assert ((s[:, 91:112] > 0).any(-1) == (s[:, 91:112] > 0).all(-1)).all()  # a hand is whole or absent
    body = (s[:, [0, 5, 6]] > 0).all(-1)
    assert body.all() and (k[:, 0, 1] < k[:, 5:7, 1].min(-1)).all()  # nose above the shoulders
    for wrist, root in ((9, 91), (10, 112)):  # the seen hand's root is at the body's wrist
        seen = (s[:, wrist] > 0) & (s[:, root] > 0)
        if seen.any():
            assert np.median(np.linalg.norm(k[seen, wrist] - k[seen, root], axis=-1)) < 0.07


def test_all_five_files_are_found(shared_data):
    root = osp.join(shared_data, 'gislr', 'train_landmark_files')
    files = glob.glob(osp.join(root, '*', '*.parquet'))
    assert sorted(osp.relpath(f, root)[:-len('.parquet')] for f in files) == sorted(REAL)


@pytest.fixture
def small_table(shared_data):
    """The first 3 frames of a real sequence (frames 19-21)."""
    table = pq.read_table(_path(shared_data, '53618/4076224829'))
    return table.slice(0, 3 * 543)


def _write(table, path):
    pq.write_table(table, str(path))
    return str(path)


def _with(table, name, values):
    i = table.column_names.index(name)
    return table.set_column(i, table.schema.field(i), pa.array(values, type=table.schema.field(i).type))


def test_malformed_files_are_named(small_table, tmp_path):
    ref = read_pose(_write(small_table, tmp_path / 'ok.parquet'))
    assert ref.num_frames == 3
    with pytest.raises(ValueError, match=r'short.parquet: 1628 rows is not a whole number of frames of 543'):
        read_pose(_write(small_table.slice(0, 1628), tmp_path / 'short.parquet'))
    with pytest.raises(ValueError, match=r"nocol.parquet: not a GISLR landmark file: no column\(s\) \['z'\]"):
        read_pose(_write(small_table.drop(['z']), tmp_path / 'nocol.parquet'))
    types = small_table.column('type').to_pylist()
    types[543 + 470], types[543 + 480] = 'pose', 'left_hand'  # rows swapped inside frame 20
    with pytest.raises(ValueError, match=r'types.parquet: frame 20, row 1013: got \(pose, 2\), expected '
                                         r'\(left_hand, 2\)'):
        read_pose(_write(_with(small_table, 'type', types), tmp_path / 'types.parquet'))
    index = small_table.column('landmark_index').to_pylist()
    index[5] = 500
    with pytest.raises(ValueError, match=r'index.parquet: frame 19, row 5: got \(face, 500\)'):
        read_pose(_write(_with(small_table, 'landmark_index', index), tmp_path / 'index.parquet'))
    frame = small_table.column('frame').to_numpy().copy()
    frame[543:1086], frame[1086:] = 21, 20  # frames 19, 21, 20
    with pytest.raises(ValueError, match=r'order.parquet: frames not in increasing order \(frame 20 after'):
        read_pose(_write(_with(small_table, 'frame', frame), tmp_path / 'order.parquet'))
    frame[:543] = 20  # frames 20, 21, 20 ... and a frame that mixes numbers
    frame[10] = 19
    with pytest.raises(ValueError, match=r'mixed.parquet: frame 0 .* mixes frame numbers \[19, 20\]'):
        read_pose(_write(_with(small_table, 'frame', frame), tmp_path / 'mixed.parquet'))


def test_a_gap_keeps_the_frames_in_order_and_warns(small_table, tmp_path):
    frame = small_table.column('frame').to_numpy().copy()
    frame[1086:] = 25  # frames 19, 20, 25
    path = _write(_with(small_table, 'frame', frame), tmp_path / 'gap.parquet')
    with pytest.warns(UserWarning, match=r'gap.parquet: 4 frame numbers missing between 19 and 25; the 3 '
                                         r'present frames are kept in order'):
        pose = read_pose(path)
    ref = read_pose(_write(small_table, tmp_path / 'ok.parquet'))
    np.testing.assert_array_equal(pose.keypoints, ref.keypoints)


def test_zero_landmarks_are_missing(small_table, tmp_path):
    x = small_table.column('x').to_numpy().copy()
    y = small_table.column('y').to_numpy().copy()
    z = small_table.column('z').to_numpy().copy()
    rows = slice(489, 522)  # the body of frame 19 stored as zeros
    x[rows] = y[rows] = z[rows] = 0
    table = _with(_with(_with(small_table, 'x', x), 'y', y), 'z', z)
    pose = read_pose(_write(table, tmp_path / 'zeros.parquet'))
    assert (pose.scores[0, :17] == 0).all() and (pose.scores[1, :17] == 1).all()
    assert (read_pose(str(tmp_path / 'zeros.parquet'), zero_as_missing=False).scores[0, :17] == 1).all()


def test_empty_frame_numbers_are_refused(small_table, tmp_path):
    frame = small_table.column('frame').to_pylist()
    frame[600] = None
    with pytest.raises(ValueError, match="nulls.parquet: column 'frame' has 1 empty values"):
        read_pose(_write(_with(small_table, 'frame', frame), tmp_path / 'nulls.parquet'))
