"""Fixtures of the inference tests: tiny synthetic clips and 1-iteration checkpoints (tiny_models.py)."""
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from tiny_models import FUSED_CFG, POSE_CFG, make_tiny_signs, train_one_iter  # noqa: E402


@pytest.fixture(scope='session')
def tiny_signs(tmp_path_factory):
    return make_tiny_signs(str(tmp_path_factory.mktemp('tiny_signs')))


@pytest.fixture(scope='session')
def fused_ckpt(tiny_signs, tmp_path_factory):
    return train_one_iter(FUSED_CFG, tiny_signs, str(tmp_path_factory.mktemp('fused_wd')))


@pytest.fixture(scope='session')
def pose_ckpt(tiny_signs, tmp_path_factory):
    return train_one_iter(POSE_CFG, tiny_signs, str(tmp_path_factory.mktemp('pose_wd')))
