"""Inputs the fuzz suite (test_fuzz.py) found wrong before the fixes, pinned one by one: each reader now
raises an error that names the file instead of a bare numpy/json error or a silently wrong result."""
import pickle

import numpy as np
import pytest

from cclslr.fileio import PoseData, load_mask, read_pose, save_mask, write_pose


@pytest.fixture
def unisign(tmp_path):
    path = str(tmp_path / 'clip.pkl')
    write_pose(path, PoseData(np.zeros((4, 133, 2)), np.ones((4, 133)), image_size=(640, 480), fps=25.0))
    return path


@pytest.mark.parametrize('key, value, problem', [
    ('fps', float('nan'), 'fps must be a positive number'), ('fps', 0, 'fps must be'),
    ('fps', -float('inf'), 'fps must be'), ('width', -1, 'width must be a positive whole number'),
    ('height', 0, 'height must be'), ('width', 3.5, 'width must be'), ('width', True, 'width must be')])
def test_unisign_bad_size_or_fps_is_an_error(unisign, key, value, problem):
    with open(unisign, 'rb') as f:
        data = pickle.load(f)
    data[key] = value
    with open(unisign, 'wb') as f:
        pickle.dump(data, f)
    with pytest.raises(ValueError, match=problem) as err:
        read_pose(unisign)
    assert unisign in str(err.value)


def test_unisign_integral_float_size_still_reads(unisign):
    with open(unisign, 'rb') as f:
        data = pickle.load(f)
    data.update(width=640.0, height=480.0)  # a producer that stored floats
    with open(unisign, 'wb') as f:
        pickle.dump(data, f)
    assert read_pose(unisign).image_size == (640, 480)


@pytest.mark.parametrize('packed, shape, problem', [
    (np.zeros((10, 12, 3), np.int8), (10, 12, 20), 'holds int8 bits'),
    (np.zeros((12, 10, 3), np.uint8), (10, 12, 20), 'holds uint8 bits of shape'),
    (np.zeros((10, 12, 3), np.uint8), (10, 12), 'shape must be'),
    (np.zeros((10, 12, 3), np.uint8), (10, -12, 20), 'shape must be')])
def test_mask_cache_disagreeing_bits_are_an_error(tmp_path, packed, shape, problem):
    path = save_mask(str(tmp_path), 'clip', np.ones((10, 12, 20), bool))
    np.savez(path, packed=packed, shape=np.asarray(shape, np.int64), version=np.int64(1))
    with pytest.raises(ValueError, match=problem) as err:
        load_mask(str(tmp_path), 'clip')
    assert path in str(err.value)
