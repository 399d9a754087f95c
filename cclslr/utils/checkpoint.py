"""Checkpoint loading policy.

torch >= 2.6 loads with ``weights_only=True``; MMEngine 0.10.7 checkpoints hold a few non-tensor objects
(the message hub's ``HistoryBuffer``, numpy arrays and scalars), so ``--resume`` / ``load_from`` fail.
Turning weights-only off everywhere (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``) would unpickle arbitrary code
from any downloaded file. The policy here:

* the project's own checkpoints (resume, ``load_from``, ``tools/test.py``): loaded weights-only with an
  allow-list of exactly the classes MMEngine writes (:func:`allow_mmengine_checkpoint_globals`);
* third-party pretrained weights (:func:`load_plain_state_dict`): weights-only with no extra classes, i.e.
  tensors and containers only. A file that needs more is rejected with an error naming it.

MMEngine's local checkpoint loader (``mmengine/runner/checkpoint.py`` ``load_from_local``) calls
``torch.load`` without ``weights_only``: torch's default is weights-only, but the environment variable
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` then turns it off, and its error does not name the file.
:func:`allow_mmengine_checkpoint_globals` therefore also registers :func:`load_local_weights_only` as
MMEngine's loader of local paths (``load_from``, ``--resume``, ``tools/test.py``), which passes
``weights_only=True`` explicitly (the variable cannot override that) and names the refused file.
"""
import os.path as osp
import pickle
from collections import OrderedDict

import numpy as np
import torch

_ALLOWED = False


def allow_mmengine_checkpoint_globals() -> None:
    """Allow-list the classes MMEngine's CheckpointHook writes, for weights-only loading (idempotent)."""
    global _ALLOWED
    if _ALLOWED:
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    # HistoryBuffer pickles its statistics methods as getattr(buffer, 'min'): the bound method is only
    # stored, never called (weights-only unpickling refuses to call anything not allow-listed).
    safe = [HistoryBuffer, getattr, OrderedDict, np.ndarray, np.dtype, np.core.multiarray._reconstruct,
            np.core.multiarray.scalar, type(np.dtype(np.float64)), type(np.dtype(np.float32)),
            type(np.dtype(np.int64)), type(np.dtype(np.int32)), type(np.dtype(np.uint32)),
            type(np.dtype(np.uint8)), type(np.dtype(np.bool_))]
    try:
        from mmengine.config import ConfigDict
        safe.append(ConfigDict)
    except ImportError:  # pragma: no cover
        pass
    torch.serialization.add_safe_globals(safe)
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_weights_only, force=True)
    _ALLOWED = True


def refused_checkpoint_message(path: str, e: Exception) -> str:
    """The error text for a checkpoint that weights-only loading refused (names the file and the global)."""
    # torch's message suggests weights_only=False or allow-listing the global: never right for us.
    text = ' '.join(str(e).split())
    mark = 'WeightsUnpickler error:'
    reason = text[text.index(mark) + len(mark):] if mark in text else text
    for tail in (' Please use', ' Check the documentation'):
        reason = reason.split(tail)[0]
    reason = reason.strip().rstrip('.')
    return (f'{path}: refused: the checkpoint holds objects that weights-only loading does not allow '
            f'({type(e).__name__}: {reason}). cclslr never unpickles code from a checkpoint')


def load_local_weights_only(filename: str, map_location=None):
    """MMEngine's ``CheckpointLoader`` scheme for local paths, always ``weights_only=True``."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename}: checkpoint not found')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise RuntimeError(refused_checkpoint_message(filename, e) + ' (this loader reads the '
                           'project\'s own MMEngine checkpoints; third-party weights go through '
                           'load_plain_state_dict)') from None


def load_plain_state_dict(path: str, map_location='cpu', prefix: str = None) -> 'OrderedDict':
    """Load third-party weights as plain tensors (no arbitrary unpickling).

    Args:
        path: a local ``.pth``/``.pt``/``.ckpt`` file. URLs are refused (nothing downloads at run time).
        prefix: keep only keys starting with it, and strip it (e.g. ``'backbone.'``).

    Returns:
        An ordered ``{name: tensor}`` dict; a top-level ``'state_dict'`` or ``'model'`` entry is unwrapped.
    """
    if '://' in str(path):
        raise ValueError(f'{path}: only local checkpoint files are loaded (no downloads at run time)')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: pretrained checkpoint not found')
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise RuntimeError(refused_checkpoint_message(path, e) + '; re-save the file as a plain state dict '
                           '(torch.save(model.state_dict(), path)).') from e
    except Exception as e:
        raise RuntimeError(f'{path}: not loadable as plain tensors ({type(e).__name__}: '
                           f'{str(e).splitlines()[0] if str(e) else ""})') from e
    if isinstance(ckpt, dict):
        for key in ('state_dict', 'model'):
            if key in ckpt and isinstance(ckpt[key], dict):
                ckpt = ckpt[key]
                break
    if not isinstance(ckpt, dict):
        raise RuntimeError(f'{path}: expected a dict of tensors, got {type(ckpt).__name__}')
    out = OrderedDict()
    for k, v in ckpt.items():
        if prefix is not None:
            if not k.startswith(prefix):
                continue
            k = k[len(prefix):]
        out[k] = v
    return out
