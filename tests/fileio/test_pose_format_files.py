"""``.pose`` files (pose-format package; cclslr/fileio/pose_formats/dotpose.py): the real AUTSL and ASL
files with their geometry, the RGB + pose pair through the pre-training pipeline, OpenPose and multi-person
files built with the package's own headers, and the writer's round trip."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from pose_format import Pose
from pose_format.numpy.pose_body import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderDimensions

from cclslr.fileio import PoseData, read_pose, write_pose
from cclslr.registry import TRANSFORMS

AUTSL = ('pose_format', 'autsl_sample', 'signer0_sample1000')


def _geometry(pose, max_gap):
    """Wrists near the hand roots, nose above the shoulders, the signer's left on the image right."""
    k, s = pose.keypoints, pose.scores
    for wrist, root in ((9, 91), (10, 112)):
        seen = (s[:, wrist] > 0) & (s[:, root] > 0)
        assert seen.sum() >= 10
        gap = np.linalg.norm(k[seen, wrist] - k[seen, root], axis=-1)
        assert np.median(gap) < max_gap, (wrist, np.median(gap))
    body = (s[:, [0, 5, 6]] > 0).all(-1)
    assert body.all()
    assert (k[:, 0, 1] < k[:, 5:7, 1].min(-1)).all()           # nose above both shoulders (y grows down)
    assert (k[:, 5, 0] > k[:, 6, 0]).all()                       # left shoulder right of the right one
    # 0-1 units: the face inside the frame, the arms and hands inside it left to right (colin-SAD's hands
    # rise from below the frame's bottom edge, y up to 1.2 for detected hands, and the legs are far out)
    face = k[:, 23:91][s[:, 23:91] > 0]
    assert len(face) and ((face > 0) & (face < 1)).all()
    arms = k[:, np.r_[0:11, 91:133], 0][s[:, np.r_[0:11, 91:133]] > 0]
    assert ((arms > 0) & (arms < 1)).all()


def test_real_autsl_pose(shared_data):
    pose = read_pose(osp.join(shared_data, *AUTSL[:-1], AUTSL[-1] + '.pose'))
    assert pose.num_frames == 43 and pose.image_size == (512, 512) and pose.fps == 30.0
    assert pose.unit == 'normalized'
    _geometry(pose, max_gap=0.03)
    # 21-point hands missing (masked) in some frames -> score 0; face points all present
    assert int((pose.scores[:, 91] == 0).sum()) == 3 and (pose.scores[:, 23:91] == 1).all()
    assert (pose.scores[:, [18, 21]] == 0).all()   # MediaPipe has no small toe


def test_real_colin_sad_pose(shared_data):
    pose = read_pose(osp.join(shared_data, 'pose_format', 'colin-SAD.pose'))
    assert pose.num_frames == 76 and pose.image_size == (1280, 720)
    assert pose.fps == pytest.approx(30.047, abs=1e-3)
    _geometry(pose, max_gap=0.07)  # 1280 px wide: ~50 px between body wrist and hand root
    # hands masked (not detected) in 29 / 31 frames of the file -> score 0 there
    assert int((pose.scores[:, 91] == 0).sum()) == 29 and int((pose.scores[:, 112] == 0).sum()) == 31


def test_rgb_and_pose_pair_through_the_pretraining_pipeline(shared_data, repo_root):
    folder = osp.join(shared_data, *AUTSL[:-1])
    cfg = Config.fromfile(osp.join(repo_root, 'configs', '_base_', 'datasets', 'sign_pipelines.py'))
    pipeline = [TRANSFORMS.build(t) for t in cfg.pretrain_pipeline_no_mpm]
    res = dict(video_path=osp.join(folder, AUTSL[-1] + '_color.mp4'),
               pose_path=osp.join(folder, AUTSL[-1] + '.pose'), sample_id=AUTSL[-1], label=164)
    np.random.seed(0)
    for t in pipeline[:2]:  # DecordInit, LoadPose: the pose file indexes the video's frames one to one
        res = t(res)
    assert res['video_num_frames'] == 43 and len(res['clip_keypoints']) == 43
    assert res['pose_img_size'] == (512, 512)
    for t in pipeline[2:]:
        res = t(res)
    rgb, pose = res['inputs']['rgb'], res['inputs']['pose']
    assert len(rgb) == len(pose) == 2
    assert tuple(rgb[0].shape) == (3, 32, 224, 224) and pose[0].shape[0] == 32
    for view in pose:  # the signer's skeleton reaches the packed views (not zeroed)
        assert float(view.abs().sum()) > 0 and bool(view.isfinite().all())


def _openpose_pose(components, num_points, people=1, width=1000, height=500):
    """A 3-frame file with the package's header: point p of person n at (10 p + n, 5 p + 1), conf 0.5."""
    data = np.zeros((3, people, num_points, 2), np.float32)
    data[..., 0] = 10 * np.arange(num_points) + np.arange(people)[:, None]
    data[..., 1] = 5 * np.arange(num_points) + 1
    conf = np.full((3, people, num_points), 0.5, np.float32)
    header = PoseHeader(version=0.2, dimensions=PoseHeaderDimensions(width=width, height=height, depth=0),
                        components=components)
    return Pose(header, NumPyPoseBody(fps=25, data=np.ma.masked_array(data, mask=False), confidence=conf))


def _write(pose, path):
    with open(path, 'wb') as f:
        pose.write(f)
    return str(path)


def test_openpose_body_135(tmp_path):
    from pose_format.utils.openpose_135 import OpenPose_Components
    path = _write(_openpose_pose(OpenPose_Components, 135), tmp_path / 'op135.pose')
    pose = read_pose(path)
    k, s = pose.keypoints * np.array([1000, 500]), pose.scores
    assert pose.image_size == (1000, 500) and pose.fps == 25
    np.testing.assert_allclose(k[0, 9], [90, 46], atol=1e-3)     # LWrist (body point 9)
    np.testing.assert_allclose(k[0, 91], [90, 46], atol=1e-3)    # left hand root <- body wrist
    np.testing.assert_allclose(k[0, 92], [250, 126], atol=1e-3)  # LThumb1CMC, point 25
    np.testing.assert_allclose(k[0, 113], [450, 226], atol=1e-3)  # RThumb1CMC, point 45
    np.testing.assert_allclose(k[0, 23], [650, 326], atol=1e-3)   # FaceContour0, point 65
    np.testing.assert_allclose(k[0, 90], [1320, 661], atol=1e-3)  # IMouth7, point 132 (pupils dropped)
    np.testing.assert_allclose(k[0, 18], [200, 101], atol=1e-3)   # LSmallToe, point 20
    assert (s == 0.5).all()  # every one of the 133 points has a source in BODY_135


def test_openpose_body_25_with_hands_and_two_people(tmp_path):
    from pose_format.utils.openpose import OpenPose_Components
    path = _write(_openpose_pose(OpenPose_Components, 137, people=2), tmp_path / 'op.pose')
    for person in (0, 1):
        pose = read_pose(path, person=person)
        k = pose.keypoints * np.array([1000, 500])
        np.testing.assert_allclose(k[0, 6], [20 + person, 11], atol=1e-3)   # RShoulder is BODY_25 point 2
        np.testing.assert_allclose(k[0, 9], [70 + person, 36], atol=1e-3)   # LWrist, point 7
        np.testing.assert_allclose(k[0, 23], [250 + person, 126], atol=1e-3)  # face starts at point 25
        np.testing.assert_allclose(k[0, 91], [950 + person, 476], atol=1e-3)  # left hand starts at 95
        assert (pose.scores == 0.5).all()
    with pytest.raises(ValueError, match='op.pose: person=2 but the file holds 2 people'):
        read_pose(path, person=2)


def test_unknown_components_and_pixels_without_size(tmp_path):
    from pose_format.pose_header import PoseHeaderComponent
    comp = PoseHeaderComponent(name='MY_POINTS', points=['a', 'b'], limbs=[], colors=[(0, 0, 0)],
                               point_format='XYC')
    with pytest.raises(ValueError, match=r"other.pose: no known pose component \(has \['MY_POINTS'\]"):
        read_pose(_write(_openpose_pose([comp], 2), tmp_path / 'other.pose'))
    from pose_format.utils.openpose_135 import OpenPose_Components
    nosize = _write(_openpose_pose(OpenPose_Components, 135, width=0, height=0), tmp_path / 'nosize.pose')
    with pytest.raises(ValueError, match='nosize.pose: pixel coordinates .* header has no width/height'):
        read_pose(nosize)


@pytest.mark.parametrize('size', [(640, 480), None])
def test_writer_round_trip(tmp_path, size):
    rng = np.random.default_rng(0)
    kpts = rng.random((7, 133, 2), dtype=np.float32)
    scores = rng.random((7, 133), dtype=np.float32)
    scores[2, 91:112] = 0  # a hand not detected
    src = PoseData(kpts, scores, 'normalized', size, 25.0 if size else None)
    path = str(tmp_path / 'rt.pose')
    write_pose(path, src, 'pose_format')
    back = read_pose(path)
    seen = scores > 0
    np.testing.assert_allclose(back.keypoints[seen], kpts[seen], atol=1e-6)
    np.testing.assert_array_equal(back.scores, scores)
    assert back.image_size == size and back.fps == (25.0 if size else None)
    assert (back.keypoints[2, 91:112] == 0).all()
    with open(path, 'rb') as f:  # the package itself reads the header we wrote
        header = Pose.read(f.read()).header
    assert [(c.name, len(c.points)) for c in header.components] == \
        [('BODY', 23), ('FACE', 68), ('LEFT_HAND', 21), ('RIGHT_HAND', 21)]
    with pytest.raises(ValueError, match='px.pose: pixel keypoints without image_size'):
        write_pose(str(tmp_path / 'px.pose'), PoseData(kpts, scores, 'pixel'), 'pose_format')


def test_real_file_round_trip(shared_data, tmp_path):
    src = read_pose(osp.join(shared_data, *AUTSL[:-1], AUTSL[-1] + '.pose'))
    write_pose(str(tmp_path / 'copy.pose'), src, 'pose_format')
    back = read_pose(str(tmp_path / 'copy.pose'))
    np.testing.assert_array_equal(back.scores, src.scores)
    np.testing.assert_allclose(back.keypoints, src.keypoints, atol=1e-6)
    assert (back.image_size, back.fps) == (src.image_size, src.fps)


@pytest.mark.parametrize('name', ['autsl', 'written'])
def test_truncated_and_padded_files_are_refused(shared_data, tmp_path, name):
    """pose-format 0.1 files (the AUTSL one) infer the frame count from the bytes left: cut in the middle
    they would read as 27 frames with confidences taken from later frames' coordinates."""
    if name == 'autsl':
        src = osp.join(shared_data, *AUTSL[:-1], AUTSL[-1] + '.pose')
    else:  # version 0.2, which declares the frame count
        src = str(tmp_path / 'src.pose')
        rng = np.random.default_rng(1)
        write_pose(src, PoseData(rng.random((9, 133, 2)), np.ones((9, 133)), 'normalized', (64, 48), 25.0),
                   'pose_format')
    with open(src, 'rb') as f:
        data = f.read()
    for what, payload in (('cut', data[:int(len(data) * 0.7)]), ('padded', data + b'\0' * 100)):
        path = str(tmp_path / f'{what}.pose')
        with open(path, 'wb') as f:
            f.write(payload)
        with pytest.raises(ValueError, match=rf'{what}.pose: truncated or padded .pose body: the header '
                                             rf'declares \d+ frames'):
            read_pose(path)


def test_normalized_coordinates_beside_a_size_are_not_taken_for_pixels(tmp_path):
    from pose_format.utils.openpose_135 import OpenPose_Components
    pose = _openpose_pose(OpenPose_Components, 135)
    pose.body.data = pose.body.data / 2000.0  # 0-1 coordinates in a 1000 x 500 header
    path = _write(pose, tmp_path / 'unit.pose')
    with pytest.raises(ValueError, match=r"unit.pose: the header gives 1000 x 500 pixels but every point "
                                         r"lies within 0.67 of 0: 0-1 coordinates\? Read it with "
                                         r"coords='normalized'"):
        read_pose(path)
    got = read_pose(path, coords='normalized')
    np.testing.assert_allclose(got.keypoints[0, 9], [90 / 2000, 46 / 2000], atol=1e-6)
    assert got.image_size == (1000, 500)
