"""Fixtures of the dataset tests: the real data folder (skipped when absent) and a tiny WLASL-format
set written here (a few mp4s, Uni-Sign pose pickles, a WLASL_v0.3-style json) that also holds
the corner cases: a corrupt video, a missing pose file, a pose of the wrong length, NaN keypoints."""
import json
import logging
import os.path as osp
from pathlib import Path

import numpy as np
import pytest
from mmengine.logging import MMLogger

from cclslr.fileio import PoseData, write_pose, write_video

SHARED_DATA = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'data'
W, H, N = 64, 48, 20


@pytest.fixture(scope='session')
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip('../shared/data is not available')
    return SHARED_DATA.resolve()


def plausible_pose(num_frames: int, rng: np.random.Generator):
    """Keypoints (T, 133, 2) in 0-1 around a standing signer, scores (T, 133) mostly confident."""
    base = rng.uniform(0.3, 0.7, size=(133, 2)).astype(np.float32)
    base[[5, 6]] = [[0.65, 0.4], [0.35, 0.4]]  # left shoulder on the image right, as a facing signer
    drift = rng.normal(0, 0.01, size=(num_frames, 133, 2)).cumsum(0).astype(np.float32)
    kpts = np.clip(base + drift, 0, 1)
    scores = rng.uniform(0.5, 1.0, size=(num_frames, 133)).astype(np.float32)
    return kpts, scores


@pytest.fixture(scope='session')
def tiny_wlasl(tmp_path_factory):
    """A 3-gloss WLASL-format set: root with WLASL_v0.3.json, videos/, poses/.

    Ids 00000-00005 are good (00005 has frames 4-15 annotated), 00006 a corrupt video, 00007 lacks its
    pose, 00008 has a pose of half the video's length, 00009 has NaN keypoints.
    """
    root = tmp_path_factory.mktemp('tiny_wlasl')
    (root / 'videos').mkdir()
    (root / 'poses').mkdir()
    rng = np.random.default_rng(0)
    glosses = [dict(gloss=g, instances=[]) for g in ('book', 'drink', 'computer')]
    splits = ['train'] * 6 + ['val', 'test', 'train', 'train']
    for i in range(10):
        vid = f'{i:05d}'
        frames = rng.integers(0, 255, size=(N, H, W, 3), dtype=np.uint8)
        frames[:, :, :, 0] = np.arange(N, dtype=np.uint8)[:, None, None] * 12  # frame index in red
        if i == 6:
            (root / 'videos' / f'{vid}.mp4').write_bytes(b'\x00\x00\x00\x18ftypmp42 this is not a video')
        else:
            write_video(str(root / 'videos' / f'{vid}.mp4'), frames)
        kpts, scores = plausible_pose(N // 2 if i == 8 else N, rng)
        if i == 9:
            kpts[3, 100] = np.nan
        if i != 7:
            write_pose(str(root / 'poses' / f'{vid}.pkl'), PoseData(kpts, scores, image_size=(W, H)))
        start, end = (5, 16) if i == 5 else (1, -1)
        glosses[i % 3]['instances'].append(dict(
            bbox=[0, 0, W, H], fps=25, frame_start=start, frame_end=end, instance_id=i, signer_id=i % 4,
            source='test', split=splits[i], url='', variation_id=0, video_id=vid))
    (root / 'WLASL_v0.3.json').write_text(json.dumps(glosses))
    return root


def wlasl_cfg(root, pipeline=(), split=('train', 'val', 'test'), **kw):
    return dict(type='WLASLDataset', ann_file=osp.join(root, 'WLASL_v0.3.json'), subset=None,
                split=list(split),
                data_prefix=dict(video=osp.join(root, 'videos'), pose=osp.join(root, 'poses')),
                pipeline=list(pipeline), **kw)


def train_pipeline(clip_len=8, size=32, num_views=2, mask_root=None):
    view = [dict(type='PairedTemporalCrop', clip_len=clip_len), dict(type='DecodeFrames')]
    if mask_root is not None:
        view.append(dict(type='MotionMask', cache_root=str(mask_root), prob=1.0))
    view += [dict(type='SignRandomResizedCrop', size=size), dict(type='SignFlip'),
             dict(type='SignColorJitter'), dict(type='PoseNormalize'), dict(type='PoseRandomAffine'),
             dict(type='PoseJointMask'), dict(type='SelectKeypoints')]
    return [dict(type='DecordInit'), dict(type='LoadPose'),
            dict(type='MultiView', num_views=num_views, transforms=view), dict(type='PackSignInputs')]


@pytest.fixture()
def logged():
    """Messages of the warnings MMLogger (which does not propagate to caplog) logs during the test."""
    logger = MMLogger.get_current_instance()
    messages = []

    class Keep(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler = Keep(level=logging.WARNING)
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)
