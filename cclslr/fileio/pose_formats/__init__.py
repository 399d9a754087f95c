"""The pose file formats; importing this package registers each one in ``cclslr.fileio.pose_files``."""
from . import mediapipe, mmpose, unisign  # noqa: F401

__all__ = ['mediapipe', 'mmpose', 'unisign']
