"""tools/data/prepare_videos.py and the prepared-files switch (``data_prefix.prepared``): tiny videos
written here whose frames carry their index, one real clip."""
import importlib.util
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from cclslr.datasets.transforms import DecordInit, LoadPose
from cclslr.fileio import open_video, read_video, video_num_frames, write_video
from cclslr.fileio.video_encode import (encode_clip, keypoints_to_prepared, prepared_size, read_index,
                                        write_index)
from cclslr.registry import DATASETS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
T, H, W = 40, 96, 160


def _tool():
    """The tool as a module, loaded once (its worker function must pickle by name for the pool)."""
    if 'prepare_videos' not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            'prepare_videos', osp.join(REPO, 'tools', 'data', 'prepare_videos.py'))
        module = importlib.util.module_from_spec(spec)
        sys.modules['prepare_videos'] = module
        spec.loader.exec_module(module)
    return sys.modules['prepare_videos']


def _frames(t=T, h=H, w=W):
    """Frame index x 6 in the red channel, a gradient in blue: levels 6 apart stay apart after coding."""
    frames = np.full((t, h, w, 3), 90, np.uint8)
    frames[..., 0] = (np.arange(t) * 6).astype(np.uint8)[:, None, None]
    frames[..., 2] = np.linspace(0, 255, w).astype(np.uint8)
    return frames


def _frame_ids(frames, source):
    """For each frame, the index of the source frame (as decoded) whose red level is nearest."""
    red = frames[..., 0].astype(float).mean((1, 2))
    ref = source[..., 0].astype(float).mean((1, 2))
    return np.abs(red[:, None] - ref[None]).argmin(1)


@pytest.fixture(scope='module')
def tiny_set(tmp_path_factory):
    """WLASL-format set: clips a (frames 5-24 annotated), b (whole file), c (video missing); pixel poses."""
    root = tmp_path_factory.mktemp('prep')
    (root / 'videos').mkdir()
    (root / 'poses').mkdir()
    rng = np.random.default_rng(0)
    for vid in ('a', 'b'):
        write_video(str(root / 'videos' / f'{vid}.mp4'), _frames(), fps=25)
        kpts = rng.uniform(0, 1, (T, 133, 2)).astype(np.float32) * [W, H]
        kpts[:, 0, 0] = np.arange(T)  # keypoint 0's x = the frame index: the time offset is checked
        frames = [dict(frame_id=t, instances=[dict(keypoints=k.tolist(), keypoint_scores=[1.0] * 133)])
                  for t, k in enumerate(kpts)]  # MMPose json: pixel units
        (root / 'poses' / f'{vid}.json').write_text(json.dumps(frames))
    insts = [dict(video_id='a', frame_start=6, frame_end=25, split='train', signer_id=0),
             dict(video_id='b', frame_start=1, frame_end=-1, split='train', signer_id=1),
             dict(video_id='c', frame_start=1, frame_end=-1, split='val', signer_id=1)]
    (root / 'ann.json').write_text(json.dumps([dict(gloss='g', instances=insts)]))
    cfg = root / 'cfg.py'
    dataset = dict(type='WLASLDataset', ann_file=str(root / 'ann.json'), subset=None, pose_ext='.json',
                   data_prefix=dict(video=str(root / 'videos'), pose=str(root / 'poses'),
                                    prepared=str(root / 'prepared')))
    cfg.write_text('\n'.join(f'{s}_dataloader = dict(dataset={dict(dataset, split=s)!r})'
                             for s in ('train', 'val')))
    return root, str(cfg)


def test_config_prepared_resumed_and_failure_reported(tiny_set, capsys):
    root, cfg = tiny_set
    out = root / 'prepared'
    tool = _tool()
    assert tool.main([cfg, '--short-side', '48']) == 1  # c's video is missing: reported, the rest done
    failures = [json.loads(line) for line in (out / 'prepare_failures.jsonl').read_text().splitlines()]
    assert [f['sample_id'] for f in failures] == ['c'] and 'file not found' in failures[0]['reason']
    index = read_index(str(out))
    assert sorted(index) == ['a', 'b']
    assert (index['a']['frame_start'], index['a']['frame_end'], index['a']['size']) == (5, 25, [80, 48])
    frames, n = read_video(str(out / 'a.mp4'))
    assert n == 20 and frames.shape == (20, 48, 80, 3)
    source, _ = read_video(str(root / 'videos' / 'a.mp4'))
    np.testing.assert_array_equal(_frame_ids(frames, source), np.arange(5, 25))  # the annotated frames
    assert not [f for f in os.listdir(out) if f.endswith('.cclslr-tmp')]

    mtime = os.stat(out / 'a.mp4').st_mtime_ns
    capsys.readouterr()
    assert tool.main([cfg, '--short-side', '48', '--split', 'train']) == 0
    assert '2 already prepared' in capsys.readouterr().out and os.stat(out / 'a.mp4').st_mtime_ns == mtime
    assert tool.main([cfg, '--short-side', '32', '--split', 'train']) == 0  # other settings: done again
    assert read_index(str(out))['a']['size'] == [54, 32]


def test_dataset_reads_prepared_files_with_offsets(tiny_set):
    root, cfg = tiny_set
    _tool().main([cfg, '--short-side', '48', '--split', 'train'])
    prefix = dict(video=str(root / 'videos'), pose=str(root / 'poses'))
    kw = dict(ann_file=str(root / 'ann.json'), subset=None, split='train', pose_ext='.json')
    orig = DATASETS.build(dict(type='WLASLDataset', data_prefix=prefix, **kw))
    prep = DATASETS.build(dict(type='WLASLDataset', data_prefix=dict(prefix, prepared=str(root / 'prepared')),
                               **kw))
    a = prep.get_data_info(0)
    assert a['video_path'] == str(root / 'prepared' / 'a.mp4')
    assert (a['frame_start'], a['frame_end']) == (0, 20)
    assert (a['source_frame_offset'], a['pose_source_frames']) == (5, T)
    ro = LoadPose()(DecordInit()(orig.get_data_info(0)))
    rp = LoadPose()(DecordInit()(prep.get_data_info(0)))
    assert rp['total_frames'] == ro['total_frames'] == 20 and rp['clip_offset'] == 0
    assert rp['pose_img_size'] == (80, 48)
    np.testing.assert_allclose(rp['clip_keypoints'][:, 0, 0], (np.arange(5, 25) + 0.5) * 0.5 - 0.5)
    np.testing.assert_allclose(rp['clip_keypoints'], (ro['clip_keypoints'] + 0.5) * 0.5 - 0.5, atol=1e-4)
    np.testing.assert_array_equal(rp['clip_keypoint_scores'], ro['clip_keypoint_scores'])


def test_missing_prepared_sample_is_an_error_naming_the_index(tiny_set):
    root, _ = tiny_set
    cfg = dict(type='WLASLDataset', ann_file=str(root / 'ann.json'), subset=None, split='val',
               data_prefix=dict(video=str(root / 'videos'), prepared=str(root / 'prepared')))
    with pytest.raises(ValueError, match=r'prepared\.jsonl: 1 of 1 samples .* no prepared video .*\'c\''):
        DATASETS.build(cfg)
    skip = DATASETS.build(dict(cfg, on_error='skip'))  # then a bad sample: its file is missing
    with pytest.raises(ValueError, match=r'prepared/c\.mp4: cannot open video \(file not found\)'):
        DecordInit()(skip.get_data_info(0))


def test_crop_box_moves_keypoints_with_the_pixels(tmp_path):
    """A bright dot at a known source pixel is found where keypoints_to_prepared puts it."""
    frames = np.zeros((6, 120, 200, 3), np.uint8)
    frames[:, 60:64, 120:124] = 255  # centre (121.5, 61.5)
    src, dst = str(tmp_path / 's.mp4'), str(tmp_path / 'p.mp4')
    write_video(src, frames, fps=25)
    rec = encode_clip(src, dst, box=[0.25, 0.1, 0.85, 0.9], short_side=48)
    assert rec['crop_box'] == [50, 12, 170, 108] and rec['size'] == [60, 48]
    assert prepared_size(120, 96, 48) == (60, 48)
    out, _ = read_video(dst)
    grey = out[..., 0].astype(float).mean(0)
    ys, xs = np.nonzero(grey > grey.max() / 2)
    px = keypoints_to_prepared(np.array([[121.5, 61.5]]), 'pixel', rec)[0]
    assert abs(xs.mean() - px[0]) < 0.6 and abs(ys.mean() - px[1]) < 0.6
    norm = keypoints_to_prepared(np.array([[121.5 / 200, 61.5 / 120]]), 'normalized', rec)[0]
    np.testing.assert_allclose(norm * rec['size'], px, atol=1e-4)  # one convention for both units


def test_real_clip(shared_data, tmp_path):
    """01586.mp4 (non-UTF-8 container metadata) and a 1080p clip: exact frame count, close pixels."""
    for vid, size in (('01586', [288, 192]), ('30053', [456, 256])):
        src = osp.join(shared_data, 'videos', f'{vid}.mp4')
        rec = encode_clip(src, str(tmp_path / f'{vid}.mp4'), 2, 20)
        assert rec['size'] == size and rec['frame_end'] == 20
        prepared, n = read_video(str(tmp_path / f'{vid}.mp4'))
        assert n == 18 == video_num_frames(open_video(str(tmp_path / f'{vid}.mp4')))
        orig, _ = read_video(src, 2, 20)
        small = np.stack([cv2.resize(f, tuple(size), interpolation=cv2.INTER_AREA) for f in orig])
        assert np.abs(small.astype(int) - prepared).mean() < 4


def test_motion_mask_of_the_original_reads_the_cut_frames(tmp_path):
    """A mask cache made from the original video (its length) is read at the cut's offset."""
    from cclslr.datasets.transforms import MotionMask
    from cclslr.fileio import save_mask
    mask = np.zeros((T, 4, T), bool)
    for i in range(T):
        mask[i, :, :i] = True  # frame i keeps i columns
    save_mask(str(tmp_path), 'a', mask)
    geom = dict(source_size=[T, 4], crop_box=[0, 0, T, 4], size=[T, 4])
    view = dict(imgs=np.ones((2, 4, T, 3), np.uint8), frame_inds=np.array([0, 3]), clip_offset=0,
                sample_id='a', video_num_frames=20, pose_source_frames=T, source_frame_offset=5,
                prepared_geometry=geom)
    out = MotionMask(cache_root=str(tmp_path), prob=1.0)(dict(view))
    assert out['imgs'][:, 0, :, 0].sum(1).tolist() == [5, 8]
    cropped = dict(view, prepared_geometry=dict(geom, crop_box=[2, 0, T, 4]))
    with pytest.raises(ValueError, match='made from the original video'):
        MotionMask(cache_root=str(tmp_path), prob=1.0)(cropped)
    whole = dict(view, video_num_frames=T, source_frame_offset=0)  # a cut of the whole file: no offset
    assert MotionMask(cache_root=str(tmp_path), prob=1.0)(whole)['imgs'][:, 0, :, 0].sum(1).tolist() == [0, 3]


def test_folder_mode_prepares_whole_files(tiny_set, tmp_path):
    root, _ = tiny_set
    args = [str(root / 'videos'), '--out', str(tmp_path), '--short-side', '48', '--num-workers', '2']
    assert _tool().main(args) == 0  # two worker processes
    index = read_index(str(tmp_path))
    assert sorted(index) == ['a', 'b']
    assert [(r['frame_start'], r['frame_end'], r['source_frames']) for r in index.values()] == [(0, T, T)] * 2


def test_resume_after_a_kill(tiny_set, tmp_path):
    """What a killed run leaves (a half-written index line, a dead writer's temp file, a clip without its
    record) is cleaned up and finished by the next run."""
    root, _ = tiny_set
    tool = _tool()
    args = [str(root / 'videos'), '--out', str(tmp_path), '--short-side', '48']
    assert tool.main(args) == 0
    index = read_index(str(tmp_path))
    write_index(str(tmp_path), {'a': index['a']})  # b's clip was written, its record not yet
    with open(tmp_path / 'prepared.jsonl', 'a') as f:
        f.write('{"sample_id": "b", "fi')  # killed mid-line
    stale = tmp_path / '.b.mp4.999999999.x1.cclslr-tmp'  # a dead process's temporary file
    stale.write_bytes(b'partial')
    with pytest.raises(ValueError, match='line 2 is not a prepared-video record'):
        read_index(str(tmp_path))  # what the dataset would say
    mtime_a = os.stat(tmp_path / 'a.mp4').st_mtime_ns
    assert tool.main(args) == 0
    assert sorted(read_index(str(tmp_path))) == ['a', 'b'] and not stale.exists()
    assert os.stat(tmp_path / 'a.mp4').st_mtime_ns == mtime_a  # finished work is kept
