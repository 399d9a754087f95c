"""tools/data/check_dataset.py over a list-file dataset of the 18 real clips, some of them mutated (one of
them the file on which decord aborts the process), with their pose files, some of those mutated too: the
tool finishes, exits 1, and reports each bad file exactly once and no good file."""
import json
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import numpy as np

from cclslr.fileio import PoseData, open_video, video_num_frames, write_pose

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'fileio'))
import fuzz_mutators as M  # noqa: E402

# (clip, mutation index of fuzz_mutators.mutants(clip, n, clip)): inputs the fuzz suite found bad.
BAD_VIDEOS = {'25408.mp4': 0}  # flip32bits: decord aborts (std::bad_alloc) when opening it


def _mutated(src, index, seed):
    return list(M.mutants(src, index + 1, seed))[index][0]


def test_check_dataset_reports_each_bad_file_once(shared_data, tmp_path):
    videos, poses = tmp_path / 'videos', tmp_path / 'poses'
    videos.mkdir()
    poses.mkdir()
    clips = sorted(v for v in os.listdir(osp.join(shared_data, 'videos')) if v.endswith('.mp4'))
    bad = set()
    rng = np.random.default_rng(0)
    for i, name in enumerate(clips):
        src = osp.join(shared_data, 'videos', name)
        data = Path(src).read_bytes()
        n = video_num_frames(open_video(src))
        t = np.linspace(0, 1, n, dtype=np.float32)[:, None, None]
        pose = PoseData(np.broadcast_to(t, (n, 133, 2)), rng.uniform(0.5, 1, (n, 133)),
                        image_size=(64, 48))
        pose_path = str(poses / name.replace('.mp4', '.pkl'))
        write_pose(pose_path, pose)
        if name in BAD_VIDEOS:
            data = _mutated(src, BAD_VIDEOS[name], name)
        elif i % 6 == 1:
            data = b''
        elif i % 6 == 3:
            data = data[:len(data) // 2]  # truncated: the container index may survive, the frames do not
        elif i % 6 == 5:
            data = data[:64]
        (videos / name).write_bytes(data)
        if data != Path(src).read_bytes():
            bad.add(str(videos / name))
        if i % 5 == 2:  # pose files: truncated to a third, emptied, or cut to their first 10 bytes
            payload = Path(pose_path).read_bytes()
            Path(pose_path).write_bytes([payload[:len(payload) // 3], b'', payload[:10]][i % 3])
            bad.add(pose_path)
    (tmp_path / 'list.txt').write_text(''.join(f'{c} {k}\n' for k, c in enumerate(clips)))
    cfg = tmp_path / 'cfg.py'
    dataset = dict(type='SignListDataset', ann_file=str(tmp_path / 'list.txt'),
                   data_prefix=dict(video=str(videos), pose=str(poses)))
    cfg.write_text(f'train_dataloader = dict(dataset={dataset!r})\n')
    out = tmp_path / 'report.json'
    tool = str(REPO / 'tools' / 'data' / 'check_dataset.py')
    proc = subprocess.run([sys.executable, tool, str(cfg), '--decode', '--out', str(out)],
                          capture_output=True, text=True, timeout=300)  # a hang guard
    assert proc.returncode == 1, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    problems = '\n'.join(f'{p["file"]}: {p["reason"]}' for p in report['problems'])
    # A video truncated after its index may open with fewer frames (63806.mp4 cut in half: 31 of 72); the
    # checker then reports a length mismatch of the pose file, whose message names both files. So a bad
    # file counts as reported when exactly one problem names it.
    for path in bad:
        assert sum(path in p['reason'] for p in report['problems']) == 1, (path, problems)
    assert all(any(b in p['reason'] for b in bad) for p in report['problems']), problems
    assert all(p['file'] in p['reason'] and p['kind'] != 'other' for p in report['problems']), problems
    lines = proc.stdout.splitlines()
    for path in bad:  # the printed report names each bad file on exactly one line
        assert sum(path in line for line in lines) == 1, (path, proc.stdout)
    assert len(report['problems']) < 50  # (the tool prints the first 50 only)
