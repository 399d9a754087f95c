import os
import os.path as osp
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.normpath(osp.join(REPO_ROOT, '..', 'shared', 'data'))

# Tests are small; one intra-op thread keeps 2-core machines (and pytest-xdist workers) from thrashing.
os.environ.setdefault('OMP_NUM_THREADS', '1')


def pytest_configure(config):
    import torch
    torch.set_num_threads(1)
    from cclslr.utils import register_all_modules
    register_all_modules(init_default_scope=True)


@pytest.fixture(autouse=True)
def cclslr_default_scope():
    """Every test starts in cclslr's scope: MMPose's init_model (keypoint extraction tests) leaves its own
    scope as the current default, which would make a later test's registry look-ups miss cclslr's."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('cclslr'):
        yield


@pytest.fixture(scope='session')
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope='session')
def shared_data():
    """``../shared/data`` beside the repository; tests that need it skip when it is absent."""
    if not osp.isdir(SHARED_DATA):
        pytest.skip(f'real benchmark files not available ({SHARED_DATA} is absent)')
    return SHARED_DATA


@pytest.fixture
def python_exe():
    return sys.executable
