"""The test pipelines keep the frames' aspect (short side to the model size, then a centre crop, as
MMAction2 tests) and the keypoints on the pixels they mark, on a 16:9 frame."""
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from cclslr.datasets.transforms.wrappers import iter_transforms
from cclslr.registry import TRANSFORMS
from cclslr.utils import register_all_modules

register_all_modules()
REPO = Path(__file__).resolve().parents[2]
# (config, pipeline variable, the model's frame size)
TEST_PIPELINES = [
    ('configs/_base_/datasets/sign_pipelines.py', 'test_pipeline', 224),
    ('configs/_base_/datasets/sign_pipelines.py', 'test_pipeline_rgb', 224),
    ('configs/_base_/datasets/synthetic_2shot.py', 'test_pipeline', 64),
    ('configs/_base_/datasets/synthetic_2shot.py', 'test_pipeline_rgb', 64),
    ('configs/demo/cclslr_tiny_1xb16-30e_synthetic.py', 'test_pipeline', 64),
]


def _geometry(pipeline):
    """The spatial transforms a decoded view goes through (after DecodeFrames, before PoseNormalize)."""
    types = [t['type'] for t in pipeline]
    steps = pipeline[types.index('DecodeFrames') + 1:]
    return [t for t in steps if t['type'] in ('SignResize', 'SignCenterCrop', 'SignRandomResizedCrop',
                                              'CropToBox', 'SignFlip')]


def _dots_view(w=320, h=180):
    """One 16:9 frame with 3x3 white dots at three pixels, which are also keypoints 0, 9 and 10."""
    imgs = np.zeros((1, h, w, 3), np.uint8)
    dots = np.array([[160, 90], [120, 60], [200, 130]], np.float32)
    for x, y in dots.astype(int):
        imgs[0, y - 1:y + 2, x - 1:x + 2] = 255
    kpts = np.zeros((1, 133, 2), np.float32)
    kpts[0, [0, 9, 10]] = dots
    return dict(imgs=imgs, img_shape=(h, w), keypoints=kpts, keypoint_scores=np.ones((1, 133), np.float32),
                keypoints_unit='pixel')


def _blob_centre(img, x, y, r=6):
    """Centre of mass of the bright pixels near (x, y)."""
    x0, y0 = max(int(round(x)) - r, 0), max(int(round(y)) - r, 0)
    patch = img[y0:int(round(y)) + r + 1, x0:int(round(x)) + r + 1, 0].astype(float)
    ys, xs = np.mgrid[y0:y0 + patch.shape[0], x0:x0 + patch.shape[1]]
    return (xs * patch).sum() / patch.sum(), (ys * patch).sum() / patch.sum()


@pytest.mark.parametrize('config, name, size', TEST_PIPELINES)
def test_test_pipeline_keeps_aspect_and_keypoints_on_their_pixels(config, name, size):
    pipeline = Config.fromfile(str(REPO / config))[name]
    steps = _geometry(pipeline)
    assert [t['type'] for t in steps] == ['SignResize', 'SignCenterCrop']
    view = _dots_view()
    for t in steps:
        view = TRANSFORMS.build(t)(view)
    assert view['imgs'].shape[1:3] == (size, size)
    out = view['keypoints'][0, [0, 9, 10]]
    for x, y in out:
        assert np.allclose(_blob_centre(view['imgs'][0], x, y), (x, y), atol=0.6)
    # Aspect kept: one scale in x and y, up to the rounding of the resized width to whole pixels (a
    # 16:9 -> 1:1 squash scales x by 9/16 of y's factor).
    d = out[2] - out[1]
    assert d[0] / d[1] == pytest.approx(80 / 70, rel=5e-3)
    # Short side to `size`: the scale is size / 180; the central pixel stays central (the dot at
    # (160, 90) is half a pixel right of and below the centre (159.5, 89.5) of the frame).
    scale = size / 180
    assert d[1] == pytest.approx(70 * scale, rel=1e-3)
    assert np.allclose(out[0], (size - 1) / 2 + 0.5 * scale, atol=0.1)
    if 'keypoints' in view:  # the pose follows, whichever modalities the pipeline packs
        assert view['keypoints_unit'] == 'pixel'


@pytest.mark.parametrize('side, size', [(112, 64), (64, 64), (64, 48), (64, 112)])
def test_square_frames_give_the_old_resize_exactly(side, size):
    """The demo's clips are square (112 x 112 at the model's 64): short side + centre crop is the plain
    resize, pixel for pixel, so the demo's numbers cannot change."""
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 255, (2, side, side, 3), dtype=np.uint8)
    kpts = rng.uniform(0, side - 1, (2, 133, 2)).astype(np.float32)

    def run(steps):
        v = dict(imgs=imgs.copy(), img_shape=(side, side), keypoints=kpts.copy(),
                 keypoint_scores=np.ones((2, 133), np.float32), keypoints_unit='pixel')
        for t in steps:
            v = TRANSFORMS.build(t)(v)
        return v

    new = run([dict(type='SignResize', scale=size, keep_ratio=True), dict(type='SignCenterCrop', size=size)])
    old = run([dict(type='SignResize', scale=size)])
    assert new['imgs'].shape == (2, size, size, 3)
    assert np.array_equal(new['imgs'], old['imgs']) and np.array_equal(new['keypoints'], old['keypoints'])


def test_every_config_test_pipeline_is_aspect_preserving():
    """No val/test pipeline of a dataset or demo config squashes frames (SignResize without keep_ratio)."""
    bad = []
    for path in sorted((REPO / 'configs' / '_base_' / 'datasets').glob('*.py')) + \
            sorted((REPO / 'configs' / 'demo').glob('*.py')):
        cfg = Config.fromfile(str(path))
        for name in [k for k in cfg.keys() if k.startswith('test_pipeline')]:
            for t in iter_transforms(cfg[name]):
                if t['type'] == 'SignResize' and not t.get('keep_ratio'):
                    bad.append(f'{path.name}:{name}')
    assert bad == []


def test_test_pipeline_from_the_files(tmp_path):
    """The config's test pipeline from a 16:9 video and a 0-1 pose file up to the pose normalisation:
    the keypoint of a white blob is on the blob in the 224 x 224 view."""
    from cclslr.fileio import PoseData, write_pose, write_video
    w, h, n = 320, 180, 6
    frames = np.zeros((n, h, w, 3), np.uint8)
    frames[:, 56:65, 236:245] = 255                  # a 9x9 blob centred on pixel (240, 60)
    video, pose = str(tmp_path / 'clip.mp4'), str(tmp_path / 'clip.pkl')
    write_video(video, frames)
    kpts = np.full((n, 133, 2), 0.5, np.float32)
    kpts[:, 9] = [240 / w, 60 / h]                    # 0-1, as MediaPipe and Uni-Sign files store them
    write_pose(pose, PoseData(kpts, np.ones((n, 133), np.float32)))
    pipeline = Config.fromfile(str(REPO / 'configs/_base_/datasets/sign_pipelines.py'))['test_pipeline']
    types = [t['type'] for t in pipeline]
    results = dict(video_path=video, pose_path=pose, frame_start=0, frame_end=-1)
    for t in pipeline[:types.index('PoseNormalize')]:
        results = TRANSFORMS.build(t)(results)
    assert results['imgs'].shape == (32, 224, 224, 3) and results['keypoints_unit'] == 'pixel'
    x, y = results['keypoints'][0, 9]
    assert np.allclose(_blob_centre(results['imgs'][0], x, y, r=8), (x, y), atol=0.7)
    # Where the blob should be: 398 x 224 after the resize, then the crop starts at x = 87.
    assert np.allclose((x, y), (240.5 * 398 / 320 - 0.5 - 87, 60.5 * 224 / 180 - 0.5), atol=1e-3)
