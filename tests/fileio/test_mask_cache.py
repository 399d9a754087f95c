"""The MPM mask cache: bit-packed round trip, missing masks, and corrupt or outdated files named."""
import numpy as np
import pytest

from cclslr.fileio import CACHE_VERSION, load_mask, mask_path, save_mask


def test_round_trip_and_layout(tmp_path):
    mask = np.random.default_rng(0).random((5, 7, 13)) < 0.5  # a width that is not a multiple of 8
    path = save_mask(str(tmp_path), 'wlasl/00001', mask)
    assert path == mask_path(str(tmp_path), 'wlasl/00001') == str(tmp_path / 'wlasl' / '00001.npz')
    np.testing.assert_array_equal(load_mask(str(tmp_path), 'wlasl/00001'), mask)
    with np.load(path, allow_pickle=False) as f:
        assert f['packed'].shape == (5, 7, 2) and f['shape'].tolist() == [5, 7, 13]
        assert int(f['version']) == CACHE_VERSION
    assert sorted(p.name for p in (tmp_path / 'wlasl').iterdir()) == ['00001.npz']
    assert load_mask(str(tmp_path), 'absent') is None


def test_bad_files_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"mask for 'x' must be \(T, H, W\)"):
        save_mask(str(tmp_path), 'x', np.ones((4, 4), bool))
    (tmp_path / 'corrupt.npz').write_bytes(b'not a zip')
    with pytest.raises(ValueError, match='corrupt.npz: unreadable mask cache file'):
        load_mask(str(tmp_path), 'corrupt')
    np.savez(tmp_path / 'old.npz', packed=np.zeros((1, 1, 1), np.uint8), shape=np.array([1, 1, 1]),
             version=np.int64(CACHE_VERSION + 1))
    with pytest.raises(ValueError, match='old.npz: mask cache version 2, expected 1'):
        load_mask(str(tmp_path), 'old')
