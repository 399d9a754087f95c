"""The Motion-Preserving-Masking mask cache: one file per clip, bit-packed and compressed.

Layout: ``<cache_root>/<sample_id>.npz`` (``sample_id`` may contain ``/``, which become sub-folders),
written with ``numpy.savez_compressed`` and holding

* ``packed``: uint8, ``np.packbits(mask, axis=-1)`` of the boolean mask of shape (T, H, W);
* ``shape``: int64 (3,) = (T, H, W);
* ``version``: int64 scalar, :data:`CACHE_VERSION`.

T indexes the video file's frames (frame 0 = the file's first frame), so a clip with an annotated frame
range reads ``mask[frame_inds]`` with the same indices as the decoded video. H, W may be smaller than
the video's (masks are stored at the codec's working resolution); the ``MotionMask`` transform resizes
them (nearest) to the frame size before cropping and flipping them with the frames. 1 = keep the pixel.
"""
import os.path as osp

import numpy as np

from .atomic import atomic_open

CACHE_VERSION = 1


def mask_path(cache_root: str, sample_id: str) -> str:
    return osp.join(cache_root, f'{sample_id}.npz')


def save_mask(cache_root: str, sample_id: str, mask: np.ndarray) -> str:
    """Write ``mask`` (bool/0-1 array, shape (T, H, W)) atomically; returns the file path."""
    mask = np.asarray(mask)
    if mask.ndim != 3:
        raise ValueError(f'mask for {sample_id!r} must be (T, H, W), got shape {mask.shape}')
    path = mask_path(cache_root, sample_id)
    # Write to a temporary file and rename, so an interrupted run never leaves a truncated mask. The
    # temporary name does not end in .npz (a kill leaves it behind; generate_masks removes it on restart).
    with atomic_open(path) as f:  # a file object: numpy would append .npz to a name
        np.savez_compressed(f, packed=np.packbits(mask.astype(bool), axis=-1),
                            shape=np.asarray(mask.shape, dtype=np.int64), version=np.int64(CACHE_VERSION))
    return path


def load_mask(cache_root: str, sample_id: str):
    """Read a clip's mask: bool array (T, H, W), or ``None`` when the clip has no cached mask.

    Raises:
        ValueError: the file exists but is corrupt or of another cache version (message names it).
    """
    path = mask_path(cache_root, sample_id)
    if not osp.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            version = int(f['version'])
            shape = tuple(int(s) for s in f['shape'])
            packed = f['packed']
    except Exception as e:
        raise ValueError(f'{path}: unreadable mask cache file ({type(e).__name__}: {e})') from e
    if version != CACHE_VERSION:
        raise ValueError(f'{path}: mask cache version {version}, expected {CACHE_VERSION}; '
                         'regenerate it with tools/mpm/generate_masks.py')
    # The declared shape must agree with the stored bits: unpacking trusts it, and a corrupt or hand-made
    # file would otherwise fail with a numpy message that does not name it, or give a mask of another shape.
    if len(shape) != 3 or min(shape) < 0:
        raise ValueError(f'{path}: mask cache shape must be (T, H, W), got {shape}')
    packed_shape = shape[:2] + ((shape[2] + 7) // 8,)
    if packed.dtype != np.uint8 or packed.shape != packed_shape:
        raise ValueError(f'{path}: mask cache holds {packed.dtype} bits of shape {packed.shape}, expected '
                         f'uint8 {packed_shape} for a {shape} mask')
    return np.unpackbits(packed, axis=-1, count=shape[-1]).astype(bool).reshape(shape)
