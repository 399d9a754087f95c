"""Pose files: the PoseData contract, the format registry, and the Uni-Sign / MMPose / MediaPipe formats."""
import json
import pickle

import numpy as np
import pytest

from cclslr.fileio import (PoseData, pose_format_names, pose_format_of, read_pose, register_pose_reader,
                           write_pose)
from cclslr.fileio import pose_files
from cclslr.fileio.pose_formats.mediapipe import MEDIAPIPE_APPROXIMATE, mediapipe_to_wholebody
from cclslr.fileio.pose_formats.mmpose import mmpose_to_wholebody


def _pose(t=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((t, 133, 2)).astype(np.float32), rng.random((t, 133)).astype(np.float32)


def test_unisign_file_is_the_uni_sign_layout_byte_for_byte(tmp_path):
    kpts, scores = _pose()
    path = str(tmp_path / 'sub' / 'p.pkl')
    write_pose(path, PoseData(kpts, scores, 'normalized', (64, 48), 25))
    expected = dict(keypoints=[k[None] for k in kpts], scores=[s[None] for s in scores], width=64, height=48,
                    fps=25)
    with open(path, 'rb') as f:
        assert f.read() == pickle.dumps(expected, protocol=pickle.HIGHEST_PROTOCOL)
    pose = read_pose(path)
    np.testing.assert_array_equal(pose.keypoints, kpts)
    np.testing.assert_array_equal(pose.scores, scores)
    assert (pose.unit, pose.image_size, pose.fps, pose.num_frames) == ('normalized', (64, 48), 25.0, 5)
    assert sorted(p.name for p in (tmp_path / 'sub').iterdir()) == ['p.pkl']  # no temporary left


def test_unisign_without_metadata_and_stacked_arrays(tmp_path):
    kpts, scores = _pose(3)
    path = tmp_path / 'stacked.pickle'
    path.write_bytes(pickle.dumps(dict(keypoints=kpts[:, None], scores=scores[:, None])))
    pose = read_pose(str(path))
    assert pose.image_size is None and pose.fps is None and pose.keypoints.shape == (3, 133, 2)


def test_malformed_files_are_named(tmp_path):
    bad = tmp_path / 'bad.pkl'
    bad.write_bytes(pickle.dumps(dict(keypoints=np.zeros((2, 10, 2)), scores=np.zeros((2, 10)))))
    with pytest.raises(ValueError, match=r'bad.pkl: keypoints/scores are not T x \(1, 133, 2\)'):
        read_pose(str(bad))
    bad.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(ValueError, match='bad.pkl: not a Uni-Sign pose file'):
        read_pose(str(bad))
    bad.write_bytes(b'\x80\x05garbage')
    with pytest.raises(ValueError, match='bad.pkl: unreadable pose pickle'):
        read_pose(str(bad))
    with pytest.raises(FileNotFoundError, match='nope.pkl: pose file not found'):
        read_pose(str(tmp_path / 'nope.pkl'))
    (tmp_path / 'p.txt').write_text('')
    with pytest.raises(ValueError, match=r"p.txt: cannot tell the pose format from the extension '.txt'"):
        read_pose(str(tmp_path / 'p.txt'))
    (tmp_path / 'broken.json').write_text('{not json')
    with pytest.raises(ValueError, match='broken.json: unreadable MMPose json'):
        read_pose(str(tmp_path / 'broken.json'))
    with pytest.raises(ValueError, match=r"pose format must be one of \('auto', .*'unisign'.*got 'xyz'"):
        read_pose(str(bad), format='xyz')


def test_pose_data_contract_is_checked():
    kpts, scores = _pose(2)
    with pytest.raises(ValueError, match=r'keypoints must be \(T, 133, 2\)'):
        PoseData(kpts[:, :10], scores)
    with pytest.raises(ValueError, match=r'scores must be \(T, 133\)'):
        PoseData(kpts, scores[:1])
    with pytest.raises(ValueError, match='unit must be one of'):
        PoseData(kpts, scores, unit='mm')
    pose = PoseData(kpts.astype(np.float64), scores)
    assert pose.keypoints.dtype == np.float32 and pose.unit == 'normalized'


def test_writer_refuses_pixel_keypoints_and_unknown_formats(tmp_path):
    kpts, scores = _pose(2)
    with pytest.raises(ValueError, match="p.pkl: Uni-Sign pose files hold keypoints in 0-1 .* 'pixel'"):
        write_pose(str(tmp_path / 'p.pkl'), PoseData(kpts * 100, scores, 'pixel'))
    with pytest.raises(ValueError, match="p.json: no writer for pose format 'mmpose'"):
        write_pose(str(tmp_path / 'p.json'), PoseData(kpts, scores), format='mmpose')
    assert not list(tmp_path.iterdir())


def test_registry_adds_a_format_with_one_function(tmp_path, monkeypatch):
    monkeypatch.setattr(pose_files, '_READERS', dict(pose_files._READERS))
    monkeypatch.setattr(pose_files, '_EXTENSIONS', dict(pose_files._EXTENSIONS))
    assert set(pose_format_names()) == {'unisign', 'mmpose', 'mediapipe', 'pose_format', 'gislr_parquet'}
    exts = ('.pkl', '.PICKLE', '.json', '.npz', '.npy', '.pose', '.parquet')
    assert [pose_format_of(f'a{e}') for e in exts] == \
        ['unisign', 'unisign', 'mmpose', 'mediapipe', 'mediapipe', 'pose_format', 'gislr_parquet']

    @register_pose_reader('csv', extensions=('.csv',))
    def read_csv(path, scale=1.0):
        values = np.loadtxt(path, delimiter=',', dtype=np.float32).reshape(-1, 133, 3)
        return PoseData(values[..., :2] * scale, values[..., 2], 'pixel')

    (tmp_path / 'p.csv').write_text(','.join(['2'] * 399))
    pose = read_pose(str(tmp_path / 'p.csv'), scale=3.0)
    assert pose.unit == 'pixel' and pose.keypoints.shape == (1, 133, 2) and (pose.keypoints == 6).all()
    assert read_pose(str(tmp_path / 'p.csv'), format='csv').num_frames == 1
    with pytest.raises(ValueError, match="'unisign' already has a reader"):
        register_pose_reader('unisign')(read_csv)
    with pytest.raises(ValueError, match=r"extensions already registered: \{'.pkl': 'unisign'\}"):
        register_pose_reader('other', extensions=('.PKL',))(read_csv)


def test_mmpose_and_mediapipe_formats(tmp_path):
    kp = np.arange(266, dtype=np.float32).reshape(133, 2)
    frames = [dict(frame_id=0, instances=[dict(keypoints=kp.tolist(), keypoint_scores=[0.2] * 133),
                                          dict(keypoints=(kp + 1).tolist(), keypoint_scores=[0.9] * 133)]),
              dict(frame_id=1, instances=[])]
    (tmp_path / 'p.json').write_text(json.dumps(frames))
    pose = read_pose(str(tmp_path / 'p.json'))
    k, s = pose.keypoints, pose.scores
    assert pose.unit == 'pixel' and k.shape == (2, 133, 2) and pose.image_size is None
    assert np.allclose(k[0], kp + 1) and np.allclose(s[0], 0.9) and (s[1] == 0).all()
    meta = dict(meta=dict(width=320, height=240), instance_info=frames)
    (tmp_path / 'meta.json').write_text(json.dumps(meta))
    assert read_pose(str(tmp_path / 'meta.json')).image_size == (320, 240)
    (tmp_path / 'p.pkl').write_bytes(pickle.dumps(dict(frames=[dict(keypoints=kp[None])])))
    assert np.allclose(read_pose(str(tmp_path / 'p.pkl'), 'mmpose').keypoints[0], kp)
    pred = dict(pred_instances=dict(keypoints=kp[None], keypoint_scores=np.ones((1, 133))))
    k2, s2 = mmpose_to_wholebody([pred])
    assert np.allclose(k2[0], kp)
    (tmp_path / 'short.json').write_text(json.dumps([dict(instances=[dict(keypoints=[[0, 0]] * 17)])]))
    with pytest.raises(ValueError, match='short.json: frame 0: expected 133 whole-body keypoints, got 17'):
        read_pose(str(tmp_path / 'short.json'))

    t = 3
    pose = np.random.rand(t, 33, 4).astype(np.float32)
    lh = np.random.rand(t, 21, 3).astype(np.float32)
    lh[1] = np.nan  # hand not detected in frame 1
    np.savez(tmp_path / 'mp.npz', pose=pose, face=np.random.rand(t, 468, 3), left_hand=lh,
             right_hand=np.random.rand(t, 21, 3))
    mp = read_pose(str(tmp_path / 'mp.npz'))
    k, s = mp.keypoints, mp.scores
    assert mp.unit == 'normalized'
    assert np.allclose(k[:, 9], pose[:, 15, :2]) and np.allclose(s[:, 9], pose[:, 15, 3])  # left wrist
    assert np.allclose(k[0, 91:112], lh[0, :, :2]) and (s[1, 91:112] == 0).all() and (s[0, 91:112] == 1).all()
    assert (s[:, [18, 21]] == 0).all() and 53 in MEDIAPIPE_APPROXIMATE
    flat = np.random.rand(t, 543, 3)
    flat[1, 468:489] = np.nan  # a left hand not detected: the Kaggle order is then told from the data
    k3, _ = mediapipe_to_wholebody(flat)
    assert np.allclose(k3[[0, 2], 91:112], flat[[0, 2], 468:489, :2])  # Kaggle order: face, left hand, ...
    np.save(tmp_path / 'flat.npy', flat)
    np.testing.assert_allclose(read_pose(str(tmp_path / 'flat.npy')).keypoints, k3)
    np.save(tmp_path / 'objects.npy', np.array([{'pose': 1}], dtype=object))  # np.load never unpickles
    with pytest.raises(ValueError, match='objects.npy: Object arrays cannot be loaded when allow_pickle'):
        read_pose(str(tmp_path / 'objects.npy'))
