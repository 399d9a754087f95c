"""The synthetic sign-language generator (tiny preset): files, formats, splits, determinism, realism."""
import importlib.util
import json
import os
import os.path as osp
from pathlib import Path

import cv2
import numpy as np
import pytest

from cclslr.datasets.synthetic import keypoint_colour_agreement, make_synthetic_dataset
from cclslr.fileio import load_mask, read_pose, read_video, safe_load
from cclslr.datasets.synthetic.overlay import FACE_SKIN_POINTS, HAND_POINTS

WLASL_INSTANCE_KEYS = {'bbox', 'fps', 'frame_end', 'frame_start', 'instance_id', 'signer_id', 'source',
                       'split', 'url', 'variation_id', 'video_id'}


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic') / 'tiny')
    summary = make_synthetic_dataset(root, preset='tiny', seed=3, num_workers=1)
    return root, summary


@pytest.fixture(scope='module')
def tiny_copy(tmp_path_factory):
    """The same dataset rendered again with 2 workers, plus motion masks (which consume no randomness)."""
    root = str(tmp_path_factory.mktemp('synthetic') / 'tiny_copy')
    make_synthetic_dataset(root, preset='tiny', seed=3, num_workers=2, with_motion_gt=True)
    return root


def _load(root):
    with open(osp.join(root, 'WLASL_v0.3.json')) as f:
        ann = json.load(f)
    with open(osp.join(root, 'manifest.json')) as f:
        manifest = json.load(f)
    return ann, manifest


def _pose(path):
    """Keypoints (T, 133, 2) and scores (T, 133) of a Uni-Sign pose file."""
    pose = read_pose(path)
    return pose.keypoints, pose.scores


def _instances(ann):
    return [(label, inst) for label, g in enumerate(ann) for inst in g['instances']]


def test_annotation_matches_wlasl_and_splits_by_signer(tiny, shared_data_optional):
    root, summary = tiny
    ann, manifest = _load(root)
    assert summary['num_clips'] == 4 * 4 * 2 and not summary['skipped']
    assert [g['gloss'] for g in ann] == [c['gloss'] for c in manifest['classes']] and len(ann) == 4
    keys = WLASL_INSTANCE_KEYS
    if shared_data_optional:   # the real file's keys, when it is there
        with open(osp.join(shared_data_optional, 'wlasl', 'WLASL_v0.3.json')) as f:
            keys = set(json.load(f)[0]['instances'][0])
    split_of = {}
    for _, inst in _instances(ann):
        assert set(inst) == keys
        assert len(inst['video_id']) == 5 and inst['video_id'].isdigit()
        assert inst['frame_start'] == 1 and inst['frame_end'] == -1 and inst['fps'] == 25
        x0, y0, x1, y1 = inst['bbox']
        assert 0 <= x0 < x1 < 64 and 0 <= y0 < y1 < 64
        assert split_of.setdefault(inst['signer_id'], inst['split']) == inst['split'], 'signer in 2 splits'
    assert split_of == {0: 'train', 1: 'train', 2: 'val', 3: 'test'}
    assert summary['splits'] == {'train': 16, 'val': 8, 'test': 8}
    lines = open(osp.join(root, 'class_list.txt')).read().splitlines()
    assert lines == [f'{i}\t{g["gloss"]}' for i, g in enumerate(ann)]


@pytest.fixture(scope='module')
def shared_data_optional():
    """``../shared/data`` when present (the real WLASL keys are then checked too), else None."""
    path = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'data'
    return str(path) if (path / 'wlasl' / 'WLASL_v0.3.json').is_file() else None


def test_videos_and_poses_agree_in_format(tiny):
    root, _ = tiny
    ann, manifest = _load(root)
    dropped_hands = 0
    for _, inst in _instances(ann)[::5]:
        vid = inst['video_id']
        frames = read_video(osp.join(root, 'videos', f'{vid}.mp4'))[0]
        T = manifest['num_frames'][vid]
        assert 16 <= T <= 24 and frames.shape == (T, 64, 64, 3)
        raw = safe_load(osp.join(root, 'poses', f'{vid}.pkl'))  # only arrays and containers
        assert len(raw['keypoints']) == T and raw['keypoints'][0].shape == (1, 133, 2)
        assert len(raw['scores']) == T and raw['scores'][0].shape == (1, 133)
        pose = read_pose(osp.join(root, 'poses', f'{vid}.pkl'))
        kpts, scores = pose.keypoints, pose.scores
        assert (pose.unit, pose.image_size, pose.fps) == ('normalized', (64, 64), 25.0)
        assert (raw['width'], raw['height'], raw['fps']) == (64, 64, 25)
        assert kpts.min() >= 0 and kpts.max() <= 1 and scores.min() >= 0 and scores.max() <= 1
        assert np.all(scores[:, 13:17] < 0.1)                  # knees and ankles are below the frame
        assert np.all(scores[:, :11].mean(0) > 0.7)            # upper body is always seen
        hands = scores[:, 91:].reshape(T, 2, 21).max(-1) < 0.1
        dropped_hands += int(hands.sum())
        assert np.all(kpts[:, 91:].reshape(T, 2, 21, 2)[hands] == 0)   # a missed hand has coordinates 0
    assert dropped_hands > 0


def test_keypoints_sit_on_the_drawn_signer(tiny):
    root, _ = tiny
    ann, manifest = _load(root)
    skin = {s['signer_id']: s['skin'] for s in manifest['signers']}
    hand_agree, face_agree, shifted_agree = [], [], []
    for _, inst in _instances(ann)[::3]:
        vid = inst['video_id']
        frames = read_video(osp.join(root, 'videos', f'{vid}.mp4'))[0]
        kpts, scores = _pose(osp.join(root, 'poses', f'{vid}.pkl'))
        colours = [skin[inst['signer_id']]]
        hand_agree.append(keypoint_colour_agreement(frames, kpts, scores, colours, HAND_POINTS))
        face_agree.append(keypoint_colour_agreement(frames, kpts, scores, colours, FACE_SKIN_POINTS))
        # Control: the same points moved sideways by a fifth of the frame mostly miss the signer.
        moved = kpts.copy()
        moved[..., 0] = (moved[..., 0] + 0.2) % 1.0
        shifted_agree.append(keypoint_colour_agreement(frames, moved, scores, colours, HAND_POINTS))
    assert np.nanmean(hand_agree) > 0.9, hand_agree
    assert np.nanmean(face_agree) > 0.9, face_agree
    assert np.nanmean(shifted_agree) < 0.6, shifted_agree


def test_classes_differ_more_than_repetitions(tiny):
    root, _ = tiny
    ann, _ = _load(root)
    feats, labels = [], []
    for label, inst in _instances(ann):
        kpts, scores = _pose(osp.join(root, 'poses', f'{inst["video_id"]}.pkl'))
        idx = np.linspace(0, len(kpts) - 1, 8).round().astype(int)
        wrists = kpts[idx][:, [9, 10]]                          # body wrists: never dropped
        feats.append(wrists.ravel())
        labels.append(label)
    feats, labels = np.array(feats), np.array(labels)
    dist = np.linalg.norm(feats[:, None] - feats[None], axis=-1)
    same = labels[:, None] == labels[None]
    off_diag = ~np.eye(len(labels), dtype=bool)
    within, between = dist[same & off_diag].mean(), dist[~same].mean()
    assert between > 1.2 * within, (between, within)


def test_deterministic_by_seed_and_worker_count(tiny, tiny_copy, tmp_path):
    root, _ = tiny
    ann, manifest = _load(root)
    ann2, manifest2 = _load(tiny_copy)
    assert ann == ann2 and manifest['classes'] == manifest2['classes']
    for vid in manifest['video_ids']:
        a = open(osp.join(root, 'poses', f'{vid}.pkl'), 'rb').read()
        assert a == open(osp.join(tiny_copy, 'poses', f'{vid}.pkl'), 'rb').read()
    for vid in manifest['video_ids'][:3]:
        np.testing.assert_array_equal(read_video(osp.join(root, 'videos', f'{vid}.mp4'))[0],
                                      read_video(osp.join(tiny_copy, 'videos', f'{vid}.mp4'))[0])
    other = make_synthetic_dataset(str(tmp_path / 'seed4'), preset='tiny', seed=4, num_workers=1,
                                   num_classes=2, num_signers=3, num_reps=1)
    ann3, _ = _load(other['out_dir'])
    vid = ann3[0]['instances'][0]['video_id']
    k3, _ = _pose(osp.join(other['out_dir'], 'poses', f'{vid}.pkl'))
    k1, _ = _pose(osp.join(root, 'poses', f'{vid}.pkl'))
    assert k1.shape != k3.shape or not np.allclose(k1, k3)


def test_motion_gt_covers_arms_hands_and_mouth(tiny_copy):
    ann, manifest = _load(tiny_copy)
    for _, inst in _instances(ann)[::7]:
        vid = inst['video_id']
        mask = load_mask(osp.join(tiny_copy, 'motion_gt'), vid)
        kpts, scores = _pose(osp.join(tiny_copy, 'poses', f'{vid}.pkl'))
        assert mask.shape == (manifest['num_frames'][vid], 64, 64) and mask.dtype == bool
        assert 0.01 < mask.mean() < 0.4
        px = np.clip(np.round(kpts * 64).astype(int), 0, 63)
        # One pixel of slack for the pose file's jitter around 1-pixel-wide fingers.
        grown = np.stack([cv2.dilate(m.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0 for m in mask])
        for pts, thr in ((range(91, 133), 0.9), ([23 + 60, 23 + 64], 0.9)):   # hands, mouth corners
            on = [grown[t, px[t, j, 1], px[t, j, 0]] for t in range(len(mask)) for j in pts
                  if scores[t, j] > 0.3 and 0 < px[t, j, 0] < 63 and 0 < px[t, j, 1] < 63]
            assert np.mean(on) > thr
        for j in (23 + 8, 53, 1, 2):   # chin, nose, eyes: static (frame 0: the hands are still at rest)
            assert not mask[0, px[0, j, 1], px[0, j, 0]]
        assert not mask[:, :3, :3].any()


def test_reuses_complete_dataset_and_regenerates_on_change(tiny, tmp_path):
    root, _ = tiny
    ann_path = osp.join(root, 'WLASL_v0.3.json')
    mtime = os.stat(ann_path).st_mtime_ns
    again = make_synthetic_dataset(root, preset='tiny', seed=3, num_workers=1)
    assert again['skipped'] and os.stat(ann_path).st_mtime_ns == mtime
    small = str(tmp_path / 'small')
    kw = dict(preset='tiny', seed=0, num_workers=1, num_classes=2, num_signers=3, num_reps=1, size=48,
              min_frames=8, max_frames=10)
    assert not make_synthetic_dataset(small, **kw)['skipped']
    assert make_synthetic_dataset(small, **kw)['skipped']
    assert not make_synthetic_dataset(small, overwrite=True, **kw)['skipped']
    os.remove(osp.join(small, 'poses', '00001.pkl'))                     # incomplete -> regenerate
    assert not make_synthetic_dataset(small, **kw)['skipped']
    # A mask cache derived from the old videos (tools/demo.py writes <root>/mpm_masks) must not survive:
    # the new clips reuse the video ids, so stale masks would be read as theirs.
    os.makedirs(osp.join(small, 'mpm_masks'))
    open(osp.join(small, 'mpm_masks', '00000.npz'), 'wb').close()
    assert make_synthetic_dataset(small, **kw)['skipped']                # same data: the cache stays
    assert osp.isfile(osp.join(small, 'mpm_masks', '00000.npz'))
    changed = make_synthetic_dataset(small, **{**kw, 'num_classes': 3})
    assert not changed['skipped'] and len(os.listdir(osp.join(small, 'videos'))) == 3 * 3
    assert not osp.exists(osp.join(small, 'mpm_masks'))


def test_bad_options_are_reported(tmp_path):
    with pytest.raises(ValueError, match='num_clases'):
        make_synthetic_dataset(str(tmp_path / 'a'), preset='tiny', num_clases=3)
    with pytest.raises(ValueError, match='similarity'):
        make_synthetic_dataset(str(tmp_path / 'a'), preset='tiny', similarity=1.5)
    with pytest.raises(ValueError, match='preset'):
        make_synthetic_dataset(str(tmp_path / 'a'), preset='huge')
    with pytest.raises(ValueError, match='both'):
        make_synthetic_dataset(str(tmp_path / 'a'), preset='tiny', val_signers=(1,), test_signers=(1,))
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'notes.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='manifest'):
        make_synthetic_dataset(str(foreign), preset='tiny')


def test_wlasl_dataset_reads_it_unchanged(tiny):
    from cclslr.datasets.wlasl import WLASLDataset
    root, _ = tiny
    ds = WLASLDataset(ann_file=osp.join(root, 'WLASL_v0.3.json'), subset=None, split='test',
                      data_prefix=dict(video=osp.join(root, 'videos'), pose=osp.join(root, 'poses')))
    assert len(ds) == 8 and ds.metainfo['classes'][0].startswith('000_')
    info = ds.get_data_info(0)
    assert osp.isfile(info['video_path']) and osp.isfile(info['pose_path']) and info['signer_id'] == 3


def _load_tool(repo_root, name):
    spec = importlib.util.spec_from_file_location(name, osp.join(repo_root, 'tools', 'data', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_tools(tiny, repo_root, tmp_path, capsys):
    root, _ = tiny
    out = str(tmp_path / 'overlay.png')
    _load_tool(repo_root, 'overlay_keypoints').main([osp.join(root, 'videos', '00000.mp4'),
                                                     osp.join(root, 'poses', '00000.pkl'), out,
                                                     '--frames', '6', '--scale', '2'])
    img = cv2.imread(out)
    assert img.shape == (2 * 64 * 2, 4 * 64 * 2, 3)
    _load_tool(repo_root, 'make_synthetic_signs').main([root, '--preset', 'tiny', '--seed', '3',
                                                        '--num-workers', '1'])
    printed = capsys.readouterr().out
    assert 'reused' in printed and 'train 16, val 8, test 8' in printed


def test_hands_follow_coco_sides_and_mirror():
    from dataclasses import replace

    from cclslr.datasets.synthetic.clip import hand_tracks
    from cclslr.datasets.synthetic.signer import body_geometry, random_signer
    from cclslr.datasets.synthetic.signs import SignSpec
    from cclslr.datasets.synthetic.skeleton import hand_points
    # A mirrored right hand is the left hand (thumb included).
    right = hand_points((30.0, 40.0), -1.2, [0.2, 0, 0.5, 1, 0], 0.6, 8.0, 7.0, 1.0)
    left = hand_points((70.0, 40.0), np.pi + 1.2, [0.2, 0, 0.5, 1, 0], 0.6, 8.0, 7.0, -1.0)
    np.testing.assert_allclose(left, np.stack([100.0 - right[:, 0], right[:, 1]], -1), atol=1e-9)
    assert right[4, 0] > right[20, 0]   # right hand, palm to camera: thumb towards the body's middle
    sign = SignSpec(mode='one', traj='circle', loc='chest_side', size=1.2, angle=0.0, cycles=2, turn=1,
                    shape0='flat', shape1='flat', orient0=-1.5, orient1=-1.5, mouth='open', mouth_cycles=1)
    signer = random_signer(0, 0.5, np.random.default_rng(0))
    for left_handed, dominant in ((False, 'right'), (True, 'left')):
        s = replace(signer, left_handed=left_handed)
        g = body_geometry(s, 112, 112)
        hands, mouth, dom = hand_tracks(sign, s, g, 40, np.random.default_rng(1))
        other = 'left' if dom == 'right' else 'right'
        assert dom == dominant and mouth.max() > 0.5
        travel = {k: np.linalg.norm(np.diff(h['wrist'], axis=0), axis=-1).sum() for k, h in hands.items()}
        assert travel[dom] > 3 * travel[other]
        # COCO sides: the signer's right hand is on the image left.
        assert hands['right']['wrist'][:, 0].mean() < g.cx < hands['left']['wrist'][:, 0].mean()


def test_overlay_reads_pixel_pose_files_as_normalized(tmp_path):
    from cclslr.datasets.synthetic import normalized_pose
    kp = np.full((133, 2), [32.0, 12.0], np.float32)
    (tmp_path / 'p.json').write_text(json.dumps([dict(instances=[dict(keypoints=kp.tolist(),
                                                                      keypoint_scores=[0.5] * 133)])]))
    kpts, scores = normalized_pose(str(tmp_path / 'p.json'), 64, 48)
    np.testing.assert_allclose(kpts[0], np.full((133, 2), [0.5, 0.25]))
    np.testing.assert_allclose(scores, 0.5)
