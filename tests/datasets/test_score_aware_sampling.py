"""Score-aware hand sampling (docs/method.md §10): frame choice, crop geometry, decoding the chosen frames."""
import math

import cv2
import numpy as np
import pytest

from cclslr.structures.keypoint_layout import WHOLEBODY_GROUPS
from cclslr.fileio import PoseData, write_pose
from cclslr.datasets.transforms.score_aware_sampling import (FINGERTIPS, ScoreAwareHandSampling,
                                                             crop_square, select_hand_frames)
from cclslr.registry import TRANSFORMS

LH, RH = np.array(WHOLEBODY_GROUPS['left_hand']), np.array(WHOLEBODY_GROUPS['right_hand'])


def _hand_scores(t=40, seed=0):
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.5, 1.0, size=(t, 21))
    s[:10] = 0.1  # invalid: mean <= 0.3
    return s


def test_select_counts_validity_and_order():
    s = _hand_scores()
    for seed in range(5):
        idx = select_hand_frames(s, ratio=0.1, rng=np.random.default_rng(seed))
        assert len(idx) == math.ceil(0.1 * 30) == 3
        assert (idx >= 10).all() and len(set(idx.tolist())) == 3
        assert (np.diff(idx) > 0).all()
    assert len(select_hand_frames(s, ratio=0.5, rng=np.random.default_rng(0), max_frames=4)) == 4
    assert len(select_hand_frames(np.full((8, 21), 0.2), rng=np.random.default_rng(0))) == 0


def test_select_prefers_low_fingertip_confidence():
    s = np.full((20, 21), 0.9)
    s[:, list(FINGERTIPS)] = np.linspace(0.35, 0.95, 20)[:, None]  # frame 0 least confident
    # Deterministic mode: the k least confident frames.
    assert select_hand_frames(s, ratio=0.1).tolist() == [0, 1]
    counts = np.zeros(20)
    rng = np.random.default_rng(0)
    for _ in range(400):
        counts[select_hand_frames(s, ratio=0.1, rng=rng)] += 1
    # weight ∝ max(c) - c + eps: frame 19 (the max) is drawable only through eps.
    assert counts[19] == 0
    assert counts[0] > counts[10] > counts[18]


def test_select_rejects_bad_scores():
    s = _hand_scores()
    s[12, 3] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        select_hand_frames(s)
    with pytest.raises(ValueError, match=r'\(T, 21\)'):
        select_hand_frames(np.ones((5, 20)))


def test_crop_square_zero_pads_at_border():
    frame = np.full((50, 80, 3), 200, dtype=np.uint8)
    crop, (x0, y0, s) = crop_square(frame, (5, 5), 20, 40)
    assert crop.shape == (40, 40, 3) and (x0, y0, s) == (-5, -5, 20)
    assert crop[:8, :8].max() == 0          # outside the image: zeros
    assert crop[-8:, -8:].min() == 200      # inside: the frame


class FakeReader:
    """decord-like reader that records which frames were decoded."""

    def __init__(self, frames):
        self.frames, self.requested = frames, []

    def get_batch(self, inds):
        self.requested.append(list(inds))
        out = self.frames[inds]
        return type('Batch', (), {'asnumpy': lambda _self: out})()


def _clip(t=30, w=160, h=120):
    """Frames with a bright left hand square and a dimmer right one; matching keypoints and scores."""
    rng = np.random.default_rng(1)
    kpts = rng.uniform(0.2, 0.8, size=(t, 133, 2)).astype(np.float32)
    scores = np.full((t, 133), 0.9, dtype=np.float32)
    frames = np.zeros((t, h, w, 3), dtype=np.uint8)
    hand = np.stack(np.meshgrid(np.linspace(0, 1, 7), np.linspace(0, 1, 3)), -1).reshape(21, 2)
    for i in range(t):
        kpts[i, LH] = (np.array([30, 40]) + hand * [20, 10]) / [w, h]   # 20 x 10 px
        kpts[i, RH] = (np.array([100, 60]) + hand * [10, 10]) / [w, h]  # 10 x 10 px
        frames[i, 40:51, 30:51] = 255
        frames[i, 60:71, 100:111] = 100
    scores[[4, 10], RH[4]] = 0.4  # right hand: two frames with an unsure fingertip
    return frames, kpts, scores


def test_transform_outputs_and_geometry():
    frames, kpts, scores = _clip()
    reader = FakeReader(frames)
    inds = np.arange(0, 30, 2)  # a view of 15 frames
    results = dict(frame_inds=inds, video_reader=reader, clip_keypoints=kpts, clip_keypoint_scores=scores,
                   sample_id='a', video_path='a.mp4')
    out = TRANSFORMS.build(dict(type='ScoreAwareHandSampling', test_mode=True))(results)
    k = math.ceil(0.1 * 15)
    assert out['hand_crops'].shape == (2, k, 112, 112, 3) and out['hand_crops'].dtype == np.uint8
    assert out['hand_kpts'].shape == (2, k, 21, 2) and out['hand_valid'].all()
    # Right hand: the frames with an unsure fingertip (video frames 4 and 10) are the only ones with more
    # than eps weight.
    assert out['hand_frame_inds'][1].tolist() == [2, 5]
    # Only chosen frames were decoded, once.
    assert len(reader.requested) == 1
    assert sorted(reader.requested[0]) == sorted(set(inds[out['hand_frame_inds'].ravel()].tolist()))
    # Same side for both hands, 1.2 x the largest extent (the left hand's 20 px).
    extent = out['hand_kpts'].max(2) - out['hand_kpts'].min(2)  # (2, K, 2)
    np.testing.assert_allclose(extent[0, :, 0], 20 / 24, atol=0.02)
    np.testing.assert_allclose(extent[1, :, 0], 10 / 24, atol=0.02)
    # The crop shows the hand: bright at the centre of the left crop, dim at the right one's.
    assert out['hand_crops'][0, :, 56, 56].min() == 255
    assert abs(int(out['hand_crops'][1, 0, 56, 56, 0]) - 100) <= 1
    assert out['hand_crops'][0, :, 2, 56].max() == 0  # outside the hand box


def test_transform_test_mode_deterministic_and_train_random():
    frames, kpts, scores = _clip()
    scores[:, LH] = np.random.default_rng(3).uniform(0.4, 1.0, size=(30, 21))

    def run(test_mode, sid='clip'):
        res = dict(frame_inds=np.arange(30), video_reader=FakeReader(frames), clip_keypoints=kpts,
                   clip_keypoint_scores=scores, sample_id=sid)
        return ScoreAwareHandSampling(ratio=0.2, test_mode=test_mode)(res)['hand_frame_inds'][0].tolist()

    assert run(True) == run(True)
    assert len({tuple(run(True, f's{i}')) for i in range(8)}) > 1  # seeded per clip
    np.random.seed(0)
    assert len({tuple(run(False)) for _ in range(8)}) > 1


def test_transform_padding_and_no_valid_frames():
    frames, kpts, scores = _clip()
    scores[:, LH] = 0.1  # left hand never valid
    reader = FakeReader(frames)
    res = dict(frame_inds=np.arange(20), video_reader=reader, clip_keypoints=kpts,
               clip_keypoint_scores=scores, pose_mask=np.arange(20) < 12)
    out = ScoreAwareHandSampling(max_frames=3, test_mode=True)(res)
    assert out['hand_valid'].shape == (2, 3)
    assert not out['hand_valid'][0].any() and out['hand_crops'][0].max() == 0
    assert out['hand_valid'][1].sum() == math.ceil(0.1 * 12)
    assert (out['hand_frame_inds'][1][out['hand_valid'][1]] < 12).all()  # padded frames never chosen


def test_transform_errors_name_the_file(tmp_path):
    frames, kpts, scores = _clip()
    res = dict(frame_inds=np.arange(40), clip_keypoints=kpts, clip_keypoint_scores=scores,
               video_path='v.mp4', pose_path='p.pkl')
    with pytest.raises(ValueError, match='p.pkl.*disagree'):
        ScoreAwareHandSampling()(res)
    res = dict(frame_inds=np.arange(10), clip_keypoints=kpts, clip_keypoint_scores=scores,
               video_path=str(tmp_path / 'missing.mp4'))
    with pytest.raises(ValueError, match='missing.mp4: cannot open video'):
        ScoreAwareHandSampling()(res)


def test_transform_reads_pose_file_and_decodes_video(tmp_path):
    frames, kpts, scores = _clip(t=20)
    video = str(tmp_path / 'clip.mp4')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 25, (160, 120))
    for f in frames:
        writer.write(f[..., ::-1].copy())
    writer.release()
    pose = str(tmp_path / 'clip.pkl')
    write_pose(pose, PoseData(kpts, scores))
    out = ScoreAwareHandSampling(test_mode=True)(
        dict(frame_inds=np.arange(20), video_path=video, pose_path=pose, sample_id='clip'))
    assert out['hand_valid'].sum() == 4
    assert out['hand_crops'][0, :, 56, 56].min() > 200  # lossy codec: near white


def test_transform_clip_offset_pixel_units_and_decoded_frames():
    frames, kpts, scores = _clip()
    inds = np.arange(0, 20, 2)
    base = dict(frame_inds=inds, sample_id='b', clip_offset=5, clip_keypoints=kpts[5:],
                clip_keypoint_scores=scores[5:])
    reader = FakeReader(frames)
    ref = ScoreAwareHandSampling(test_mode=True)(dict(base, video_reader=reader))
    chosen = np.unique(ref['hand_frame_inds'][ref['hand_valid']])
    assert sorted(reader.requested[0]) == (inds[chosen] + 5).tolist()   # file frames = clip frames + offset
    pixel = ScoreAwareHandSampling(test_mode=True)(
        dict(base, video_reader=FakeReader(frames), clip_keypoints=kpts[5:] * [160, 120],
             keypoints_unit='pixel'))
    np.testing.assert_allclose(pixel['hand_kpts'], ref['hand_kpts'], atol=1e-5)
    decoded = ScoreAwareHandSampling(test_mode=True, from_decoded_frames=True)(
        dict(base, imgs=frames[inds + 5]))
    np.testing.assert_array_equal(decoded['hand_crops'], ref['hand_crops'])


def test_pack_with_hands_and_pgf_preprocessor():
    import torch
    from mmengine.dataset import pseudo_collate

    from cclslr.registry import MODELS
    from cclslr.utils import register_all_modules
    register_all_modules()
    frames, kpts, scores = _clip()
    samples = []
    for label in range(2):
        res = dict(frame_inds=np.arange(10), video_reader=FakeReader(frames), clip_keypoints=kpts,
                   clip_keypoint_scores=scores, sample_id=f's{label}', label=label,
                   keypoints=np.zeros((10, 75, 2), np.float32), keypoint_scores=np.ones((10, 75), np.float32))
        res = ScoreAwareHandSampling(test_mode=True)(res)
        samples.append(TRANSFORMS.build(dict(type='PackSignInputsWithHands', modalities=('pose',)))(res))
    assert samples[0]['inputs']['hand_crops'][0].shape == (2, 1, 3, 112, 112)
    batch = MODELS.build(dict(type='PGFDataPreprocessor', modalities=('pose',)))(pseudo_collate(samples))
    x = batch['inputs']
    assert x['pose'][0].shape == (2, 10, 75, 3)
    assert x['hand_crops'][0].shape == (2, 2, 1, 3, 112, 112) and x['hand_crops'][0].dtype == torch.float32
    # 255 (the bright left hand) normalised with ImageNet statistics.
    assert abs(x['hand_crops'][0][0, 0, 0, 0, 56, 56].item() - (255 - 123.675) / 58.395) < 1e-4
    assert x['hand_valid'][0].dtype == torch.bool and x['hand_frame_inds'][0].shape == (2, 2, 1)
    with pytest.raises(KeyError, match='ScoreAwareHandSampling'):
        TRANSFORMS.build(dict(type='PackSignInputsWithHands', modalities=('pose',)))(
            dict(keypoints=np.zeros((10, 75, 2)), keypoint_scores=np.ones((10, 75))))
