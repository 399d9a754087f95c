"""Pose frame ranges (LoadPose, DecordInit): pose files trimmed to the sample's range, the pose file's
own frame offset, and annotated ranges that run past the end of a file (tolerated by a few frames, an
error beyond)."""
import numpy as np
import pytest
from conftest import H, N, W

from cclslr.datasets.transforms import DecordInit, LoadPose
from cclslr.fileio import PoseData, write_pose, write_video
from cclslr.registry import DATASETS
from cclslr.utils import register_all_modules

register_all_modules()


def _pose_file(path, first: int, num: int, image_size=(W, H)):
    """A pose file of ``num`` frames whose x of every point encodes the frame number (first + i) / 1000,
    so that the test can tell which frames a clip got."""
    kpts = np.zeros((num, 133, 2), np.float32)
    kpts[..., 0] = ((first + np.arange(num)) / 1000.0)[:, None]
    kpts[..., 1] = 0.5
    write_pose(str(path), PoseData(kpts, np.ones((num, 133), np.float32), image_size=image_size))
    return str(path)


def _frames_of(results):
    """The frame numbers encoded in the clip's keypoints (see :func:`_pose_file`)."""
    return np.rint(results['clip_keypoints'][:, 0, 0] * 1000).astype(int).tolist()


@pytest.fixture(scope='module')
def video20(tmp_path_factory):
    path = tmp_path_factory.mktemp('trim') / 'clip.mp4'
    write_video(str(path), np.zeros((N, H, W, 3), np.uint8))
    return str(path)


# ---------------------------------------------------------------- pose-only
def test_trimmed_pose_file_meets_the_range_again_without_the_option(tmp_path):
    """The reported bug: a pose file holding only frames [40, 80) of its video, with the annotation's
    frame_start/frame_end, is "too short" when read as covering the whole video."""
    path = _pose_file(tmp_path / 'p.pkl', 40, 40)
    with pytest.raises(ValueError, match=r'too short.*set LoadPose\(pose_trimmed=True\)'):
        LoadPose()(dict(pose_path=path, frame_start=40, frame_end=80))


def test_pose_trimmed_reads_the_whole_file_as_the_range(tmp_path):
    path = _pose_file(tmp_path / 'p.pkl', 40, 40)
    res = LoadPose(pose_trimmed=True)(dict(pose_path=path, frame_start=40, frame_end=80))
    assert (res['clip_offset'], res['total_frames']) == (0, 40)
    assert _frames_of(res) == list(range(40, 80))
    # Open-ended range (frame_end -1): the whole file too.
    res = LoadPose(pose_trimmed=True)(dict(pose_path=path, frame_start=40, frame_end=-1))
    assert _frames_of(res) == list(range(40, 80))


def test_pose_frame_offset_in_the_sample(tmp_path):
    """The sample's pose_frame_offset (annotation frame of the pose file's frame 0) wins over the option."""
    path = _pose_file(tmp_path / 'p.pkl', 30, 60)  # frames [30, 90)
    res = LoadPose()(dict(pose_path=path, frame_start=40, frame_end=80, pose_frame_offset=30))
    assert _frames_of(res) == list(range(40, 80))
    res = LoadPose(pose_trimmed=True)(dict(pose_path=path, frame_start=40, frame_end=80,
                                           pose_frame_offset=30))
    assert _frames_of(res) == list(range(40, 80))
    with pytest.raises(ValueError, match=r'starts at frame 30 but the frame range \[20, 80\)'):
        LoadPose()(dict(pose_path=path, frame_start=20, frame_end=80, pose_frame_offset=30))
    with pytest.raises(ValueError, match='pose_frame_offset'):
        LoadPose()(dict(pose_path=path, frame_start=40, frame_end=80, pose_frame_offset='30'))


def test_range_past_the_end_of_the_file(tmp_path):
    """A range that overshoots the file by up to end_tolerance frames is cut to the file (WLASL ends do,
    by a frame or two); further is an error naming the file, no longer a silent cut."""
    trimmed = _pose_file(tmp_path / 't.pkl', 40, 38)  # the video ended 2 frames before frame_end
    res = LoadPose(pose_trimmed=True)(dict(pose_path=trimmed, frame_start=40, frame_end=80))
    assert _frames_of(res) == list(range(40, 78))
    with pytest.raises(ValueError, match=r't\.pkl.*runs 12 frames past the end of its 38 frames'):
        LoadPose(pose_trimmed=True)(dict(pose_path=trimmed, frame_start=40, frame_end=90))
    whole = _pose_file(tmp_path / 'w.pkl', 0, 50)
    assert LoadPose()(dict(pose_path=whole, frame_start=10, frame_end=53))['total_frames'] == 40
    with pytest.raises(ValueError, match=r'w\.pkl.*runs 4 frames past'):
        LoadPose()(dict(pose_path=whole, frame_start=10, frame_end=54))
    res = LoadPose(end_tolerance=10)(dict(pose_path=whole, frame_start=10, frame_end=60))
    assert res['total_frames'] == 40


# ---------------------------------------------------------------- with the video
def test_rgb_and_trimmed_pose(video20, tmp_path):
    """Video untrimmed (20 frames), pose trimmed to the annotated file frames [4, 16): the clip's pose
    is the whole pose file, frame for frame."""
    path = _pose_file(tmp_path / 'p.pkl', 4, 12)
    sample = dict(video_path=video20, pose_path=path, frame_start=4, frame_end=16)
    res = LoadPose(pose_trimmed=True)(DecordInit()(dict(sample)))
    assert (res['clip_offset'], res['total_frames']) == (4, 12)
    assert _frames_of(res) == list(range(4, 16))
    # Without the option the 12-frame file is taken for the whole 20-frame video: a length mismatch.
    with pytest.raises(ValueError, match='length mismatch'):
        LoadPose()(DecordInit()(dict(sample)))


def test_rgb_and_pose_with_an_offset(video20, tmp_path):
    path = _pose_file(tmp_path / 'p.pkl', 2, 18)  # video frames [2, 20)
    res = LoadPose()(DecordInit()(dict(video_path=video20, pose_path=path, frame_start=4, frame_end=16,
                                       pose_frame_offset=2)))
    assert (res['clip_offset'], res['total_frames']) == (4, 12)
    assert _frames_of(res) == list(range(4, 16))
    # Ending 2 frames early (within end_tolerance): the clip loses those frames, RGB and pose alike.
    path = _pose_file(tmp_path / 'short.pkl', 2, 12)  # video frames [2, 14)
    res = LoadPose()(DecordInit()(dict(video_path=video20, pose_path=path, frame_start=4, frame_end=16,
                                       pose_frame_offset=2)))
    assert res['total_frames'] == 10 and _frames_of(res) == list(range(4, 14))
    with pytest.raises(ValueError, match=r'short\.pkl.*runs 4 frames past the end'):
        LoadPose()(DecordInit()(dict(video_path=video20, pose_path=path, frame_start=4, frame_end=18,
                                     pose_frame_offset=2)))
    with pytest.raises(ValueError, match=r'too short.*end before the clip starts'):
        LoadPose()(DecordInit()(dict(video_path=video20, pose_path=path, frame_start=15, frame_end=16,
                                     pose_frame_offset=2)))


def test_rgb_and_trimmed_pose_short_by_a_frame(video20, tmp_path):
    """Range [4, 22) of a 20-frame video: cut to [4, 20) within the tolerance; the trimmed pose holds 16."""
    path = _pose_file(tmp_path / 'p.pkl', 4, 16)
    res = LoadPose(pose_trimmed=True)(DecordInit()(dict(video_path=video20, pose_path=path,
                                                        frame_start=4, frame_end=22)))
    assert res['total_frames'] == 16 and _frames_of(res) == list(range(4, 20))


def test_video_range_past_the_end(video20):
    assert DecordInit()(dict(video_path=video20, frame_start=4, frame_end=N + 3))['total_frames'] == N - 4
    with pytest.raises(ValueError, match=r'clip\.mp4.*runs 4 frames past the end of its 20 frames'):
        DecordInit()(dict(video_path=video20, frame_start=4, frame_end=N + 4))
    assert DecordInit(end_tolerance=4)(dict(video_path=video20, frame_start=4,
                                            frame_end=N + 4))['total_frames'] == N - 4


# ---------------------------------------------------------------- the dataset carries the keys
def test_dataset_passes_pose_frame_offset_and_image_size(tmp_path):
    """Sample keys a dataset's annotations may give: pose_frame_offset, width, height (MS-ASL rows have
    the video's width and height)."""
    import json
    rows = [dict(org_text='a', clean_text='a', start_time=0.0, end_time=1.0, start=0, end=30,
                 signer_id=1, signer=1, file='a', label=0, height=360, width=640, fps=29.97,
                 url='https://www.youtube.com/watch?v=AAAAAAAAAAA', text='a', box=[0.1, 0.2, 0.9, 0.8])]
    ann = tmp_path / 'MSASL_train.json'
    ann.write_text(json.dumps(rows))
    ds = DATASETS.build(dict(type='MSASLDataset', ann_file=str(ann), subset=100,
                             data_prefix=dict(video=str(tmp_path), pose=str(tmp_path))))
    info = ds.get_data_info(0)
    assert (info['width'], info['height']) == (640, 360)
