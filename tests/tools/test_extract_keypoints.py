"""Keypoint extraction (tools/data/extract_keypoints.py) with a tiny randomly initialised MMPose model."""
import json
import os
import os.path as osp
import subprocess
import sys
from types import SimpleNamespace

import cv2
import decord
import numpy as np
import pytest
import torch

from cclslr.keypoints import (ExtractionTask, WholeBodyPoseExtractor, collect_dataset_tasks,
                                             collect_video_tasks, run_extraction, select_person)
from cclslr.fileio import read_pose

# RTMPose's own building blocks (CSPNeXt + RTMCCHead + SimCC codec), shrunk to a 64x64 input.
TINY_POSE_CONFIG = """
default_scope = 'mmpose'
codec = dict(type='SimCCLabel', input_size=(64, 64), sigma=(4.9, 5.66), simcc_split_ratio=2.0,
             normalize=False, use_dark=False)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(_scope_='mmdet', type='CSPNeXt', arch='P5', expand_ratio=0.5, deepen_factor=0.1,
                  widen_factor=0.0625, out_indices=(4, ), channel_attention=True,
                  norm_cfg=dict(type='BN'), act_cfg=dict(type='SiLU')),
    head=dict(type='RTMCCHead', in_channels=64, out_channels=133, input_size=codec['input_size'],
              in_featuremap_size=(2, 2), simcc_split_ratio=2.0, final_layer_kernel_size=1,
              gau_cfg=dict(hidden_dims=16, s=8, expansion_factor=2, dropout_rate=0., drop_path=0.,
                           act_fn='SiLU', use_rel_bias=False, pos_enc=False),
              loss=dict(type='KLDiscretLoss', use_target_weight=True, beta=10., label_softmax=True),
              decoder=codec),
    test_cfg=dict(flip_test=True))
pipeline = [dict(type='LoadImage'), dict(type='GetBBoxCenterScale'),
            dict(type='TopdownAffine', input_size=codec['input_size']), dict(type='PackPoseInputs')]
train_dataloader = dict(dataset=dict(type='CocoWholeBodyDataset', pipeline=pipeline))
test_dataloader = dict(dataset=dict(type='CocoWholeBodyDataset', pipeline=pipeline))
"""
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VIDEOS = {'a.mp4': (5, 48, 64), 'b.mp4': (7, 40, 40)}  # name: (frames, height, width)


def _write_video(path, frames, height, width, seed):
    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25, (width, height))
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (height, width, 3), dtype=np.uint8))
    writer.release()


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    """Tiny pose config + random checkpoint, two videos and one corrupt file."""
    from mmpose.apis import init_model
    root = tmp_path_factory.mktemp('kpts')
    cfg = root / 'tiny_rtmpose.py'
    cfg.write_text(TINY_POSE_CONFIG)
    torch.manual_seed(0)
    model = init_model(str(cfg), None, device='cpu')
    ckpt = root / 'tiny_rtmpose.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    videos = root / 'videos'
    videos.mkdir()
    for i, (name, shape) in enumerate(VIDEOS.items()):
        _write_video(str(videos / name), *shape, seed=i)
    (videos / 'bad.mp4').write_bytes(b'not a video' * 100)
    return SimpleNamespace(root=root, config=str(cfg), checkpoint=str(ckpt), videos=str(videos))


def _extractor_cfg(assets, **kw):
    return dict(dict(pose_config=assets.config, pose_checkpoint=assets.checkpoint, batch_size=3), **kw)


def test_extract_matches_inference_topdown(assets):
    """Batched extraction = mmpose's own single-image inference, normalised by width and height."""
    from mmpose.apis import inference_topdown
    ext = WholeBodyPoseExtractor(**_extractor_cfg(assets))
    path = osp.join(assets.videos, 'a.mp4')
    frames, height, width = VIDEOS['a.mp4']
    res = ext.extract(path)
    assert res['keypoints'].shape == (frames, 133, 2) and res['scores'].shape == (frames, 133)
    assert (res['width'], res['height']) == (width, height) and res['fps'] == pytest.approx(25, abs=0.1)
    reader = decord.VideoReader(path)
    bgr = [np.ascontiguousarray(reader[t].asnumpy()[..., ::-1]) for t in range(len(reader))]
    assert len(bgr) == frames
    for t in (0, 1, 4):  # frames of both decoded batches (batch_size=3)
        ref = inference_topdown(ext.pose_model, bgr[t])[0].pred_instances
        expect = np.clip(ref.keypoints[0] / [width, height], 0, 1)
        np.testing.assert_allclose(res['keypoints'][t], expect, atol=1e-4)
        np.testing.assert_allclose(res['scores'][t], np.clip(ref.keypoint_scores[0], 0, 1), atol=1e-4)

    # An annotated box is the pose model's box when there is no detector.
    box = [0.25, 0.2, 0.75, 0.9]
    res_box = ext.extract(path, box=box)
    ref = inference_topdown(ext.pose_model, bgr[0], bboxes=np.array([box]) * ([width, height] * 2))
    np.testing.assert_allclose(res_box['keypoints'][0], np.clip(ref[0].pred_instances.keypoints[0]
                                                                / [width, height], 0, 1), atol=1e-4)
    assert not np.allclose(res_box['keypoints'], res['keypoints'])


def test_run_extraction_errors_and_resume(assets, tmp_path):
    out_dir, log = tmp_path / 'pose', tmp_path / 'errors.jsonl'
    tasks = collect_video_tasks(assets.videos, str(out_dir))
    assert [osp.basename(t.out_path) for t in tasks] == ['a.pkl', 'b.pkl', 'bad.pkl']
    cfg = _extractor_cfg(assets)
    s = run_extraction(tasks, cfg, error_log=str(log), progress=False)
    assert (s.done, s.skipped, s.failed, s.frames) == (2, 0, 1, 12)
    errors = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(errors) == 1 and errors[0]['video'].endswith('bad.mp4') and 'bad.mp4' in errors[0]['error']
    assert not (out_dir / 'bad.pkl').exists()
    for name, (frames, height, width) in VIDEOS.items():
        pose = read_pose(str(out_dir / name.replace('.mp4', '.pkl')))
        kpts, scores = pose.keypoints, pose.scores
        assert kpts.shape == (frames, 133, 2) and scores.shape == (frames, 133)
        assert kpts.min() >= 0 and kpts.max() <= 1 and scores.min() >= 0 and scores.max() <= 1
        assert kpts.std() > 0  # a real prediction, not the zero fill
        assert pose.image_size == (width, height) and pose.fps == pytest.approx(25, abs=0.1)

    # Second run: finished files are skipped (not rewritten), the bad one is retried and fails again.
    mtime = os.stat(out_dir / 'a.pkl').st_mtime_ns
    s = run_extraction(tasks, cfg, error_log=str(log), progress=False)
    assert (s.done, s.skipped, s.failed) == (0, 2, 1)
    assert os.stat(out_dir / 'a.pkl').st_mtime_ns == mtime
    # A deleted or truncated output is redone.
    os.remove(out_dir / 'a.pkl')
    (out_dir / 'b.pkl').write_bytes(b'truncated')
    s = run_extraction(tasks[:2], cfg, progress=False)
    assert (s.done, s.skipped, s.failed) == (2, 0, 0)
    assert read_pose(str(out_dir / 'b.pkl')).keypoints.shape == (7, 133, 2)


def test_cli_with_worker_pool(assets, tmp_path):
    out_dir = tmp_path / 'pose'
    cmd = [sys.executable, osp.join(REPO, 'tools', 'data', 'extract_keypoints.py'), '--video-dir',
           assets.videos, '--out-dir', str(out_dir), '--pose-config', assets.config, '--pose-checkpoint',
           assets.checkpoint, '--num-workers', '2', '--batch-size', '4', '--no-progress']
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'done: 2, skipped (existing): 0, failed: 1' in proc.stdout
    log = out_dir / 'extract_keypoints_errors.jsonl'
    assert 'bad.mp4' in log.read_text()
    pose = read_pose(str(out_dir / 'b.pkl'))
    kpts, scores = pose.keypoints, pose.scores
    assert kpts.shape == (7, 133, 2) and scores.shape == (7, 133)


def test_missing_checkpoint_is_a_clear_error(assets, tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        WholeBodyPoseExtractor(pose_config=assets.config, pose_checkpoint=missing)
    tasks = [ExtractionTask(osp.join(assets.videos, 'a.mp4'), str(tmp_path / 'a.pkl'))]
    with pytest.raises(FileNotFoundError, match='nope.pth'):  # also before a worker pool starts
        run_extraction(tasks, dict(pose_config=assets.config, pose_checkpoint=missing), num_workers=2,
                       progress=False)
    with pytest.raises(ValueError, match='local files only'):
        WholeBodyPoseExtractor(pose_config=assets.config, pose_checkpoint='https://x.org/a.pth')


def test_select_person():
    boxes = np.array([[0, 0, 10, 10], [20, 20, 40, 40], [50, 0, 60, 10]], np.float32)
    scores = np.array([0.6, 0.9, 0.7], np.float32)
    np.testing.assert_array_equal(select_person(boxes, scores), boxes[1])  # highest score
    ann = np.array([48, 0, 62, 12], np.float32)
    np.testing.assert_array_equal(select_person(boxes, scores, ann), boxes[2])  # most overlap
    far = np.array([100, 100, 120, 120], np.float32)
    np.testing.assert_array_equal(select_person(boxes, scores, far), far)  # no overlap: the annotation
    assert select_person(boxes[:0], scores[:0]) is None


def test_detector_boxes_and_frames_without_person(assets, monkeypatch):
    """Detections are filtered by class and score; a frame with no person gets zeros."""
    import mmdet.apis
    from mmengine.structures import InstanceData
    ext = WholeBodyPoseExtractor(**_extractor_cfg(assets))
    ext.det_model, ext.det_pipeline, ext.det_cat_id, ext.det_score_thr = object(), None, 0, 0.5

    def fake_detector(model, frames, test_pipeline=None):
        out = []
        for t in range(len(frames)):
            inst = InstanceData()
            # frame 1 of each batch: only a non-person and a weak person
            person_score = 0.3 if t == 1 else 0.9
            inst.bboxes = torch.tensor([[0., 0., 30., 30.], [5., 5., 40., 40.]])
            inst.scores = torch.tensor([person_score, 0.95])
            inst.labels = torch.tensor([0, 2])
            out.append(SimpleNamespace(pred_instances=inst))
        return out

    monkeypatch.setattr(mmdet.apis, 'inference_detector', fake_detector)
    res = ext.extract(osp.join(assets.videos, 'a.mp4'))
    no_person = [1, 4]  # frame 1 of the batches [0, 1, 2] and [3, 4]
    assert (res['scores'][no_person] == 0).all() and (res['keypoints'][no_person] == 0).all()
    person = [0, 2, 3]
    assert res['keypoints'][person].std() > 0
    # The person box (0..30 px) bounds the predictions: top-down crops keep points near the box.
    assert res['keypoints'][person, :, 0].max() <= 30 / 64 * 1.3


class _FakeDataset:
    def __init__(self, infos):
        self.infos = infos

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, i):
        return self.infos[i]


def test_collect_dataset_tasks(tmp_path):
    infos = [dict(video_path='v/1.mp4', pose_path='p/1.pkl', sample_id='s1', box=[0, 0, 1, 1]),
             dict(video_path='v/1.mp4', pose_path='p/1.pkl', sample_id='s2'),  # second clip, same video
             dict(video_path='v/2.mp4', pose_path=None, sample_id='s3')]
    tasks = collect_dataset_tasks(_FakeDataset(infos), out_dir=str(tmp_path))
    assert [(t.video_path, t.out_path, t.box) for t in tasks] == [
        ('v/1.mp4', 'p/1.pkl', [0, 0, 1, 1]), ('v/2.mp4', str(tmp_path / 's3.pkl'), None)]
    with pytest.raises(ValueError, match='no pose_path'):
        collect_dataset_tasks(_FakeDataset(infos))


def test_dataset_mode_with_wlasl(assets, shared_data, tmp_path):
    from cclslr.registry import DATASETS
    if DATASETS.get('WLASLDataset') is None:
        pytest.skip('WLASLDataset is not registered yet')
    from cclslr.keypoints import build_dataset_from_config
    videos = osp.join(shared_data, 'videos')
    cfg = tmp_path / 'wlasl.py'
    cfg.write_text(f"""test_dataloader = dict(dataset=dict(
    type='WLASLDataset', ann_file={osp.join(shared_data, 'wlasl', 'WLASL_v0.3.json')!r}, subset=2000,
    split='test', data_prefix=dict(video={videos!r}, pose={str(tmp_path / 'pose')!r}), pipeline=[]))
""")
    dataset = build_dataset_from_config(str(cfg), 'test')
    tasks = [t for t in collect_dataset_tasks(dataset) if osp.isfile(t.video_path)]
    assert tasks and all(t.out_path.startswith(str(tmp_path / 'pose')) for t in tasks)
    # the smallest real clip keeps the test fast
    task = min(tasks, key=lambda t: osp.getsize(t.video_path))
    s = run_extraction([task], _extractor_cfg(assets, batch_size=32), progress=False)
    assert (s.done, s.failed) == (1, 0), s.errors
    pose = read_pose(task.out_path)
    assert pose.keypoints.shape[1:] == (133, 2) and pose.num_frames == s.frames and pose.image_size[0] > 0


def test_model_that_cannot_run_stops_the_run(assets, tmp_path, monkeypatch):
    """A missing mmcv op (mmcv-lite stand-in) is not a bad video: the run stops instead of logging N times."""
    def no_op(self, task):
        raise NotImplementedError('mmcv op `nms` needs the compiled mmcv')

    monkeypatch.setattr(WholeBodyPoseExtractor, 'extract_to_file', no_op)
    tasks = collect_video_tasks(assets.videos, str(tmp_path))
    with pytest.raises(NotImplementedError, match='nms'):
        run_extraction(tasks, _extractor_cfg(assets), progress=False)
