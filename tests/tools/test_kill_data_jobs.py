"""Keypoint extraction and MPM mask generation, SIGKILLed mid-run and restarted, finish like one run.

Each job runs as a subprocess through ``kill_after_writes.py``, which kills it once ``k`` outputs are
complete and the next one is on disk under its temporary name only (not yet renamed).
"""
import os
import os.path as osp
import subprocess
import sys

import numpy as np

from cclslr.fileio import load_mask, write_video
from cclslr.fileio.atomic import TMP_MARK
from cclslr.mpm.toy import moving_square_clip
from test_extract_keypoints import assets  # noqa: F401  (the tiny MMPose model and the videos)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KILLER = osp.join(osp.dirname(osp.abspath(__file__)), 'kill_after_writes.py')


def run(tool, args, kill_after=None):
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    env.pop('CCLSLR_TEST_KILL_AFTER_WRITES', None)
    cmd = [sys.executable, osp.join(REPO, 'tools', *tool.split('/'))] + args
    if kill_after is not None:
        env['CCLSLR_TEST_KILL_AFTER_WRITES'] = str(kill_after)
        cmd.insert(1, KILLER)
    return subprocess.run(cmd, env=env, cwd=REPO, timeout=300, capture_output=True, text=True)


def files(folder):
    return sorted(osp.relpath(osp.join(r, n), folder) for r, _, ns in os.walk(folder) for n in ns)


def temp_files(folder):
    return [f for f in files(folder) if f.endswith(TMP_MARK)]


def test_killed_keypoint_extraction_resumes(assets, tmp_path):  # noqa: F811
    def extract(out_dir, kill_after=None):
        return run('data/extract_keypoints.py', [
            '--video-dir', assets.videos, '--out-dir', str(out_dir), '--pose-config', assets.config,
            '--pose-checkpoint', assets.checkpoint, '--batch-size', '4', '--no-progress'], kill_after)

    full = extract(tmp_path / 'full')
    assert full.returncode == 0, full.stderr[-3000:]
    assert 'done: 2, skipped (existing): 0, failed: 1' in full.stdout

    out = tmp_path / 'killed'
    killed = extract(out, kill_after=1)  # a.pkl complete, b.pkl only as a temporary file
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert [f for f in files(out) if not f.endswith(TMP_MARK)] == ['a.pkl', 'extract_keypoints_errors.jsonl']
    assert len(temp_files(out)) == 1 and temp_files(out)[0].startswith('.b.pkl.')

    again = extract(out)
    assert again.returncode == 0, again.stderr[-3000:]
    assert 'done: 1, skipped (existing): 1, failed: 1' in again.stdout  # a.pkl skipped, not redone
    assert 'removed 1 partial file(s) of an interrupted run' in again.stdout
    # Same outputs as the uninterrupted run, byte for byte, and nothing else.
    assert files(out) == files(tmp_path / 'full') == ['a.pkl', 'b.pkl', 'extract_keypoints_errors.jsonl']
    for name in ('a.pkl', 'b.pkl'):
        assert (out / name).read_bytes() == (tmp_path / 'full' / name).read_bytes(), name
    # The error log names the output folder; otherwise the same single entry (bad.mp4).
    def log(folder):
        return (folder / 'extract_keypoints_errors.jsonl').read_text().replace(str(folder), 'OUT')
    assert log(out) == log(tmp_path / 'full') and len(log(out).splitlines()) == 1


def test_killed_mask_generation_resumes(tmp_path):
    videos = tmp_path / 'videos'
    videos.mkdir()
    for i in range(4):
        frames, _ = moving_square_clip(num_frames=10, height=32, width=32, square=8, seed=i)
        write_video(str(videos / f'clip{i}.mp4'), frames)
    (videos / 'broken.mp4').write_bytes(b'not a video')  # sorts first: fails, writes nothing

    def generate(cache, kill_after=None):
        return run('mpm/generate_masks.py', [
            '--video-dir', str(videos), '--cache-root', str(cache), '--codec', 'frame_diff',
            '--threshold', '0.1', '--size', '16', '16', '--no-progress'], kill_after)

    full = generate(tmp_path / 'full')
    assert full.returncode == 0, full.stderr[-3000:]
    assert '5 clips, 0 already cached, 5 to do' in full.stdout and 'wrote 4 masks' in full.stdout
    assert '1 clip(s) failed' in full.stderr

    cache = tmp_path / 'killed'
    killed = generate(cache, kill_after=2)  # clip0, clip1 complete; clip2 only as a temporary file
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert [f for f in files(cache) if not f.endswith(TMP_MARK)] == ['clip0.npz', 'clip1.npz']
    assert len(temp_files(cache)) == 1 and temp_files(cache)[0].startswith('.clip2.npz.')

    again = generate(cache)
    assert again.returncode == 0, again.stderr[-3000:]
    assert '5 clips, 2 already cached, 3 to do' in again.stdout and 'wrote 2 masks' in again.stdout
    assert 'removed 1 partial file(s) of an interrupted run' in again.stdout
    assert '1 clip(s) failed' in again.stderr
    assert files(cache) == files(tmp_path / 'full') == ['clip0.npz', 'clip1.npz', 'clip2.npz', 'clip3.npz',
                                                        'errors.log']
    for i in range(4):  # the zip members carry timestamps: compare the arrays, not the bytes
        np.testing.assert_array_equal(load_mask(str(cache), f'clip{i}'),
                                      load_mask(str(tmp_path / 'full'), f'clip{i}'))
    assert (cache / 'errors.log').read_text() == (tmp_path / 'full' / 'errors.log').read_text()
