import warnings

import numpy as np
import pytest
import torch

from cclslr.mpm import MotionMaskGenerator, compute_mask, otsu_threshold
from cclslr.mpm import online


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


def test_otsu_splits_two_modes():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0.1, 0.02, 1000), rng.normal(0.8, 0.05, 300)])
    thr = otsu_threshold(values)
    assert 0.25 < thr < 0.6
    assert (values > thr).sum() == 300
    assert otsu_threshold(np.full(10, 0.3)) == 0.3


def test_frame_diff_masks_find_the_moving_square(toy_clip):
    frames, truth = toy_clip
    footprint = np.broadcast_to(truth.any(0), truth.shape)
    gen = MotionMaskGenerator(dict(type='FrameDiffCodec'), size=None, threshold=0.1, morph_kernel=0)
    mask = gen(frames)
    assert mask.shape == truth.shape and mask.dtype == bool
    assert iou(mask, footprint) > 0.45
    temporal = MotionMaskGenerator(dict(type='FrameDiffCodec'), size=None, threshold=0.1, morph_kernel=0,
                                   map_mode='temporal')(frames)
    assert iou(temporal, truth) > 0.5  # the temporal map follows the square frame by frame
    assert iou(temporal, truth) > iou(mask, truth)


def test_deterministic_and_resized(toy_clip):
    frames, _ = toy_clip
    cfg = dict(type='GlowCodec', levels=2, steps=1, hidden=8, seed=0)
    a = MotionMaskGenerator(cfg, size=(16, 24), keep_ratio=0.2, batch_size=3)(frames)
    b = MotionMaskGenerator(cfg, size=(16, 24), keep_ratio=0.2, batch_size=5)(frames)
    assert a.shape == (8, 16, 24)
    assert np.array_equal(a, b)
    assert 0 < a.mean() < 1


def test_keep_ratio_and_threshold_selection():
    gen = MotionMaskGenerator(dict(type='FrameDiffCodec'), size=None, keep_ratio=0.25)
    z = torch.zeros(4, 2, 4, 4)
    z[:, 0, :2] = torch.arange(4.0).view(4, 1, 1)  # 8 of 32 dims vary
    keep = gen.keep_dims(z)
    assert keep.sum() == 8 and keep[0, :2].all()
    gen.keep_ratio, gen.threshold = None, 1.5
    assert gen.keep_dims(z).sum() == 0  # std of 0..3 is 1.118 < 1.5
    gen.rank_by = 'channel'
    gen.threshold = 0.5
    assert gen.keep_dims(z)[0].all() and not gen.keep_dims(z)[1].any()  # channel mean std 0.56


def test_still_clip_keeps_everything(toy_clip):
    frames, _ = toy_clip
    still = np.repeat(frames[:1], 4, axis=0)
    mask = MotionMaskGenerator(dict(type='FrameDiffCodec'), size=None, threshold=0.1)(still)
    assert mask.all()
    assert MotionMaskGenerator(dict(type='FrameDiffCodec'), size=None)(frames[:1]).all()


def test_bad_inputs():
    with pytest.raises(ValueError, match='multiple'):
        MotionMaskGenerator(dict(type='GlowCodec', levels=3, steps=1, hidden=4), size=(20, 20))
    with pytest.raises(ValueError, match='map_mode'):
        MotionMaskGenerator(dict(type='FrameDiffCodec'), map_mode='edges')
    gen = MotionMaskGenerator(dict(type='FrameDiffCodec'), size=None)
    with pytest.raises(ValueError, match=r'\(T, H, W, 3\)'):
        gen(np.zeros((4, 8, 8), np.uint8))


def test_online_compute_mask_full_size_and_cached(toy_clip, monkeypatch):
    frames, truth = toy_clip
    monkeypatch.setattr(online, '_WARNED', False)
    monkeypatch.setattr(online, '_GENERATORS', {})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        m1 = compute_mask(frames, dict(type='FrameDiffCodec'), dict(size=(16, 16), threshold=0.1))
        m2 = compute_mask(frames, dict(type='FrameDiffCodec'), dict(size=(16, 16), threshold=0.1))
    assert sum('slow' in str(w.message) for w in caught) == 1
    assert len(online._GENERATORS) == 1
    assert m1.shape == truth.shape and m1.dtype == bool
    assert np.array_equal(m1, m2)


def test_motion_mask_transform_online_mode(toy_clip, tmp_path, monkeypatch):
    """The data pipeline's MotionMask calls cclslr.mpm.build_online_mask_fn for clips without a cache."""
    from cclslr.datasets.transforms.motion_mask import MotionMask
    monkeypatch.delenv(online.FLOW_ENV, raising=False)
    frames, truth = toy_clip
    t = MotionMask(cache_root=str(tmp_path), prob=1.0, on_missing='online', keep_mask=True)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        out = t.transform(dict(imgs=frames.copy(), sample_id='none', frame_inds=np.arange(8)))
    assert out['motion_masked'] and out['motion_mask'].shape == truth.shape
    assert (out['imgs'][~out['motion_mask']] == 0).all()
    assert 0 < out['motion_mask'].mean() < 1


def test_motion_mask_online_codec_from_config(toy_clip, tmp_path, monkeypatch):
    """online_cfg chooses the codec from the config (no environment variable needed)."""
    from cclslr.datasets.transforms.motion_mask import MotionMask
    monkeypatch.delenv(online.FLOW_ENV, raising=False)
    frames, _ = toy_clip
    cfg = dict(codec_cfg=dict(type='FrameDiffCodec'), generator_cfg=dict(size=(16, 16), threshold=0.1))
    t = MotionMask(cache_root=str(tmp_path), prob=1.0, on_missing='online', keep_mask=True, online_cfg=cfg)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        out = t.transform(dict(imgs=frames.copy(), sample_id='none', frame_inds=np.arange(8)))
    assert not any('is not set' in str(w.message) for w in caught)  # no fallback warning: the config decided
    expected = compute_mask(frames, cfg['codec_cfg'], cfg['generator_cfg'])
    assert np.array_equal(out['motion_mask'], expected)
    with pytest.raises(KeyError, match='online_cfg'):
        MotionMask(on_missing='online', online_cfg=dict(codec=dict(type='FrameDiffCodec')))
