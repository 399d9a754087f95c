"""Loading: decode of the views, pose loading and time alignment, bad files named, on_error."""
import json

import numpy as np
import pytest
import torch
from conftest import W, plausible_pose, train_pipeline, wlasl_cfg

from cclslr.datasets.transforms import DecodeFrames, DecordInit, LoadPose, MultiView, SignRandomResizedCrop
from cclslr.datasets.transforms.formatting import to_cthw
from cclslr.fileio import PoseData, save_mask, write_pose
from cclslr.registry import DATASETS, TRANSFORMS
from cclslr.structures import SharedFrames
from cclslr.utils import register_all_modules

register_all_modules()


def _index_of(ds, sample_id):
    return next(i for i in range(len(ds)) if ds.get_data_info(i)['sample_id'] == sample_id)


def test_building_does_not_touch_videos(tmp_path, tiny_wlasl):
    ann = json.loads((tiny_wlasl / 'WLASL_v0.3.json').read_text())
    ds = DATASETS.build(dict(type='WLASLDataset', ann_file=str(tiny_wlasl / 'WLASL_v0.3.json'), subset=None,
                             split='train', data_prefix=dict(video=str(tmp_path / 'nowhere'))))
    assert len(ds) == sum(i['split'] == 'train' for g in ann for i in g['instances'])
    assert ds.get_data_info(0)['pose_path'] is None


def test_two_views_shared_indices_and_frame_range(tiny_wlasl):
    pipeline = [dict(type='DecordInit'), dict(type='LoadPose'),
                dict(type='MultiView', num_views=2, transforms=[
                    dict(type='PairedTemporalCrop', clip_len=6), dict(type='DecodeFrames')])]
    ds = DATASETS.build(wlasl_cfg(tiny_wlasl, pipeline))
    res = ds[_index_of(ds, '00005')]  # annotated frames 5..16 (1-based) -> file frames 4..15
    assert res['clip_offset'] == 4 and res['total_frames'] == 12
    for v in res['views']:
        assert v['imgs'].shape == (6, 48, W, 3) and v['keypoints'].shape == (6, 133, 2)
        # The red channel encodes the file frame index (x12); mp4v is lossy, so compare coarsely.
        red = v['imgs'][..., 0].astype(float).mean((1, 2))
        assert np.allclose(red, (v['frame_inds'] + 4) * 12, atol=8)
        assert 'video_reader' not in v and 'clip_keypoints' not in v


def test_views_decode_once(tiny_wlasl):
    calls = []

    class CountingReader:
        def __init__(self, reader):
            self.reader = reader

        def get_batch(self, inds):
            calls.append(list(inds))
            return self.reader.get_batch(inds)

    res = DecordInit()(dict(video_path=str(tiny_wlasl / 'videos' / '00000.mp4')))
    res['video_reader'] = CountingReader(res['video_reader'])
    mv = MultiView([dict(type='PairedTemporalCrop', clip_len=8), DecodeFrames()], num_views=2)
    out = mv(res)
    assert len(calls) == 1
    union = np.union1d(out['views'][0]['frame_inds'], out['views'][1]['frame_inds'])
    assert calls[0] == union.tolist()


def test_every_real_video_loads(shared_data):
    crop = TRANSFORMS.build(dict(type='PairedTemporalCrop', clip_len=4, test_mode=True))
    for line in (shared_data / 'videos' / 'manifest.csv').read_text().splitlines()[1:]:
        fields = line.split(',')
        path = str(shared_data / 'videos' / fields[-1])
        res = DecodeFrames()(crop(DecordInit()(dict(video_path=path))))
        assert res['imgs'].shape == (4, int(fields[3]), int(fields[2]), 3), path
        assert abs(res['video_num_frames'] - int(fields[5])) <= 3, path


def test_bad_files_are_named_and_raise_by_default(tiny_wlasl):
    ds = DATASETS.build(wlasl_cfg(tiny_wlasl, train_pipeline()))
    cases = {'00006': ('00006.mp4', 'cannot open video'), '00007': ('00007.pkl', 'not found'),
             '00008': ('00008.pkl', 'length mismatch')}
    for sid, (name, reason) in cases.items():
        with pytest.raises(Exception) as err:
            ds[_index_of(ds, sid)]
        assert name in str(err.value) and reason in str(err.value)


def test_on_error_skip_counts_and_returns_other_samples(tiny_wlasl):
    ds = DATASETS.build(wlasl_cfg(tiny_wlasl, train_pipeline(), on_error='skip'))
    for sid in ('00006', '00007', '00008'):
        out = ds[_index_of(ds, sid)]
        assert out['data_samples'].sample_id not in ('00006', '00007', '00008')
    assert ds.num_skipped >= 3
    assert {b['sample_id'] for b in ds.bad_samples} >= {'00006', '00007', '00008'}
    test_ds = DATASETS.build(wlasl_cfg(tiny_wlasl, train_pipeline(), on_error='skip', test_mode=True))
    i = _index_of(test_ds, '00006')
    assert test_ds[i]['data_samples'].sample_id == test_ds.get_data_info((i + 1) % len(test_ds))['sample_id']


def test_nan_keypoints_zeroed_or_error(tiny_wlasl):
    res = dict(video_path='v', pose_path=str(tiny_wlasl / 'poses' / '00009.pkl'))
    out = LoadPose()(dict(res))
    assert out['pose_num_nan'] == 1 and out['clip_keypoint_scores'][3, 100] == 0
    assert np.isfinite(out['clip_keypoints']).all()
    with pytest.raises(ValueError, match='00009.pkl.*NaN'):
        LoadPose(on_nan='error')(dict(res))


def test_planted_pose_pickle_is_refused_by_the_pipeline(tiny_wlasl, tmp_path):
    import os
    import pickle
    import re

    class Planted:
        def __reduce__(self):
            return os.system, (f'touch {tmp_path / "marker"}',)

    poses = tmp_path / 'poses'
    poses.mkdir()
    (poses / '00000.pkl').write_bytes(pickle.dumps(dict(keypoints=Planted(), scores=[])))
    cfg = dict(wlasl_cfg(tiny_wlasl, [dict(type='DecordInit'), dict(type='LoadPose')]),
               data_prefix=dict(video=str(tiny_wlasl / 'videos'), pose=str(poses)))
    ds = DATASETS.build(cfg)
    expected = re.escape(f'{poses / "00000.pkl"}: refused to unpickle {os.system.__module__}.system (pose '
                         'files may hold only arrays and plain containers)') + '$'
    with pytest.raises(ValueError, match=expected):
        ds[_index_of(ds, '00000')]
    with pytest.raises(ValueError, match=expected):
        LoadPose(format='unisign')(dict(pose_path=str(poses / '00000.pkl'), video_path='v.mp4'))
    assert not (tmp_path / 'marker').exists()


def test_pose_time_alignment(tmp_path):
    rng = np.random.default_rng(0)
    kpts, scores = plausible_pose(19, rng)
    kpts[:, 0, 0] = np.arange(19) / 100
    write_pose(str(tmp_path / 'p.pkl'), PoseData(kpts, scores))
    out = LoadPose()(dict(pose_path=str(tmp_path / 'p.pkl'), video_path='v.mp4', video_num_frames=20,
                          total_frames=10, clip_offset=10))
    # 19 pose frames over 20 video frames: video frame i <- pose frame floor((i + .5) * 19 / 20).
    expected = np.floor((np.arange(10, 20) + 0.5) * 19 / 20) / 100
    assert np.allclose(out['clip_keypoints'][:, 0, 0], expected)


class _EagerDecode(DecodeFrames):
    """The pre-SharedFrames behaviour: every view gets its own full-size copy of its frames."""

    def transform_views(self, views):
        return [dict(v, imgs=np.asarray(v['imgs'])) for v in super().transform_views(views)]


def _two_view_pipeline(decode, mask_root, geometry):
    view = [TRANSFORMS.build(dict(type='PairedTemporalCrop', clip_len=12, min_ratio=0.1)), decode,
            TRANSFORMS.build(dict(type='MotionMask', cache_root=str(mask_root), prob=0.7))]
    view += [TRANSFORMS.build(c) for c in geometry]
    view += [TRANSFORMS.build(dict(type=t)) for t in ('SignFlip', 'SignColorJitter', 'PoseNormalize')]
    return [DecordInit(), LoadPose(), MultiView(view, num_views=2),
            TRANSFORMS.build(dict(type='PackSignInputs'))]


@pytest.mark.parametrize('geometry', [
    [dict(type='SignRandomResizedCrop', size=24, area_range=(0.2, 1.0))],
    [dict(type='CropToBox'), dict(type='SignResize', scale=20, keep_ratio=True),
     dict(type='SignCenterCrop', size=16)],
    [dict(type='SignCenterCrop', size=40)],  # no resize: the crop is gathered from the shared frames
    [],  # no geometric transform: packing materialises the shared frames
])
def test_shared_frames_give_the_same_views_as_full_copies(tiny_wlasl, tmp_path, geometry):
    rng = np.random.default_rng(3)
    save_mask(str(tmp_path), '00001', rng.random((20, 7, 9)) < 0.6)  # another size than the 48x64 frames
    sample = dict(video_path=str(tiny_wlasl / 'videos' / '00001.mp4'),
                  pose_path=str(tiny_wlasl / 'poses' / '00001.pkl'), sample_id='00001',
                  crop_to_box=True, box=[0.1, 0.05, 0.9, 0.8])
    outs = []
    for decode in (DecodeFrames(), _EagerDecode()):
        np.random.seed(5)
        runs = []
        for _ in range(6):  # several draws: masked and unmasked views, flips, repeated frames
            res = dict(sample)
            for t in _two_view_pipeline(decode, tmp_path, geometry):
                res = t(res)
            runs.append(res['inputs'])
        outs.append(runs)
    for lazy, eager in zip(*outs):
        for a, b in zip(lazy['rgb'] + lazy['pose'], eager['rgb'] + eager['pose']):
            assert a.shape == b.shape and torch.equal(a, b)


def test_views_share_the_decoded_frames_until_cropped(tiny_wlasl):
    res = DecordInit()(dict(video_path=str(tiny_wlasl / 'videos' / '00000.mp4')))
    np.random.seed(0)
    crop = dict(type='PairedTemporalCrop', clip_len=8, min_ratio=0.1)
    views = MultiView([crop, DecodeFrames()])(res)['views']
    a, b = views[0]['imgs'], views[1]['imgs']
    assert isinstance(a, SharedFrames) and a.source is b.source and a.shape == (8, 48, W, 3)
    with pytest.raises(ValueError):  # shared: read-only, a view cannot write into the other's frames
        a.source[0, 0, 0, 0] = 1
    full = np.asarray(a)
    assert full.flags.writeable and not np.shares_memory(full, a.source)
    assert np.array_equal(full, a.source[a.pos]) and np.array_equal(a[3], full[3])
    crop = SignRandomResizedCrop(size=16)(dict(views[0]))['imgs']
    assert isinstance(crop, np.ndarray) and crop.shape == (8, 16, 16, 3)
    assert not np.shares_memory(crop, a.source)
    # A single view whose indices are exactly the decoded frames keeps the decoded array itself.
    single = DecodeFrames()(dict(res, video_reader=DecordInit()(dict(res))['video_reader'],
                                 frame_inds=np.arange(5)))
    assert isinstance(single['imgs'], np.ndarray) and single['imgs'].shape == (5, 48, W, 3)


def test_shared_frames_mask_and_crop():
    rng = np.random.default_rng(0)
    source = rng.integers(0, 255, (4, 10, 12, 3), dtype=np.uint8)
    pos = np.array([0, 2, 2, 3])
    small = rng.random((4, 5, 6)) < 0.5
    frames = SharedFrames(source, pos).with_mask(small)
    full_mask = small.repeat(2, 1).repeat(2, 2)  # nearest-neighbour x2 of the 5x6 mask
    expect = source[pos] * full_mask[..., None]
    assert np.array_equal(np.asarray(frames), expect)
    assert np.array_equal(frames.crop_resize((2, 1, 9, 8)), expect[:, 1:8, 2:9])
    both = frames.with_mask(np.ones((4, 10, 12), bool) & (np.arange(12) < 6))
    assert np.array_equal(np.asarray(both)[..., 6:, :], np.zeros_like(expect[..., 6:, :]))
    assert np.array_equal(np.asarray(both)[..., :6, :], expect[..., :6, :])
    with pytest.raises(ValueError, match='outside'):
        frames.crop_resize((-1, 0, 5, 5))
    with pytest.raises(ValueError, match='mask of shape'):
        frames.with_mask(np.ones((3, 10, 12), bool))


def test_pack_channel_split_matches_transpose():
    x = np.random.default_rng(0).integers(0, 255, (3, 5, 7, 3), dtype=np.uint8)
    assert np.array_equal(to_cthw(x), x.transpose(3, 0, 1, 2)) and to_cthw(x).flags.c_contiguous
    f = x.astype(np.float32)
    assert np.array_equal(to_cthw(f), f.transpose(3, 0, 1, 2))
