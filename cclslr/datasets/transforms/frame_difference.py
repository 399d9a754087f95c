"""Residual frames: feed the RGB encoder the change between consecutive frames instead of the frames.

A static background, the signer's clothes and skin tone are the same in every frame, so they vanish from
the difference; what is left is the moving arms, hands and mouth. This is the input-side counterpart of
Motion-Preserving Masking (docs/mpm.md), known in video self-supervision as "residual frames" (Tao et al.,
2020). It is *not* part of CCL-SLR: the paper's configs feed RGB frames. The demo configs use it because
on the synthetic set the small RGB encoder otherwise learns the signers' appearance, not the signs
(docs/notes/demo_experiments.md). Put it after every geometric and colour transform of a view and in the
test pipeline of any model trained with it: an encoder trained on differences cannot read raw frames.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from cclslr.registry import TRANSFORMS


@TRANSFORMS.register_module()
class FrameDifference(BaseTransform):
    """uint8 frames (T, H, W, C) -> uint8 (T, H, W, C): ``128 + gain * (f_t - f_{t-1}) / 2``, clipped to
    [0, 255], with f_{-1} = f_0 (the first frame is uniform grey). The clip keeps its length, so the
    RGB and pose streams stay aligned frame by frame.

    Args:
        gain: scale of the difference. At 2 a change of +-127 grey levels spans the whole uint8 range;
            larger values brighten small motions and clip large ones.

    Required keys: ``imgs``. Modified keys: ``imgs``.
    """

    def __init__(self, gain: float = 2.0):
        if not gain > 0:
            raise ValueError(f'FrameDifference: gain must be > 0, got {gain}')
        self.gain = float(gain)

    def transform(self, results: dict) -> dict:
        imgs = np.asarray(results['imgs'])
        if imgs.ndim != 4 or imgs.dtype != np.uint8:
            raise ValueError(f"FrameDifference: {results.get('filename', 'clip')}: expected uint8 frames "
                             f'(T, H, W, C), got {imgs.dtype} {imgs.shape}')
        x = imgs.astype(np.int16)
        diff = np.zeros_like(x)
        diff[1:] = x[1:] - x[:-1]
        out = np.clip(np.rint(128 + diff * (self.gain / 2)), 0, 255)
        results['imgs'] = out.astype(np.uint8)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(gain={self.gain})'
