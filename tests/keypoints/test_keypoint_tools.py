"""The command lines around extraction without running a model: which backend extract_keypoints.py picks,
the overlay tool on a non-pickle pose format, and the ``keypoint_source`` field of the pose pickle."""
import importlib.util
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from cclslr.fileio import PoseData, read_pose, write_pose, write_video

TOOLS = Path(__file__).resolve().parents[2] / 'tools' / 'data'


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('argv, backend', [
    ([], 'mediapipe'),
    (['--backend', 'mmpose'], 'mmpose'),
    (['--pose-checkpoint', 'my.pth'], 'mmpose'),  # an MMPose user's command from before --backend
    (['--det-config', 'det.py', '--det-checkpoint', 'det.pth'], 'mmpose'),
    (['--backend', 'mediapipe', '--min-tracking-confidence', '0.3'], 'mediapipe'),
])
def test_backend_choice(argv, backend, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no checkpoints/ here
    tool = _tool('extract_keypoints')
    args = tool.parse_args(['--video-dir', 'v', '--out-dir', 'o'] + argv)
    chosen, _ = tool.choose_backend(args)
    assert chosen == backend
    cfg = tool.extractor_config(args, chosen)
    assert cfg['backend'] == backend
    if backend == 'mediapipe':
        assert cfg['min_tracking_confidence'] == (0.3 if argv else 0.5) and 'pose_checkpoint' not in cfg
    else:
        assert cfg['pose_checkpoint'] == ('my.pth' if '--pose-checkpoint' in argv
                                          else tool.DEFAULT_POSE_CHECKPOINT)


def test_backend_choice_follows_an_installed_checkpoint_and_refuses_mixed_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tool = _tool('extract_keypoints')
    ckpt = tmp_path / tool.DEFAULT_POSE_CHECKPOINT
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b'')
    args = tool.parse_args(['--video-dir', 'v', '--out-dir', 'o'])
    assert tool.choose_backend(args) == ('mmpose', f'{tool.DEFAULT_POSE_CHECKPOINT} exists')
    args = tool.parse_args(['--video-dir', 'v', '--out-dir', 'o', '--backend', 'mediapipe',
                            '--pose-checkpoint', 'x.pth'])
    with pytest.raises(SystemExit, match='--pose-checkpoint: MMPose options, but --backend mediapipe'):
        tool.extractor_config(args, 'mediapipe')


def test_overlay_reads_a_mediapipe_npz(tmp_path, capsys):
    """A MediaPipe landmark file (.npz) drawn on its video: the right wrist's landmark lands on the frame
    where it says, in the right hand's colour (COCO-WholeBody 112 = MediaPipe right hand 0)."""
    T, W, H = 4, 64, 48
    write_video(str(tmp_path / 'clip.mp4'), np.zeros((T, H, W, 3), np.uint8))
    pose = np.full((T, 33, 4), np.nan, np.float32)
    right = np.full((T, 21, 3), np.nan, np.float32)
    right[:, 0] = [0.25, 0.5, 0.0]  # pixel (16, 24)
    np.savez(tmp_path / 'clip.npz', pose=pose, right_hand=right)
    out = tmp_path / 'overlay.png'
    _tool('overlay_keypoints').main([str(tmp_path / 'clip.mp4'), str(tmp_path / 'clip.npz'), str(out),
                                     '--frames', '4', '--scale', '1'])
    assert f'wrote {out} (256x48)' in capsys.readouterr().out
    img = cv2.imread(str(out))[..., ::-1]
    assert img.shape == (48, 256, 3)
    cyan = np.argwhere((img == (0, 200, 255)).all(-1))  # the right hand's colour, exactly
    assert len(cyan)  # the marker is a small disc centred on the landmark's pixel, in each of the 4 tiles
    assert sorted(set(cyan[:, 1] // W)) == [0, 1, 2, 3]
    assert np.allclose(cyan[:, 0].mean(), 24, atol=0.5) and np.allclose((cyan[:, 1] % W).mean(), 16, atol=0.5)
    assert (np.abs(cyan[:, 0] - 24) <= 3).all() and (np.abs(cyan[:, 1] % W - 16) <= 3).all()
    assert sorted(set(cyan[:, 1] // W)) == [0, 1, 2, 3]  # on every tile
    for colour in ((0, 255, 0), (255, 255, 0), (255, 0, 255)):  # body, face, left hand: all score 0
        assert not (img == colour).all(-1).any()
    with pytest.raises(ValueError, match='--pose-format must be one of'):
        _tool('overlay_keypoints').main([str(tmp_path / 'clip.mp4'), str(tmp_path / 'clip.npz'),
                                         str(out), '--pose-format', 'openpose'])


def test_keypoint_source_round_trip_and_validation(tmp_path):
    kpts = np.full((3, 133, 2), 0.5, np.float32)
    path = str(tmp_path / 'a.pkl')
    write_pose(path, PoseData(kpts, np.ones((3, 133)), source='mediapipe'))
    assert read_pose(path).source == 'mediapipe'
    write_pose(path, PoseData(kpts, np.ones((3, 133))))
    assert read_pose(path).source is None
    with open(path, 'wb') as f:
        pickle.dump(dict(keypoints=kpts, scores=np.ones((3, 133), np.float32), keypoint_source=3), f)
    with pytest.raises(ValueError, match='a.pkl: keypoint_source must be a string'):
        read_pose(path)
