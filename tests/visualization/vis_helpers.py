"""Shared pieces of the figure tests: tiny encoders, demo configs pointed at a dataset, figure checks."""
import importlib.util
import os.path as osp

import numpy as np
import torch
import torch.nn as nn

from cclslr.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@MODELS.register_module(force=True)
class TinyConv3dVis(nn.Module):
    """(N, 3, T, H, W) -> (N, 8, T, H/4, W/4): two strided 3D convolutions (a last stage to Grad-CAM)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv3d(3, 8, 3, stride=(1, 2, 2), padding=1), nn.ReLU(),
                                 nn.Conv3d(8, 8, 3, stride=(1, 2, 2), padding=1), nn.ReLU())

    def forward(self, x):
        return self.net(x)


TINY_RGB = dict(type='RGBEncoder', backbone=dict(type='TinyConv3dVis'), out_channels=8)
TINY_POSE = dict(type='PoseEncoder', group_channels=16, gcn_channels=(8, 16), d_model=16, num_layers=1,
                 num_heads=2, dropout=0.0)
PREPROCESSOR = dict(type='SignDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])


def load_tool(*parts):
    path = osp.join(REPO, 'tools', *parts)
    spec = importlib.util.spec_from_file_location(osp.splitext(parts[-1])[0], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def demo_config(name: str, root: str, tmp_dir, model: dict = None) -> str:
    """``configs/demo/<name>`` with its datasets at ``root`` and ``model`` swapped in; written to
    ``tmp_dir`` and returned as a path (the tools take config files)."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'demo', name))
    cfg.merge_from_dict(load_tool('demo.py').data_root_options(cfg, root))
    if model is not None:
        cfg.model = model
    path = str(tmp_dir / name)
    cfg.dump(path)
    return path


def tiny_cclslr() -> dict:
    return dict(type='CCLSLR', rgb_encoder=TINY_RGB, pose_encoder=TINY_POSE, feat_dim=8, queue_size=16,
                momentum=0.99, spm_head=dict(type='SPMHead', topk=2), losses=dict(cl=1.0, spm=0.0, cross=1.0),
                data_preprocessor=PREPROCESSOR)


def tiny_recognizer(num_classes: int = 4) -> dict:
    return dict(type='SignRecognizer', num_classes=num_classes, rgb_backbone=TINY_RGB,
                pose_backbone=TINY_POSE,
                data_preprocessor=PREPROCESSOR)


def save_checkpoint(model, path) -> str:
    """An MMEngine-style checkpoint (``state_dict`` + ``meta``) of ``model``."""
    torch.save(dict(meta=dict(epoch=1), state_dict=model.state_dict()), str(path))
    return str(path)


def assert_figure(path: str, shape=None, min_std: float = 5.0) -> np.ndarray:
    """The PNG exists, has ``shape`` (H, W) if given, and is not blank (pixel standard deviation)."""
    import cv2
    assert osp.isfile(path), path
    img = cv2.imread(path)
    assert img is not None, path
    if shape is not None:
        assert img.shape[:2] == tuple(shape), (path, img.shape)
    assert img.std() > min_std, (path, img.std())
    return img
