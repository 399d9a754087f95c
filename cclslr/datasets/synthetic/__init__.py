"""Synthetic sign-language data: the project's embedded default dataset (no downloads).

``make_synthetic_dataset(out_dir, preset='demo', seed=0)`` renders C classes x S signers x R repetitions
of short mp4 clips with a 2D signer, the exact COCO-WholeBody keypoint track of every clip (Uni-Sign
pickles), and a WLASL-format annotation file, so the WLASL dataset class reads it unchanged.
See docs/synthetic_data.md.
"""
from .config import PRESETS, SyntheticConfig, build_config
from .generate import ANN_FILE, make_synthetic_dataset
from .overlay import keypoint_colour_agreement, normalized_pose, overlay_grid

__all__ = ['make_synthetic_dataset', 'SyntheticConfig', 'build_config', 'PRESETS', 'ANN_FILE',
           'keypoint_colour_agreement', 'normalized_pose', 'overlay_grid']
