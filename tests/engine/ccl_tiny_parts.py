"""Tiny encoders and a tiny two-view dataset for the engine tests of CCL-SLR (CPU, milliseconds)."""
import numpy as np
import torch
import torch.nn as nn
from mmengine.registry import DefaultScope
from torch.utils.data import Dataset

from cclslr.models.algorithms import CCLSLR
from cclslr.registry import DATASETS, MODELS
from cclslr.structures import SignDataSample


@MODELS.register_module(force=True)
class TinyRGBEncoderE(nn.Module):
    """(N, 3, T, H, W) -> (N, 6), with dropout so that the torch RNG matters to the losses."""

    def __init__(self, out_channels: int = 6):
        super().__init__()
        self.out_channels = out_channels
        self.fc = nn.Linear(3 * 2, out_channels)
        self.drop = nn.Dropout(0.2)

    def forward(self, x):
        pooled = torch.cat([x.mean(dim=(2, 3, 4)), x.amax(dim=(2, 3, 4))], dim=1)
        return self.fc(self.drop(pooled))


@MODELS.register_module(force=True)
class TinyPoseEncoderE(nn.Module):
    """(N, T, J, 3), (N, T) -> (N, 5): masked temporal mean, then a Linear."""

    def __init__(self, num_joints: int = 4, out_channels: int = 5):
        super().__init__()
        self.out_channels = out_channels
        self.fc = nn.Linear(num_joints * 3, out_channels)

    def forward(self, pose, mask=None):
        w = torch.ones(pose.shape[:2]) if mask is None else mask.float()
        pooled = (pose * w[..., None, None]).sum(1) / w.sum(1).clamp(min=1)[:, None, None]
        return self.fc(pooled.flatten(1))


def tiny_model_cfg(queue_size: int = 12, **kwargs) -> dict:
    cfg = dict(type='CCLSLR', rgb_encoder=dict(type='TinyRGBEncoderE'),
               pose_encoder=dict(type='TinyPoseEncoderE'), feat_dim=4, queue_size=queue_size,
               momentum=0.9, spm_head=dict(type='SPMHead', topk=2),
               # Identity normalisation; it batches the views and makes the pose masks.
               data_preprocessor=dict(type='SignDataPreprocessor', mean=(0, 0, 0), std=(1, 1, 1)))
    cfg.update(kwargs)
    return cfg


def build_tiny_model(**kwargs) -> CCLSLR:
    # In cclslr's scope explicitly: spawned worker processes have no default scope.
    with DefaultScope.overwrite_default_scope('cclslr'):
        model = MODELS.build(tiny_model_cfg(**kwargs))
    model.init_weights()
    return model


def clip(index: int, num_classes: int = 3):
    """The clean RGB clip (3, 2, 4, 4) and pose (2, 4, 3) of one index: class-dependent means."""
    g = torch.Generator().manual_seed(1000 + index)
    label = index % num_classes
    rgb = torch.randn(3, 2, 4, 4, generator=g) * 0.3 + label
    pose = torch.randn(2, 4, 3, generator=g) * 0.3 - label
    return rgb, pose, label


@DATASETS.register_module(force=True)
class TinyTwoViewDataset(Dataset):
    """Pre-training style samples: ``views`` augmented views per modality.

    The augmentation draws from the global numpy *and* torch generators on purpose: an exact resume must
    restore them.
    """

    def __init__(self, num: int = 10, views: int = 2, **kwargs):
        self.num, self.views = num, views

    def __len__(self):
        return self.num

    def __getitem__(self, index):
        rgb, pose, label = clip(index)
        rgb_views, pose_views = [], []
        for _ in range(self.views):
            scale = float(np.random.uniform(0.8, 1.2))
            rgb_views.append(rgb * scale + 0.05 * torch.randn_like(rgb) if self.views > 1 else rgb)
            pose_views.append(pose * scale if self.views > 1 else pose)
        sample = SignDataSample().set_gt_label(label)
        sample.set_metainfo(dict(sample_id=str(index)))
        return dict(inputs={'rgb': rgb_views, 'pose': pose_views},
                    data_samples=sample)
