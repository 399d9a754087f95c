"""Mixed precision for ``tools/train.py --amp``: fp16 on CUDA, bf16 on CPU (docs/performance.md).

MMEngine's ``AmpOptimWrapper`` refuses to start without an accelerator, so CPU bf16 (and CUDA bf16
without a loss scaler) goes through :class:`AutocastOptimWrapper`: the forward under ``torch.autocast``
with the given dtype, the backward and step of a plain ``OptimWrapper``. bf16 has fp32's exponent range,
so its gradients need no loss scaling; fp16 does, and keeps MMEngine's ``AmpOptimWrapper`` and its
dynamic ``GradScaler``.

The models keep what must stay fp32 in fp32 themselves (CCL-SLR: queues, logits and losses).
"""
import copy
from contextlib import contextmanager
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from cclslr.registry import OPTIM_WRAPPERS

AMP_DTYPES = ('float16', 'bfloat16')


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose forward runs under ``torch.autocast`` (no loss scaling: for bf16).

    Args:
        dtype: the autocast dtype, ``'bfloat16'`` (default) or a ``torch.dtype``. fp16 needs loss
            scaling: use MMEngine's ``AmpOptimWrapper`` for it.
        **kwargs: those of ``OptimWrapper`` (optimizer, clip_grad, accumulative_counts).
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16', **kwargs):
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        if self.cast_dtype != torch.bfloat16:
            raise ValueError(f'AutocastOptimWrapper: dtype {dtype!r} needs loss scaling; only bfloat16 runs '
                             "without it (fp16 on CUDA: type='AmpOptimWrapper', dtype='float16')")

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The parent's context (gradient accumulation) plus autocast on the model's device type."""
        device_type = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(device_type=device_type, dtype=self.cast_dtype):
            yield


def amp_optim_wrapper(optim_wrapper: dict, device: str, dtype: Optional[str] = None) -> dict:
    """The ``optim_wrapper`` config for mixed precision on ``device`` ('cuda' or 'cpu').

    CUDA: MMEngine's ``AmpOptimWrapper`` with ``dtype`` (default fp16) and a dynamic loss scale; CPU:
    :class:`AutocastOptimWrapper` in bf16 (CPU autocast has no fp16). Raises for a wrapper type that is
    not a plain ``OptimWrapper`` (its own behaviour would be lost) or a dtype the device cannot run.
    """
    cfg = copy.deepcopy(dict(optim_wrapper))
    current = cfg.get('type', 'OptimWrapper')
    if current not in ('OptimWrapper', 'AmpOptimWrapper', 'AutocastOptimWrapper'):
        raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {current}')
    if dtype is not None and dtype not in AMP_DTYPES:
        raise ValueError(f'AMP dtype must be one of {AMP_DTYPES}, got {dtype!r}')
    for key in ('loss_scale', 'dtype'):
        cfg.pop(key, None)
    if device == 'cuda':
        cfg.update(type='AmpOptimWrapper', dtype=dtype or 'float16', loss_scale='dynamic')
    elif device == 'cpu':
        if dtype == 'float16':
            raise ValueError('AMP on CPU runs bfloat16 only (torch.autocast on CPU has no float16)')
        cfg.update(type='AutocastOptimWrapper', dtype='bfloat16')
    else:
        raise ValueError(f'AMP: device must be cuda or cpu, got {device!r}')
    return cfg
