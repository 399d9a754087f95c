"""MediaPipe Holistic arrays in the layouts people save (cclslr/fileio/pose_formats/mediapipe.py):
each layout from arrays with round numbers, the ambiguous widths' errors, the zero-as-missing rule, the
(T, 543, C) order check on a real GISLR sequence, npz metadata, and LoadPose's reader_options."""
import glob
import os.path as osp
import warnings

import numpy as np
import pytest

from cclslr.datasets.transforms import LoadPose
from cclslr.fileio import read_pose
from cclslr.fileio.pose_formats.mediapipe import layout_names

T = 4


def _parts(c):
    """pose x = 0.10 + i/100, y = 0.20 + t/100; left hand x = 0.50 + i/100; right hand x = 0.75 + i/100;
    z = 0.5; pose visibility 0.75 (hands 0, as MediaPipe leaves it)."""
    def part(n, x0, vis):
        a = np.zeros((T, n, 4), np.float32)
        a[..., 0] = x0 + np.arange(n) / 100
        a[..., 1] = 0.20 + np.arange(T)[:, None] / 100
        a[..., 2] = 0.5
        a[..., 3] = vis
        return a[..., :c]
    return dict(pose=part(33, 0.10, 0.75), left_hand=part(21, 0.50, 0.0), right_hand=part(21, 0.75, 0.0))


def _save(tmp_path, name, arr):
    path = str(tmp_path / name)
    np.save(path, arr)
    return path


def _check_pose_hands(pose, c):
    k, s = pose.keypoints, pose.scores
    assert k.shape == (T, 133, 2) and pose.unit == 'normalized'
    np.testing.assert_allclose(k[:, 9], [[0.25, 0.20 + t / 100] for t in range(T)], atol=1e-6)  # L wrist: 15
    np.testing.assert_allclose(k[:, 91, 0], 0.50)          # left hand root
    np.testing.assert_allclose(k[:, 132, 0], 0.75 + 0.20)  # right pinky tip (hand point 20)
    assert np.allclose(s[:, :17], 0.75 if c == 4 else 1.0)  # pose visibility is the body score
    assert (s[:, 91:] == 1).all() and (s[:, 23:91] == 0).all() and (s[:, [18, 21]] == 0).all()


@pytest.mark.parametrize('c', [2, 3, 4])
def test_pose_hands_75_and_hands_42(tmp_path, c):
    p = _parts(c)
    arr = np.concatenate([p['pose'], p['left_hand'], p['right_hand']], axis=1)
    pose = read_pose(_save(tmp_path, 'ph.npy', arr))
    _check_pose_hands(pose, c)
    assert pose.image_size is None and pose.fps is None
    hands = read_pose(_save(tmp_path, 'h.npy', arr[:, 33:]))
    assert (hands.scores[:, :91] == 0).all() and (hands.scores[:, 91:] == 1).all()
    np.testing.assert_allclose(hands.keypoints[:, 112, 0], 0.75)
    flat = arr.reshape(T, -1)
    name = {2: 'pose_hands_xy', 3: 'pose_hands_xyz', 4: 'pose_hands_xyzv'}[c]
    if c == 2:  # (T, 150): 75 x 2 or 50 x 3 ... needs the layout
        with pytest.raises(ValueError, match=r"flat \(4, 150\) array \(it fits pose_hands_xy.*known layouts: "
                                             r"kaggle_543, holistic_543, pose_hands, hands"):
            read_pose(_save(tmp_path, 'flat.npy', flat))
    else:  # (T, 225) and (T, 300) are read as they are
        _check_pose_hands(read_pose(_save(tmp_path, 'flat.npy', flat)), c)
    _check_pose_hands(read_pose(_save(tmp_path, 'flat.npy', flat), layout=name), c)


def test_ambiguous_and_wrong_layouts_are_refused_with_the_list(tmp_path):
    p = _parts(3)
    hands = np.concatenate([p['left_hand'], p['right_hand']], axis=1).reshape(T, 126)
    path = _save(tmp_path, 'hands126.npy', hands)
    with pytest.raises(ValueError, match=r'hands126.npy: cannot tell the MediaPipe layout of a flat '
                                         r'\(4, 126\) array \(it fits hands_xyz, but other tools'):
        read_pose(path)
    pose = read_pose(path, layout='hands_xyz')
    np.testing.assert_allclose(pose.keypoints[:, 91:96, 0], [[0.50, 0.51, 0.52, 0.53, 0.54]] * T)
    assert (pose.scores[:, :91] == 0).all()
    with pytest.raises(ValueError, match=r"layout 'pose_hands' with 3 values per point needs \(T, 225\)"):
        read_pose(path, layout='pose_hands_xyz')
    with pytest.raises(ValueError, match="needs the coordinates in the layout name, e.g. layout='hands_xyz'"):
        read_pose(path, layout='hands')
    with pytest.raises(ValueError, match="unknown MediaPipe layout 'hand_xyz'; known layouts"):
        read_pose(path, layout='hand_xyz')
    with pytest.raises(ValueError, match=r'cannot tell the MediaPipe layout of a \(4, 50, 3\) array'):
        read_pose(_save(tmp_path, 'p50.npy', np.zeros((T, 50, 3))))
    assert 'pose_hands_xyzv' in layout_names() and 'holistic_543' in layout_names()


def test_zero_rows_are_missing_and_many_zeros_warn(tmp_path):
    p = _parts(3)
    p['pose'][2] = 0           # a whole frame of the body stored as zeros ("not detected")
    p['left_hand'][1, 5] = 0   # one point
    arr = np.concatenate([p['pose'], p['left_hand'], p['right_hand']], axis=1)
    path = _save(tmp_path, 'zeros.npy', arr)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # 38 of 300 points: no warning
        pose = read_pose(path)
    assert (pose.scores[2, :17] == 0).all() and (pose.scores[[0, 1, 3], :17] == 1).all()
    assert pose.scores[1, 96] == 0 and pose.scores[0, 96] == 1 and (pose.keypoints[2, :17] == 0).all()
    kept = read_pose(path, zero_as_missing=False)
    assert (kept.scores[2, :17] == 1).all() and kept.scores[1, 96] == 1
    arr[:3] = 0  # 3 of 4 frames all-zero
    with pytest.warns(UserWarning, match=r'mostly_zero.npy: 225 of 300 present landmarks are exactly 0'):
        assert (read_pose(_save(tmp_path, 'mostly_zero.npy', arr)).scores[:3] == 0).all()


def test_npz_parts_single_array_and_image_size(tmp_path):
    p = _parts(4)
    np.savez(tmp_path / 'parts.npz', **p, width=np.int64(1280), height=np.int64(720), fps=np.float64(29.97))
    pose = read_pose(str(tmp_path / 'parts.npz'))
    _check_pose_hands(pose, 4)
    assert pose.image_size == (1280, 720) and pose.fps == pytest.approx(29.97)
    arr = np.concatenate([p['pose'], p['left_hand'], p['right_hand']], axis=1).reshape(T, 300)
    np.savez(tmp_path / 'one.npz', arr, width=640, height=480)  # np.savez names it arr_0
    one = read_pose(str(tmp_path / 'one.npz'))
    _check_pose_hands(one, 4)
    assert one.image_size == (640, 480) and one.fps is None
    np.savez(tmp_path / 'badsize.npz', **p, width=0.5, height=720)
    with pytest.raises(ValueError, match='badsize.npz: width must be a positive whole number'):
        read_pose(str(tmp_path / 'badsize.npz'))
    np.savez(tmp_path / 'two.npz', a=arr, b=arr)
    with pytest.raises(ValueError, match=r"two.npz: an npz needs the parts .* or exactly one landmark array"):
        read_pose(str(tmp_path / 'two.npz'))


def _gislr_arrays(shared_data, i=0):
    """Real GISLR sequence ``i`` as (T, 543, 3) in the Kaggle order and re-ordered to the Holistic order."""
    path = sorted(glob.glob(osp.join(shared_data, 'gislr', 'train_landmark_files', '*', '*.parquet')))[i]
    import pyarrow.parquet as pq
    table = pq.read_table(path)
    kaggle = np.stack([table.column(c).to_numpy() for c in 'xyz'], -1).reshape(-1, 543, 3)
    holistic = kaggle[:, np.r_[489:522, 0:468, 468:489, 522:543]]  # pose, face, left hand, right hand
    return path, kaggle, holistic


@pytest.mark.parametrize('i', range(5))
def test_543_order_is_checked_on_a_real_sequence(shared_data, tmp_path, i):
    path, kaggle, holistic = _gislr_arrays(shared_data, i)
    ref = read_pose(path)  # the parquet reader: types named per row, no guess
    got = read_pose(_save(tmp_path, 'kaggle.npy', kaggle))
    np.testing.assert_array_equal(got.keypoints, ref.keypoints)
    np.testing.assert_array_equal(got.scores, ref.scores)
    wrong = _save(tmp_path, 'holistic.npy', holistic)
    with pytest.raises(ValueError, match=r"holistic.npy: \(T, 543, C\) MediaPipe array: it looks like the "
                                         r"pose-format / Holistic order.*layout='kaggle_543'.*"
                                         r"layout='holistic_543'"):
        read_pose(wrong)
    explicit = read_pose(wrong, layout='holistic_543')
    np.testing.assert_array_equal(explicit.keypoints, ref.keypoints)
    np.testing.assert_array_equal(explicit.scores, ref.scores)
    # read in the wrong order, the left shoulder would be face-mesh point 467: joints really move
    bad = read_pose(wrong, layout='kaggle_543')
    seen = (ref.scores[:, 5] > 0) & (bad.scores[:, 5] > 0)
    assert seen.any()
    assert np.linalg.norm(bad.keypoints[seen, 5] - ref.keypoints[seen, 5], axis=-1).min() > 0.05
    # random numbers satisfy neither MediaPipe fact: refused, never guessed
    with pytest.raises(ValueError, match='the order cannot be told from the data'):
        read_pose(_save(tmp_path, 'random.npy', np.random.default_rng(0).random((5, 543, 3))))


def test_1662_tutorial_vector(shared_data, tmp_path):
    path, kaggle, _ = _gislr_arrays(shared_data)
    face, lh, pose, rh = kaggle[:, :468], kaggle[:, 468:489], kaggle[:, 489:522], kaggle[:, 522:]
    vis = np.ones(pose.shape[:2] + (1,))
    n = len(kaggle)
    vec = np.concatenate([np.concatenate([pose, vis], -1).reshape(n, -1), face.reshape(n, -1),
                          lh.reshape(n, -1), rh.reshape(n, -1)], axis=1)
    assert vec.shape[1] == 1662
    got, ref = read_pose(_save(tmp_path, 'vec.npy', vec)), read_pose(path)
    np.testing.assert_array_equal(got.keypoints, ref.keypoints)
    np.testing.assert_array_equal(got.scores, ref.scores)


def test_load_pose_passes_reader_options(tmp_path):
    p = _parts(3)
    hands = np.concatenate([p['left_hand'], p['right_hand']], axis=1).reshape(T, 126)
    path = _save(tmp_path, 'hands.npy', hands)
    sample = dict(pose_path=path, frame_start=0, frame_end=-1)
    with pytest.raises(ValueError, match='hands.npy: cannot tell the MediaPipe layout'):
        LoadPose()(dict(sample))
    out = LoadPose(reader_options=dict(layout='hands_xyz'))(dict(sample))
    assert out['clip_keypoints'].shape == (T, 133, 2) and out['total_frames'] == T
    assert (out['clip_keypoint_scores'][:, 91:] == 1).all()
