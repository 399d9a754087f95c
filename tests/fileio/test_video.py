"""The one video reader and writer: round trip, frame indices, errors that name the file."""
import os
import os.path as osp
import re

import numpy as np
import pytest

from cclslr.fileio import decode_frames, open_video, read_video, video_fps, video_num_frames, write_video


def _frames(t=12, h=32, w=64):
    """Frame index in the red channel (x20), a smooth gradient in blue: easy to recognise after mp4v."""
    frames = np.full((t, h, w, 3), 100, np.uint8)
    frames[..., 0] = (np.arange(t, dtype=np.uint8) * 20)[:, None, None]
    frames[..., 2] = np.linspace(0, 255, w).astype(np.uint8)
    return frames


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('video') / 'clip.mp4')
    write_video(path, _frames(), fps=20)
    return path


def test_write_then_read_back(video):
    assert os.listdir(osp.dirname(video)) == ['clip.mp4']  # the temporary was renamed
    reader = open_video(video)
    assert video_num_frames(reader) == 12 and video_fps(reader) == pytest.approx(20)
    frames, total = read_video(video)
    assert total == 12 and frames.shape == (12, 32, 64, 3) and frames.dtype == np.uint8
    red = frames[..., 0].astype(float).mean((1, 2))
    np.testing.assert_allclose(red, np.arange(12) * 20, atol=6)  # mp4v is lossy
    assert np.abs(frames.astype(int) - _frames()).mean() < 4


def test_decode_frames_keeps_order_and_repeats(video):
    full, _ = read_video(video)
    got = decode_frames(open_video(video), np.array([7, 2, 2, 11]), video)
    assert got.flags.writeable
    np.testing.assert_array_equal(got, full[[7, 2, 2, 11]])
    part, total = read_video(video, 3, 6)
    assert total == 12
    np.testing.assert_array_equal(part, full[3:6])
    np.testing.assert_array_equal(read_video(video, 10, 99)[0], full[10:])


def test_errors_name_the_file(tmp_path, video):
    missing = str(tmp_path / 'missing.mp4')
    with pytest.raises(ValueError, match=re.escape(f'{missing}: cannot open video (file not found)')):
        open_video(missing)
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(b'\x00\x00\x00\x18ftypmp42 this is not a video')
    with pytest.raises(ValueError, match=re.escape(f'{corrupt}: cannot open video (RuntimeError: Error')):
        read_video(str(corrupt))
    with pytest.raises(ValueError, match=re.escape(f'{video}: empty frame range [12, -1) of a 12-frame')):
        read_video(video, 12)

    class Broken:
        def get_batch(self, inds):
            raise RuntimeError('decoder exploded\nC++ trace ...')

    with pytest.raises(ValueError, match=re.escape('v.mp4: cannot decode frames 1..5 (RuntimeError: decoder '
                                                   'exploded)')):
        decode_frames(Broken(), [5, 1], 'v.mp4')
    with pytest.raises(ValueError, match=r'out.mp4: frames to write must be uint8 \(T, H, W, 3\), got float'):
        write_video(str(tmp_path / 'out.mp4'), np.zeros((2, 8, 8, 3), np.float32))
    assert not (tmp_path / 'out.mp4').exists()


def test_real_clips_open(shared_data):
    # 01586.mp4 has non-UTF-8 container metadata that trips some readers; decord reads it.
    for name, frames in (('01586.mp4', 44), ('01377.mp4', 25)):
        path = osp.join(shared_data, 'videos', name)
        reader = open_video(path)
        assert video_num_frames(reader) == frames
        assert decode_frames(reader, [0, frames - 1], path).shape[0] == 2


def test_probe_runs_once_per_unchanged_file(tmp_path, monkeypatch):
    """A training run opens each clip every epoch: only the first open of an unchanged file forks a probe."""
    from cclslr.fileio import video
    frames = np.zeros((4, 16, 16, 3), np.uint8)
    path = str(tmp_path / 'clip.mp4')
    video.write_video(path, frames)
    calls = []
    monkeypatch.setattr(video, '_probe_in_child', lambda p: calls.append(p))
    monkeypatch.setattr(video, '_PROBED_OK', {})
    for _ in range(3):
        video.open_video(path, probe=True)
    assert calls == [path]
    video.write_video(path, np.full((6, 16, 16, 3), 200, np.uint8))  # a new file under the same name
    video.open_video(path, probe=True)
    assert calls == [path, path]
    video.open_video(path, probe=False)
    assert len(calls) == 2


def test_decode_frames_without_copy_equals_asnumpy(video):
    """decode_frames takes decord's buffer through DLPack: the same frames as asnumpy(), writable, and
    not overwritten by the next decode."""
    reader = open_video(video)
    first = decode_frames(reader, [1, 5, 5, 9], video)
    kept = first.copy()
    np.testing.assert_array_equal(first, reader.get_batch([1, 5, 5, 9]).asnumpy())
    later = decode_frames(reader, [0, 2, 3, 4], video)
    np.testing.assert_array_equal(first, kept)
    assert first.flags.writeable and later.flags.writeable and not np.shares_memory(first, later)
    first[0] = 0  # writable without touching decord's later buffers
    np.testing.assert_array_equal(later, reader.get_batch([0, 2, 3, 4]).asnumpy())
