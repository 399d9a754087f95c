"""Atomic writes and the clean-up of a killed writer's temporary files."""
import os
import subprocess
import sys

from cclslr.fileio import load_mask, read_pose, save_mask
from cclslr.fileio.atomic import TMP_MARK, atomic_write_bytes, make_temp_file, remove_stale_temp_files


def test_temp_files_are_hidden_marked_and_not_matched_by_reader_extensions(tmp_path):
    fd, tmp = make_temp_file(str(tmp_path / 'sub' / 'clip.npz'))
    os.close(fd)
    name = os.path.basename(tmp)
    assert name.startswith(f'.clip.npz.{os.getpid()}.') and name.endswith(TMP_MARK)
    assert not name.endswith(('.npz', '.pkl', '.pth'))


def test_remove_stale_keeps_live_writers_and_foreign_files(tmp_path):
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True,
                          text=True).stdout.strip()  # a pid that has exited
    live = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        (tmp_path / 'a').mkdir()
        stale = tmp_path / 'a' / f'.x.pkl.{dead}.abc{TMP_MARK}'
        alive = tmp_path / f'.y.pkl.{live.pid}.abc{TMP_MARK}'
        foreign = tmp_path / 'tmp123.tmp'
        for p in (stale, alive, foreign):
            p.write_bytes(b'partial')
        assert remove_stale_temp_files(str(tmp_path), recursive=False) == []
        assert remove_stale_temp_files(str(tmp_path)) == [str(stale)]
        assert alive.exists() and foreign.exists()
    finally:
        live.kill()
        live.wait()


def test_writers_leave_no_temp_file(tmp_path):
    import numpy as np
    from cclslr.fileio import PoseData, write_pose
    atomic_write_bytes(str(tmp_path / 'b.bin'), b'123')
    save_mask(str(tmp_path), 'm/c', np.ones((2, 3, 9), bool))
    write_pose(str(tmp_path / 'p.pkl'), PoseData(np.zeros((2, 133, 2)), np.ones((2, 133))))
    names = sorted(os.path.relpath(os.path.join(r, n), tmp_path)
                   for r, _, ns in os.walk(tmp_path) for n in ns)
    assert names == ['b.bin', 'm/c.npz', 'p.pkl']
    assert load_mask(str(tmp_path), 'm/c').shape == (2, 3, 9)
    assert read_pose(str(tmp_path / 'p.pkl')).num_frames == 2
