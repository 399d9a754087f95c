"""The image size of 0-1 keypoints (MediaPipe files carry none): the pose file's, else the annotation's
width/height, else the decoded frames'; pose-only with none of them: a warning once (or an error), not a
silently non-square box."""
import numpy as np
import pytest

from cclslr.datasets.transforms import LoadPose, PoseNormalize
from cclslr.fileio import PoseData, write_pose

W, H = 320, 180  # 16:9


def _square_in_pixels(num_frames=3):
    """0-1 keypoints of a body whose extent is a 90 x 90 pixel square in a 320 x 180 frame."""
    kp = np.zeros((num_frames, 133, 2), np.float32)
    px = np.array([[115, 45], [205, 45], [115, 135], [205, 135], [160, 90], [140, 60], [180, 60]])
    kp[:, [0, 5, 6, 7, 8, 9, 10]] = px / np.array([W, H])
    sc = np.zeros((num_frames, 133), np.float32)
    sc[:, [0, 5, 6, 7, 8, 9, 10]] = 0.9
    return kp, sc


def _view(results):
    """The clip as one view of all its frames."""
    return dict(results, keypoints=results['clip_keypoints'], keypoint_scores=results['clip_keypoint_scores'])


def _normalise(results, **kwargs):
    return PoseNormalize(**kwargs)(_view(results))['keypoints']


def _corners_are_square(k):
    """The 4 corner points (nose, shoulders, left elbow) of the square body fill [-1, 1] in both x and y
    only if the box is square in pixels; in 0-1 units the square is 90/320 wide and 90/180 high, so x
    spans [-0.56, 0.56] only."""
    return np.allclose(np.abs(k[:, [0, 5, 6, 7]]), 1.0, atol=1e-5)


@pytest.fixture()
def pose_files(tmp_path):
    kp, sc = _square_in_pixels()
    sized = str(tmp_path / 'sized.pkl')
    unsized = str(tmp_path / 'unsized.pkl')
    write_pose(sized, PoseData(kp, sc, image_size=(W, H)))
    write_pose(unsized, PoseData(kp, sc))
    return sized, unsized


def test_file_size_first_then_annotation(pose_files):
    sized, unsized = pose_files
    res = LoadPose()(dict(pose_path=sized, width=100, height=100))
    assert res['pose_img_size'] == (W, H)           # the file's own size wins
    res = LoadPose()(dict(pose_path=unsized, width=W, height=H))
    assert res['pose_img_size'] == (W, H)           # else the annotation's
    assert _corners_are_square(_normalise(res))
    with pytest.raises(ValueError, match=r'unsized\.pkl.*annotation.*width'):
        LoadPose()(dict(pose_path=unsized, width=-3, height=H))


def test_no_size_warns_once_or_fails(pose_files, logged):
    """The reported bug: a MediaPipe-style file without a size, pose-only, got a box in 0-1 units."""
    _, unsized = pose_files
    res = LoadPose()(dict(pose_path=unsized))
    assert res['pose_img_size'] is None
    norm = PoseNormalize()
    assert not _corners_are_square(norm(_view(res))['keypoints'])  # without a size: said, not silent
    norm(_view(res))
    lines = [m for m in logged if 'image size' in m]
    assert len(lines) == 1 and 'unsized.pkl' in lines[0] and 'width' in lines[0]
    with pytest.raises(ValueError, match=r'unsized\.pkl.*image size'):
        _normalise(res, on_unknown_size='error')


def test_decoded_frames_give_the_size(pose_files):
    """With a video, DecodeFrames makes 0-1 keypoints pixel with the frames' size: square, no warning."""
    from cclslr.datasets.transforms import DecodeFrames
    from cclslr.fileio import write_video
    _, unsized = pose_files
    video = unsized.replace('.pkl', '.mp4')
    write_video(video, np.zeros((3, H, W, 3), np.uint8))
    from cclslr.datasets.transforms import DecordInit, PairedTemporalCrop
    res = LoadPose()(DecordInit()(dict(video_path=video, pose_path=unsized)))
    res = DecodeFrames()(PairedTemporalCrop(clip_len=3, test_mode=True)(res))
    assert res['keypoints_unit'] == 'pixel'
    assert _corners_are_square(PoseNormalize(on_unknown_size='error')(res)['keypoints'])


def test_real_msasl_rows_give_the_size(shared_data, pose_files):
    """Every MS-ASL100 val row has its video's size (as 640.0-style floats); it reaches LoadPose."""
    from collections import Counter

    from cclslr.registry import DATASETS
    from cclslr.utils import register_all_modules
    register_all_modules()
    ds = DATASETS.build(dict(type='MSASLDataset', ann_file=str(shared_data / 'msasl' / 'MSASL_val.json'),
                             subset=100, data_prefix=dict(video='v', pose='p')))
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(infos) == 1190
    sizes = Counter((i['width'], i['height']) for i in infos)
    assert sizes.most_common(2) == [((640, 360), 666), ((1280, 720), 369)]
    _, unsized = pose_files
    res = LoadPose()(dict(infos[0], pose_path=unsized))
    assert res['pose_img_size'] == (640, 360) == (infos[0]['width'], infos[0]['height'])
