"""The tiny synthetic dataset the figure tests share (made once per session)."""
import pytest


@pytest.fixture(scope='session')
def tiny_root(tmp_path_factory):
    """The tiny synthetic preset (4 classes, 32 clips of 64x64; train 16, test 8)."""
    from cclslr.datasets.synthetic import make_synthetic_dataset
    root = str(tmp_path_factory.mktemp('vis_synthetic') / 'tiny')
    make_synthetic_dataset(root, preset='tiny', seed=3, num_workers=1)
    return root
