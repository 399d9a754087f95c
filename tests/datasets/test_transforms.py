"""Temporal crop, geometric consistency of RGB/pose/mask, pose normalisation, MotionMask, packing."""
import numpy as np
import pytest
import torch
from conftest import train_pipeline, wlasl_cfg

from cclslr.structures.keypoint_layout import KEPT_75
from cclslr.fileio import save_mask
from cclslr.datasets.transforms import (MotionMask, PairedTemporalCrop, PoseNormalize, SelectKeypoints,
                                        SignFlip, SignRandomResizedCrop)
from cclslr.registry import DATASETS
from cclslr.utils import register_all_modules

register_all_modules()


def test_temporal_crop_span_and_test_mode():
    np.random.seed(0)
    crop = PairedTemporalCrop(clip_len=8, min_ratio=0.1)
    spans = []
    for _ in range(300):
        inds = crop(dict(total_frames=100))['frame_inds']
        assert inds.shape == (8,) and (np.diff(inds) >= 0).all() and inds.min() >= 0 and inds.max() < 100
        spans.append(inds[-1] - inds[0])
    assert min(spans) < 20 and max(spans) > 80  # spans cover [l*T, T]
    test = PairedTemporalCrop(clip_len=4, test_mode=True)
    assert test(dict(total_frames=8))['frame_inds'].tolist() == [1, 3, 5, 7]
    assert test(dict(total_frames=2))['frame_inds'].tolist() == [0, 0, 1, 1]
    kp = np.arange(10, dtype=np.float32)[:, None, None] * np.ones((10, 133, 2), np.float32)
    res = crop(dict(total_frames=10, clip_keypoints=kp, clip_keypoint_scores=np.ones((10, 133))))
    assert np.allclose(res['keypoints'][:, 0, 0], res['frame_inds'])  # pose follows the RGB indices


def _dot_view(x=10, y=7, h=24, w=40):
    imgs = np.zeros((2, h, w, 3), np.uint8)
    imgs[:, y, x] = 255
    kpts = np.zeros((2, 133, 2), np.float32)
    kpts[:, 9] = [x, y]  # left wrist
    return dict(imgs=imgs, keypoints=kpts, keypoint_scores=np.ones((2, 133), np.float32),
                keypoints_unit='pixel')


def _dot_position(imgs):
    ys, xs = np.nonzero(imgs[0, ..., 0] > 100)
    return xs.mean(), ys.mean()


def test_flip_rgb_and_pose_agree():
    res = SignFlip(prob=1.0)(_dot_view())
    x, y = _dot_position(res['imgs'])
    # The dot moved to the mirrored column and the left wrist became the right wrist (COCO 10).
    assert (x, y) == (40 - 1 - 10, 7)
    assert np.allclose(res['keypoints'][0, 10], [x, y]) and np.allclose(res['keypoints'][0, 9], [39, 0])
    assert SignFlip(prob=0.0)(_dot_view())['flip'] is False
    v = _dot_view()
    v['keypoints'] = v['keypoints'][:, KEPT_75]
    v['keypoint_scores'] = v['keypoint_scores'][:, KEPT_75]
    out = SignFlip(prob=1.0)(v)
    assert np.allclose(out['keypoints'][0, KEPT_75.index(10)], [29, 7])


def test_random_resized_crop_moves_keypoints_with_pixels():
    np.random.seed(1)
    for _ in range(5):
        v = _dot_view(x=20, y=12, h=48, w=64)
        v['imgs'][:, 11:14, 19:22] = 255  # a 3x3 blob survives the resize
        out = SignRandomResizedCrop(size=32, area_range=(0.5, 1.0))(v)
        assert out['imgs'].shape == (2, 32, 32, 3)
        if out['imgs'][0, ..., 0].max() > 100:
            x, y = _dot_position(out['imgs'])
            assert np.allclose(out['keypoints'][0, 9], [x, y], atol=1.5)


def test_pose_normalize_matches_method():
    kp = np.zeros((1, 133, 2), np.float32)
    sc = np.full((1, 133), 0.9, np.float32)
    body = [0, 5, 6, 7, 8, 9, 10]
    kp[0, body] = [[50, 10], [30, 30], [70, 30], [20, 60], [80, 60], [40, 90], [60, 90]]
    kp[0, 91:112] = [40, 90]
    kp[0, 95] = [48, 86]   # thumb tip offset (8, -4) from the wrist
    kp[0, 53] = [50, 12]
    kp[0, 23] = [35, 20]   # jaw point offset (-15, 8) from the nose
    sc[0, 120] = 0.2       # a low-score right-hand point
    out = PoseNormalize()(dict(keypoints=kp, keypoint_scores=sc))
    k, s = out['keypoints'][0], out['keypoint_scores'][0]
    # Box over body: x 20..80, y 10..90 -> side 80, corner (10, 10).
    assert np.allclose(k[0], [(50 - 10) / 80 * 2 - 1, (10 - 10) / 80 * 2 - 1])
    assert np.allclose(k[10], [(60 - 10) / 80 * 2 - 1, 1.0])
    assert np.allclose(k[95], [8 / 80, -4 / 80]) and np.allclose(k[91], 0)
    assert np.allclose(k[23], [-15 / 80, 8 / 80])
    assert (k[120] == 0).all() and s[120] == 0 and s[0] == pytest.approx(0.9)
    sc_bad = np.full((1, 133), 0.1, np.float32)
    assert (PoseNormalize()(dict(keypoints=kp, keypoint_scores=sc_bad))['keypoints'] == 0).all()
    sel = SelectKeypoints()(dict(out))
    assert sel['keypoints'].shape == (1, 75, 2) and np.allclose(sel['keypoints'][0, 0], k[0])


def test_motion_mask_applies_cached_mask(tmp_path):
    mask = np.zeros((20, 6, 8), bool)
    mask[:, :, :4] = True  # keep the left half
    save_mask(str(tmp_path), '00000', mask)
    view = dict(sample_id='00000', imgs=np.full((3, 12, 16, 3), 200, np.uint8),
                frame_inds=np.array([0, 5, 9]), clip_offset=2)
    out = MotionMask(str(tmp_path), prob=1.0, keep_mask=True)(dict(view))
    assert out['motion_masked']
    assert (out['imgs'][:, :, :8] == 200).all() and (out['imgs'][:, :, 8:] == 0).all()
    flipped = SignFlip(prob=1.0)(out)
    assert flipped['motion_mask'][:, :, 8:].all() and not flipped['motion_mask'][:, :, :8].any()
    missing = MotionMask(str(tmp_path), prob=1.0)
    out = missing(dict(view, sample_id='nope'))
    assert missing.num_missing == 1 and not out['motion_masked'] and (out['imgs'] == 200).all()
    with pytest.raises(FileNotFoundError, match='nope'):
        MotionMask(str(tmp_path), prob=1.0, on_missing='error')(dict(view, sample_id='nope'))
    online = MotionMask(str(tmp_path), prob=1.0, on_missing='online',
                        mask_fn=lambda imgs, res: np.zeros(imgs.shape[:3], bool))
    assert (online(dict(view, sample_id='nope'))['imgs'] == 0).all()


def test_full_pretraining_pipeline_two_views(tiny_wlasl, tmp_path):
    save_mask(str(tmp_path), '00000', np.ones((20, 6, 8), bool))
    ds = DATASETS.build(wlasl_cfg(tiny_wlasl, train_pipeline(clip_len=8, size=32, mask_root=tmp_path),
                                  split=['train']))
    out = ds[0]
    rgb, pose = out['inputs']['rgb'], out['inputs']['pose']
    assert set(out['inputs']) == {'rgb', 'pose'}  # the pose mask is made at batching, not here
    assert len(rgb) == len(pose) == 2
    assert rgb[0].dtype == torch.uint8 and rgb[0].shape == (3, 8, 32, 32)
    assert pose[0].shape == (8, 75, 3) and pose[0][..., :2].abs().max() <= 1
    assert out['data_samples'].gt_label.item() == 0 and out['data_samples'].sample_id == '00000'
    single = DATASETS.build(wlasl_cfg(tiny_wlasl, train_pipeline(num_views=1), split=['train']))
    assert len(single[0]['inputs']['rgb']) == 1


def test_color_jitter_identity_and_grey():
    from cclslr.datasets.transforms import SignColorJitter
    x = np.random.default_rng(0).integers(0, 255, (2, 8, 8, 3), dtype=np.uint8)
    same = SignColorJitter(brightness=0, contrast=0, saturation=0, hue=0, prob=1.0)(dict(imgs=x))['imgs']
    assert np.abs(same.astype(int) - x).max() <= 1
    grey = np.full((1, 4, 4, 3), 100, np.uint8)
    out = SignColorJitter(brightness=0, contrast=0, prob=1.0)(dict(imgs=grey))['imgs']
    assert np.abs(out.astype(int) - 100).max() <= 1  # hue/saturation leave grey unchanged
    jitter = SignColorJitter(brightness=0.5, contrast=0, saturation=0, hue=0, prob=1.0)
    bright = jitter(dict(imgs=grey))['imgs']
    assert bright.shape == grey.shape and len(np.unique(bright)) == 1


def test_frame_difference_keeps_motion_drops_static_content():
    from cclslr.datasets.transforms import FrameDifference
    rng = np.random.default_rng(0)
    background = rng.integers(0, 256, (1, 8, 8, 3), dtype=np.uint8)
    imgs = np.repeat(background, 4, axis=0)
    imgs[2, 3, 4] = np.clip(imgs[2, 3, 4].astype(int) + 40, 0, 255)  # one pixel changes in frame 2 only
    out = FrameDifference()(dict(imgs=imgs.copy(), filename='a.mp4'))['imgs']
    assert out.shape == imgs.shape and out.dtype == np.uint8
    expected = np.full(imgs.shape, 128, np.int16)  # static pixels and the first frame: grey
    d = imgs[2, 3, 4].astype(np.int16) - imgs[1, 3, 4]
    expected[2, 3, 4] = 128 + d
    expected[3, 3, 4] = 128 - d  # and back in frame 3
    assert np.array_equal(out, expected)
    # gain scales the difference and saturates at the uint8 range
    big = np.zeros((2, 1, 1, 3), np.uint8)
    big[1] = 200
    assert FrameDifference(gain=4)(dict(imgs=big))['imgs'][1, 0, 0].tolist() == [255, 255, 255]
    assert FrameDifference(gain=0.5)(dict(imgs=big))['imgs'][1, 0, 0].tolist() == [178, 178, 178]
    with pytest.raises(ValueError, match='b.mp4.*uint8'):
        FrameDifference()(dict(imgs=imgs.astype(np.float32), filename='b.mp4'))
    with pytest.raises(ValueError, match='gain'):
        FrameDifference(gain=0)


def test_iter_transforms_walks_into_wrappers():
    from cclslr.datasets.transforms import iter_transforms
    pipeline = [dict(type='DecordInit'),
                dict(type='MultiView', transforms=[dict(type='DecodeFrames'), dict(type='FrameDifference')]),
                dict(type='PackSignInputs')]
    assert [t['type'] for t in iter_transforms(pipeline)] == [
        'DecordInit', 'MultiView', 'DecodeFrames', 'FrameDifference', 'PackSignInputs']
