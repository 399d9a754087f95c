"""File I/O of cclslr: videos, pose files (one data contract, a registry of formats), the MPM mask cache,
and the restricted unpickler every data pickle goes through. Nothing here imports ``cclslr.datasets``."""
from . import pose_formats  # noqa: F401  (registers the pose formats)
from .mask_cache import CACHE_VERSION, load_mask, mask_path, save_mask
from .pose_files import (PoseData, check_pose_format, pose_format_names, pose_format_of, read_pose,
                         register_pose_reader, register_pose_writer, write_pose)
from .safe_pickle import SafeUnpickler, UnsafePickleError, safe_load, safe_loads
from .video import decode_frames, open_video, read_video, video_fps, video_num_frames, write_video

__all__ = ['CACHE_VERSION', 'load_mask', 'mask_path', 'save_mask', 'PoseData', 'check_pose_format',
           'pose_format_names', 'pose_format_of', 'read_pose', 'register_pose_reader', 'register_pose_writer',
           'write_pose', 'SafeUnpickler', 'UnsafePickleError', 'safe_load', 'safe_loads', 'decode_frames',
           'open_video', 'read_video', 'video_fps', 'video_num_frames', 'write_video']
