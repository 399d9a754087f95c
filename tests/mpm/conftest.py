import importlib.util
import os.path as osp

import pytest

from cclslr.fileio import write_video
from cclslr.mpm.toy import moving_square_clip

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name: str):
    """Import tools/mpm/<name>.py as a module (tools/ is not a package)."""
    path = osp.join(REPO, 'tools', 'mpm', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'mpm_tool_{name}', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def toy_clip():
    return moving_square_clip(num_frames=8, height=32, width=32, square=8, seed=0)


@pytest.fixture
def video_dir(tmp_path):
    """Three 10-frame 32x32 mp4 clips with a moving square on a textured background."""
    root = tmp_path / 'videos'
    root.mkdir()
    for i in range(3):
        frames, _ = moving_square_clip(num_frames=10, height=32, width=32, square=8, seed=i)
        write_video(str(root / f'clip{i}.mp4'), frames)
    return root
