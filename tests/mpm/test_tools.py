import json

import numpy as np
import pytest
import torch

from cclslr.fileio import load_mask, read_video, save_mask
from cclslr.mpm import GlowCodec, MotionMaskGenerator
from cclslr.mpm.tool_utils import list_clips

from .conftest import load_tool


def test_train_flow_lowers_bpd_resumes_and_loads(video_dir, tmp_path):
    train_flow = load_tool('train_flow')
    work = tmp_path / 'flow'
    common = ['--video-dir', str(video_dir), '--work-dir', str(work), '--levels', '2', '--steps', '2',
              '--hidden', '16', '--size', '32', '32', '--crop', '16', '--batch-size', '8', '--lr', '3e-3',
              '--warmup', '5', '--frames-per-video', '4', '--save-interval', '20', '--no-progress']
    train_flow.main(common + ['--iters', '40'])
    log = [json.loads(line) for line in open(work / 'log.jsonl')]
    assert log[-1]['bits_per_dim'] < log[0]['bits_per_dim'] - 0.2
    ckpt = torch.load(work / 'latest.pth', weights_only=True)
    assert ckpt['iter'] == 40
    train_flow.main(common + ['--iters', '50'])  # resumes at 40
    assert [r['iter'] for r in map(json.loads, open(work / 'log.jsonl'))][-2:] == [40, 50]
    codec = GlowCodec(checkpoint=str(work / 'flow.pth'))
    assert codec.flow.config() == dict(in_channels=3, levels=2, steps=2, hidden=16)
    x = torch.rand(2, 3, 32, 32)
    assert torch.allclose(codec.decode(codec.encode(x)), x, atol=1e-4)


def test_generate_masks_cache_roundtrip(video_dir, tmp_path):
    generate = load_tool('generate_masks')
    (video_dir / 'broken.mp4').write_bytes(b'not a video')
    cache = tmp_path / 'cache'
    args = ['--video-dir', str(video_dir), '--cache-root', str(cache), '--codec', 'frame_diff',
            '--threshold', '0.1', '--size', '16', '16', '--no-progress']
    summary = generate.main(args)
    assert summary['written'] == 3 and summary['failed'] == 1
    assert 'broken' in (cache / 'errors.log').read_text()
    frames, total = read_video(str(video_dir / 'clip0.mp4'))
    mask = load_mask(str(cache), 'clip0')
    assert mask.shape == (total, 16, 16) and mask.dtype == bool
    gen = MotionMaskGenerator(dict(type='FrameDiffCodec'), size=(16, 16), threshold=0.1)
    assert np.array_equal(mask, gen(frames))
    # Resumable: existing files are skipped and left untouched.
    save_mask(str(cache), 'clip1', np.zeros((1, 2, 2), bool))
    assert generate.main(args)['skipped'] == 3
    assert load_mask(str(cache), 'clip1').shape == (1, 2, 2)


def test_generate_masks_frame_range_keeps_outside_frames(video_dir, tmp_path):
    generate = load_tool('generate_masks')
    clip = dict(list_clips(video_dir=str(video_dir))[0], frame_start=2, frame_end=7)
    gen = MotionMaskGenerator(dict(type='FrameDiffCodec'), size=(16, 16), threshold=0.1)
    sid, frac, err = generate.process_clip(clip, str(tmp_path), gen)
    assert err is None and 0 < frac < 1
    mask = load_mask(str(tmp_path), sid)
    assert mask.shape[0] == 10
    assert mask[:2].all() and mask[7:].all() and not mask[2:7].all()


def test_visualize_writes_figure(video_dir, tmp_path):
    import cv2
    visualize = load_tool('visualize')
    out = tmp_path / 'vis'
    fractions = visualize.main(['--video-dir', str(video_dir), '--out-dir', str(out), '--codec', 'frame_diff',
                                '--threshold', '0.1', '--size', '16', '16', '--num-frames', '4',
                                '--no-progress'])
    assert set(fractions) == {'clip0', 'clip1', 'clip2'}
    img = cv2.imread(str(out / 'clip0.png'))
    assert img.shape == (4 * (18 + 14), 4 * 18, 3)


def test_generate_masks_cfg_options_redirect_the_config(video_dir, tmp_path):
    # A dataset config pointing elsewhere, redirected with --cfg-options (as tools/demo.py does) instead
    # of a config file written for the purpose.
    ann = tmp_path / 'ann.json'
    ann.write_text(json.dumps([dict(gloss='a', instances=[
        dict(video_id=f'clip{i}', split='train', frame_start=1, frame_end=-1) for i in range(3)])]))
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("train_dataloader = dict(dataset=dict(type='WLASLDataset', ann_file='nowhere.json',\n"
                   "    subset=None, data_prefix=dict(video='nowhere', pose='nowhere')))\n")
    generate = load_tool('generate_masks')
    cache = tmp_path / 'cache'
    args = ['--config', str(cfg), '--cache-root', str(cache), '--codec', 'frame_diff', '--size', '16', '16',
            '--no-progress', '--cfg-options']
    summary = generate.main(args + [f'train_dataloader.dataset.ann_file={ann}',
                                    f'train_dataloader.dataset.data_prefix.video={video_dir}'])
    assert summary['written'] == 3 and summary['failed'] == 0
    assert load_mask(str(cache), 'clip2').shape == (10, 16, 16)
    with pytest.raises(KeyError, match='train_dataloder'):  # a misspelt key is refused, not added
        generate.main(args + ['train_dataloder.dataset.ann_file=x'])
