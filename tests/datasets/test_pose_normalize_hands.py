"""PoseNormalize on views without body points (hands-only data such as a (T, 126) MediaPipe array): the
box of the points present instead of a silently zeroed view; Uni-Sign's zeroing and an error on request."""
import numpy as np
import pytest

from cclslr.datasets.transforms import PoseNormalize
from cclslr.structures.keypoint_layout import KEPT_75, NUM_KEPT


def _hands_only(num_frames=4):
    """Pixel keypoints (T, 133, 2) with only the two hands present; wrists 91 and 112."""
    kp = np.zeros((num_frames, 133, 2), np.float32)
    sc = np.zeros((num_frames, 133), np.float32)
    kp[:, 91:112] = [100, 200]
    kp[:, 95] = [120, 180]          # left thumb tip: (+20, -20) from its wrist
    kp[:, 112:133] = [300, 220]
    kp[:, 116] = [260, 260]         # right thumb tip: (-40, +40)
    sc[:, 91:133] = 0.9
    return kp, sc


def _log_lines(logged, needle):
    return [m for m in logged if needle in m]


def test_hands_only_normalised_from_the_hands_box(logged):
    kp, sc = _hands_only()
    t = PoseNormalize()
    out = t(dict(keypoints=kp, keypoint_scores=sc, pose_path='a.npy'))
    k, s = out['keypoints'], out['keypoint_scores']
    assert np.abs(k).max() > 0, 'the view must not be zeroed'
    # Box of the present points: x 100..300, y 180..260 -> side 200.
    assert np.allclose(k[:, 95], [20 / 200, -20 / 200]) and np.allclose(k[:, 116], [-40 / 200, 40 / 200])
    assert np.allclose(k[:, 91], 0) and np.allclose(k[:, 112], 0)     # the wrists are the roots
    assert (k[:, :91] == 0).all() and (s[:, :91] == 0).all()           # absent body / face stay absent
    assert np.allclose(s[:, 91:], 0.9)
    # Said once, naming the file; a second view does not repeat it.
    t(dict(keypoints=kp, keypoint_scores=sc, pose_path='b.npy'))
    lines = _log_lines(logged, 'no body keypoints')
    assert len(lines) == 1 and 'a.npy' in lines[0]


def test_hands_only_in_the_75_point_layout():
    kp, sc = _hands_only()
    kp75, sc75 = kp[:, KEPT_75], sc[:, KEPT_75]
    assert kp75.shape[1] == NUM_KEPT
    out133 = PoseNormalize()(dict(keypoints=kp, keypoint_scores=sc))
    out75 = PoseNormalize()(dict(keypoints=kp75, keypoint_scores=sc75))
    assert np.allclose(out75['keypoints'], out133['keypoints'][:, KEPT_75])


def test_uni_sign_zeroing_and_error_on_request(logged):
    kp, sc = _hands_only()
    out = PoseNormalize(no_body='zero')(dict(keypoints=kp, keypoint_scores=sc, pose_path='c.npy'))
    assert (out['keypoints'] == 0).all() and (out['keypoint_scores'] == 0).all()
    assert len(_log_lines(logged, 'zeroed')) == 1       # no longer silent
    with pytest.raises(ValueError, match=r'c\.npy.*no body keypoints'):
        PoseNormalize(no_body='error')(dict(keypoints=kp, keypoint_scores=sc, pose_path='c.npy'))
    with pytest.raises(ValueError, match='no_body'):
        PoseNormalize(no_body='guess')


def test_whole_body_views_are_unchanged_by_the_fallback():
    """With a body the box is the body's, as in Uni-Sign, whatever no_body says."""
    rng = np.random.default_rng(0)
    kp = rng.uniform(0, 500, (6, 133, 2)).astype(np.float32)
    sc = rng.uniform(0.5, 1, (6, 133)).astype(np.float32)
    a = PoseNormalize(no_body='present')(dict(keypoints=kp, keypoint_scores=sc))
    b = PoseNormalize(no_body='zero')(dict(keypoints=kp, keypoint_scores=sc))
    assert np.array_equal(a['keypoints'], b['keypoints'])


def test_nothing_present_is_still_zero():
    kp, sc = _hands_only()
    sc[:] = 0.1   # every point below the threshold
    out = PoseNormalize()(dict(keypoints=kp, keypoint_scores=sc))
    assert (out['keypoints'] == 0).all() and (out['keypoint_scores'] == 0).all()
