"""demo/demo.py and demo/stream_demo.py run as a user runs them: a real WLASL clip through MediaPipe and a
randomly initialised demo-size recognizer (the numbers mean nothing; the plumbing and the output do), and
one clear line with exit code 1 for each bad input."""
import json
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'apis'))
from tiny_models import FUSED_CFG, POSE_CFG, write_random_checkpoint  # noqa: E402

from cclslr.fileio import read_video, write_video  # noqa: E402


def _run(args, repo_root, timeout=600):
    return subprocess.run([sys.executable, *args], cwd=repo_root, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope='module')
def fused_random(tmp_path_factory):
    return write_random_checkpoint(FUSED_CFG, str(tmp_path_factory.mktemp('ck') / 'fused.pth'))


def _error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith('demo.py: error:')]


def test_demo_on_a_real_clip_with_mediapipe(shared_data, fused_random, tmp_path, repo_root):
    pytest.importorskip('mediapipe')
    clip = osp.join(shared_data, 'videos', '01377.mp4')
    out_video, out_json = str(tmp_path / 'o.mp4'), str(tmp_path / 'o.json')
    proc = _run(['demo/demo.py', clip, FUSED_CFG, fused_random, '--backend', 'mediapipe', '--out-video',
                 out_video, '--out-json', out_json], repo_root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = re.findall(r'^\s*(\d)\. (\S+)\s+(\d\.\d{4})\s+\(class (\d+)\)$', proc.stdout, re.M)
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5]
    names, scores = [r[1] for r in rows], [float(r[2]) for r in rows]
    assert len(set(names)) == 5 and all(n == f'gloss_{c}' for n, (*_, c) in zip(names, rows))
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    # the config says the model was trained on the synthetic set's tracks: the user is told
    assert "warning: the checkpoint was trained on 'synthetic' keypoints" in proc.stderr
    result = json.loads(open(out_json).read())
    assert [t['gloss'] for t in result['topk']] == names and len(result['scores']) == 10
    frames, num = read_video(out_video)
    original, _ = read_video(clip)
    assert frames.shape == original.shape
    # the overlay changed the frames: the top-k box in the corner, the skeleton elsewhere
    assert np.abs(frames[:, :20, :60].astype(int) - original[:, :20, :60]).mean() > 20
    assert (np.abs(frames.astype(int) - original).max(-1) > 60)[:, 40:].mean() > 0.002


@pytest.mark.parametrize('case', ['missing', 'unreadable', 'mismatch', 'no_person'])
def test_demo_bad_inputs_one_line_exit_1(case, fused_random, tmp_path, repo_root):
    video = str(tmp_path / 'clip.mp4')
    config, ckpt, extra = FUSED_CFG, fused_random, ['--backend', 'mediapipe']
    if case == 'unreadable':
        with open(video, 'wb') as f:
            f.write(b'\x00\x00\x00\x18ftypmp42 not a video at all')
    elif case != 'missing':
        write_video(video, np.zeros((8, 64, 64, 3), np.uint8))
    if case == 'mismatch':
        config = POSE_CFG  # a fused checkpoint under the pose-only config
    if case == 'no_person':
        pytest.importorskip('mediapipe')
    proc = _run(['demo/demo.py', video, config, ckpt, *extra], repo_root)
    assert proc.returncode == 1, proc.stderr[-2000:]
    lines = _error_lines(proc.stderr)
    assert len(lines) == 1 and 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    expected = dict(missing=r'clip\.mp4: video not found', unreadable=r'clip\.mp4: cannot open video',
                    mismatch=r'fused\.pth does not match the model of .*tiny-pose.*unexpected keys',
                    no_person=r'clip\.mp4: no person found')[case]
    assert re.search(expected, lines[0]), lines[0]


def test_stream_demo_on_a_video_file(shared_data, fused_random, repo_root):
    pytest.importorskip('mediapipe')
    clip = osp.join(shared_data, 'videos', '01377.mp4')
    proc = _run(['demo/stream_demo.py', FUSED_CFG, fused_random, '--video', clip, '--window', '16',
                 '--stride', '4', '--backend', 'mediapipe'], repo_root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    windows = re.findall(r'^window\s+(\d+) frames\s+(\d+)-(\d+)\s+(\S+)\s+(\d\.\d\d)\s+keypoints\s+\d+ ms\s+'
                         r'model\s+\d+ ms$', proc.stdout, re.M)
    # OpenCV reads 22 frames of this clip: windows end at frames 16 and 20
    assert [(int(a), int(b)) for _, a, b, *_ in windows] == [(0, 15), (4, 19)]
    assert all(g.startswith('gloss_') for *_, g, _ in windows)
    assert re.search(r'^22 frames, 2 windows \(window 16, stride 4\) in [\d.]+ s: [\d.]+ frames/s',
                     proc.stdout, re.M)
