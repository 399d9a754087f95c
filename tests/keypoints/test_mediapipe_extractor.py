"""The MediaPipe Holistic backend on real WLASL clips (CPU, a few seconds each): hands found, COCO sides,
tracker reset between videos, and the batch tool's pose files read by the pose pipeline, resumed, with a
corrupt video logged. Skipped without mediapipe or without ../shared/data."""
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cclslr.fileio import read_pose, read_video

pytest.importorskip('mediapipe.python.solutions.holistic')
from cclslr.keypoints import MediaPipeHolisticExtractor  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
# 01377 (288x192, 25 frames as decord counts them): a signer with both hands in view in every frame.
CLIP = '01377.mp4'
L_WRIST, R_WRIST, L_HAND_ROOT, R_HAND_ROOT = 9, 10, 91, 112


@pytest.fixture(scope='module')
def clip(shared_data):
    return str(Path(shared_data) / 'videos' / CLIP)


@pytest.fixture(scope='module')
def extractor():
    with MediaPipeHolisticExtractor() as ex:
        yield ex


def _tool():
    spec = importlib.util.spec_from_file_location('extract_keypoints',
                                                  REPO / 'tools' / 'data' / 'extract_keypoints.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('complexity', [0, 2])
def test_downloading_complexities_are_refused(complexity):
    with pytest.raises(ValueError, match='downloads the pose model'):
        MediaPipeHolisticExtractor(model_complexity=complexity)


def test_real_clip_hands_sides_and_tracker_reset(clip, extractor):
    pose = extractor.extract_video(clip)
    frames, total = read_video(clip)
    assert pose.num_frames == total == 25 and pose.image_size == (288, 192)
    assert pose.fps == pytest.approx(29.97, abs=0.01) and pose.unit == 'normalized'
    k, s = pose.keypoints, pose.scores
    assert k.min() >= 0 and k.max() <= 1
    left, right = s[:, L_HAND_ROOT] > 0, s[:, R_HAND_ROOT] > 0
    assert left.mean() >= 0.9 and right.mean() >= 0.9  # both hands are in view throughout
    # COCO-WholeBody sides: the left-hand root sits at the pose's left wrist, far from the right one
    # (the signer faces the camera: their left wrist is on the image right).
    both = left & right
    d_same = np.linalg.norm(k[both, L_HAND_ROOT] - k[both, L_WRIST], axis=-1)
    d_other = np.linalg.norm(k[both, L_HAND_ROOT] - k[both, R_WRIST], axis=-1)
    assert np.median(d_same) < 0.05 and (d_same < d_other).all()
    d_same = np.linalg.norm(k[both, R_HAND_ROOT] - k[both, R_WRIST], axis=-1)
    d_other = np.linalg.norm(k[both, R_HAND_ROOT] - k[both, L_WRIST], axis=-1)
    assert np.median(d_same) < 0.05 and (d_same < d_other).all()
    assert (k[both, L_WRIST, 0] > k[both, R_WRIST, 0]).all()
    # nose above both shoulders (y grows downwards)
    assert (k[:, 0, 1] < k[:, [5, 6], 1].min(1)).all()

    # The graph is reset per video: the same frames give the same keypoints again, whether from the
    # file or from an array, after another video went through the same extractor.
    again = extractor.extract_frames(frames[::-1].copy(), fps=25.0)  # another "video" first
    assert again.num_frames == 25 and again.fps == 25.0
    again = extractor.extract_frames(frames, fps=pose.fps)
    np.testing.assert_allclose(again.keypoints, k, atol=1e-6)
    np.testing.assert_allclose(again.scores, s, atol=1e-6)


def test_annotated_box_crop_maps_back_to_the_frame(clip, extractor):
    """The signer box of the WLASL annotation ([59, 15, 232, 192] px of 288x192): Holistic sees only the
    crop, and the keypoints come back in whole-frame units, where the uncropped run put them."""
    full = extractor.extract_video(clip)
    box = [59 / 288, 15 / 192, 232 / 288, 1.0]
    crop = extractor.extract_video(clip, box=box)
    assert crop.image_size == (288, 192) and crop.num_frames == full.num_frames
    body = [0, 5, 6, 7, 8, 9, 10]  # nose, shoulders, elbows, wrists
    seen = (full.scores[:, body] > 0.5) & (crop.scores[:, body] > 0.5)
    err = np.linalg.norm(full.keypoints[:, body] - crop.keypoints[:, body], axis=-1)[seen]
    assert seen.mean() > 0.9 and np.median(err) < 0.02
    assert (crop.keypoints[:, body, 0][seen] > box[0]).all()
    with pytest.raises(ValueError, match='signer box .* is empty'):
        extractor.extract_video(clip, box=[0.5, 0.5, 0.5, 0.9])


def test_bad_frames_are_a_clear_error(extractor):
    with pytest.raises(ValueError, match=r'uint8 \(T, H, W, 3\)'):
        extractor.extract_frames(np.zeros((2, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match='nothing.mp4: cannot open video'):
        extractor.extract_video('nothing.mp4')


def test_tool_writes_pipeline_readable_files_resumes_and_logs_bad_videos(shared_data, tmp_path, capsys):
    videos, out = tmp_path / 'videos', tmp_path / 'poses'
    videos.mkdir()
    for name in (CLIP, '27281.mp4'):
        shutil.copy(Path(shared_data) / 'videos' / name, videos / name)
    (videos / 'broken.mp4').write_bytes(b'\x00\x00\x00\x18ftypmp42' + b'\x00' * 200)
    argv = ['--backend', 'mediapipe', '--video-dir', str(videos), '--out-dir', str(out), '--no-progress']
    tool = _tool()
    assert tool.main(argv) == 0
    printed = capsys.readouterr().out
    assert 'backend mediapipe (--backend)' in printed
    assert 'done: 2, skipped (existing): 0, failed: 1' in printed
    errors = [json.loads(line) for line in (out / 'extract_keypoints_errors.jsonl').read_text().splitlines()]
    assert [Path(e['video']).name for e in errors] == ['broken.mp4']
    assert 'broken.mp4: cannot open video' in errors[0]['error']

    pose = read_pose(str(out / '01377.pkl'))
    assert pose.source == 'mediapipe' and pose.num_frames == 25 and pose.image_size == (288, 192)
    assert read_pose(str(out / '27281.pkl')).num_frames == 26

    stamp = (out / '01377.pkl').stat().st_mtime_ns
    assert tool.main(argv) == 0  # resumed: the finished files are skipped, the broken one retried
    assert 'done: 0, skipped (existing): 2, failed: 1' in capsys.readouterr().out
    assert (out / '01377.pkl').stat().st_mtime_ns == stamp

    # The files feed the pose-only pipeline unchanged (75 keypoints, x, y, score).
    from cclslr.registry import DATASETS
    from cclslr.utils import register_all_modules
    register_all_modules()
    (tmp_path / 'list.txt').write_text(f'{CLIP} 0\n27281.mp4 1\n')
    pipeline = [dict(type='LoadPose'), dict(type='PairedTemporalCrop', clip_len=16, test_mode=True),
                dict(type='PoseNormalize'), dict(type='SelectKeypoints'),
                dict(type='PackSignInputs', modalities=('pose', ))]
    dataset = DATASETS.build(dict(type='SignListDataset', ann_file=str(tmp_path / 'list.txt'),
                                  data_prefix=dict(video=str(videos), pose=str(out)), pipeline=pipeline))
    for i in range(2):
        pose_in = dataset[i]['inputs']['pose'][0]
        assert tuple(pose_in.shape) == (16, 75, 3)
        assert np.isfinite(np.asarray(pose_in)).all() and float(pose_in[..., 2].max()) > 0.5


def test_mediapipe_on_gpu_is_refused(tmp_path):
    from cclslr.keypoints import ExtractionTask, run_extraction
    task = ExtractionTask(str(tmp_path / 'a.mp4'), str(tmp_path / 'a.pkl'))
    with pytest.raises(ValueError, match='CPU only'):
        run_extraction([task], dict(backend='mediapipe'), devices=['cuda:0'], progress=False)
    with pytest.raises(ValueError, match="unknown keypoint backend 'openpose'"):
        run_extraction([task], dict(backend='openpose'), progress=False)
