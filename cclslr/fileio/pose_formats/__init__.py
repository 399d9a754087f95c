"""The pose file formats; importing this package registers each one in ``cclslr.fileio.pose_files``."""
from . import dotpose, gislr_parquet, mediapipe, mmpose, unisign  # noqa: F401

__all__ = ['dotpose', 'gislr_parquet', 'mediapipe', 'mmpose', 'unisign']
