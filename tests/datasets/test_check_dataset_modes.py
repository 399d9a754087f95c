"""tools/data/check_dataset.py: ``--decode`` finds the damaged clips that only fail when decoded, and
``--no-video`` checks a pose-only dataset (which, without it, is all "missing" videos)."""
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import plausible_pose
from cclslr.fileio import PoseData, write_pose

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'data' / 'check_dataset.py'


def _tool():
    spec = importlib.util.spec_from_file_location('check_dataset', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _list_config(tmp_path, names, videos, poses=None):
    (tmp_path / 'list.txt').write_text(''.join(f'{n} {k}\n' for k, n in enumerate(names)))
    prefix = dict(video=str(videos)) if poses is None else dict(video=str(videos), pose=str(poses))
    dataset = dict(type='SignListDataset', ann_file=str(tmp_path / 'list.txt'), data_prefix=prefix)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f'train_dataloader = dict(dataset={dataset!r})\n')
    return str(cfg)


def test_decode_finds_damaged_clips(shared_data, tmp_path, capsys):
    """Two real clips that open: one truncated by 10 bytes (its last frame fails), one with a fifth of its
    bytes zeroed from the middle (its first, middle and last frames still decode; frames between do not)."""
    videos = tmp_path / 'videos'
    videos.mkdir()
    src = Path(shared_data) / 'videos'
    (videos / 'trunc.mp4').write_bytes((src / '01377.mp4').read_bytes()[:-10])
    data = (src / '25241.mp4').read_bytes()
    mid, n = len(data) // 2, len(data) // 5
    (videos / 'zeroed.mp4').write_bytes(data[:mid] + bytes(n) + data[mid + n:])
    shutil.copy(src / '19326.mp4', videos / 'good.mp4')
    cfg = _list_config(tmp_path, ['good.mp4', 'trunc.mp4', 'zeroed.mp4'], videos)
    tool = _tool()

    assert tool.main([cfg, '--no-pose']) == 0  # the bug: opening alone passes them
    assert tool.DECODE_ADVICE in capsys.readouterr().out

    out = tmp_path / 'report.json'
    assert tool.main([cfg, '--no-pose', '--decode', '--out', str(out)]) == 1
    report = json.loads(out.read_text())
    assert {(p['sample_id'], p['kind'], p['modality']) for p in report['problems']} == {
        ('trunc', 'unreadable', 'video'), ('zeroed', 'unreadable', 'video')}
    assert all('cannot decode' in p['reason'] and p['file'] in p['reason'] for p in report['problems'])
    assert tool.DECODE_ADVICE not in capsys.readouterr().out


def test_no_video_checks_a_pose_only_dataset(tmp_path, capsys):
    poses = tmp_path / 'poses'
    poses.mkdir()
    rng = np.random.default_rng(0)
    for name, frames in (('a', 20), ('b', 30), ('short', 3)):
        write_pose(str(poses / f'{name}.pkl'), PoseData(*plausible_pose(frames, rng)))
    kpts, scores = plausible_pose(12, rng)
    kpts[5, 100] = np.nan
    write_pose(str(poses / 'nan.pkl'), PoseData(kpts, scores))
    tool = _tool()
    clean = _list_config(tmp_path, ['a.mp4', 'b.mp4', 'short.mp4'], tmp_path / 'no_videos', poses)

    # the bug: every absent video is "missing" and the run fails
    assert tool.main([clean]) == 1
    assert tool.POSE_ONLY_ADVICE in capsys.readouterr().out
    assert tool.main([clean, '--no-video']) == 0
    assert '3 samples, 0 with problems' in capsys.readouterr().out

    out = tmp_path / 'report.json'
    bad = _list_config(tmp_path, ['a.mp4', 'short.mp4', 'nan.mp4', 'gone.mp4'], tmp_path / 'no_videos', poses)
    assert tool.main([bad, '--no-video', '--min-frames', '8', '--out', str(out)]) == 1
    report = json.loads(out.read_text())
    assert {(p['sample_id'], p['kind']) for p in report['problems']} == {
        ('short', 'too_short'), ('nan', 'nan'), ('gone', 'missing')}
    assert all(p['modality'] == 'pose' and p['file'] in p['reason'] for p in report['problems'])
    with pytest.raises(SystemExit):
        tool.main([bad, '--no-video', '--decode'])
