"""The pose encoder of CCL-SLR: per-frame group GCNs + two temporal Transformers (docs/method.md §4)."""
import math
from typing import Callable, Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from cclslr.structures.keypoint_layout import GROUP_SLICES, NUM_KEPT
from cclslr.registry import MODELS

from .gcn import GroupGCN

# Which GCN module encodes which group of the 75-point layout: both hands share one.
_GROUP_MODULE = dict(left_hand='hand', right_hand='hand', body='body', face='face', mouth='mouth')
MANUAL = ('left_hand', 'right_hand', 'body')
NON_MANUAL = ('face', 'mouth')

HandFusion = Callable[[torch.Tensor, str], torch.Tensor]


def sinusoidal_encoding(length: int, dim: int, device=None) -> torch.Tensor:
    """The Transformer's fixed sine/cosine position table, shape (length, dim)."""
    pos = torch.arange(length, dtype=torch.float32, device=device)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32, device=device) * (-math.log(1e4) / dim))
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq[:dim // 2])
    return table


class MaskedDataNorm(nn.Module):
    """Batch normalisation of the raw keypoint inputs, per keypoint and channel, over valid frames only.

    The keypoint channels live on very different scales (hand coordinates relative to the wrist are a
    few hundredths, scores are near 1): without this, the GCN's biases dominate its outputs and every
    clip gets nearly the same feature (ST-GCN normalises its input with ``data_bn`` for the same
    reason). Statistics are taken over the valid frames of the batch, so padded frames never influence
    valid ones. The i-th point of the left and of the right hand share one set of statistics and affine
    parameters, so the shared hand GCN still sees both hands the same way. Eval mode uses the running
    averages once training has updated them (before that, an untrained encoder normalises with the
    batch's own statistics).

    Shapes: x (N, T, V, C), mask (N, T) bool -> (N, T, V, C).
    """

    def __init__(self, channels: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        lh, rh = GROUP_SLICES['left_hand'], GROUP_SLICES['right_hand']
        # Right-hand point i uses the slot of left-hand point i; every other point has its own slot.
        owner = [lh.start + i - rh.start if rh.start <= i < rh.stop else i for i in range(NUM_KEPT)]
        ids = {o: n for n, o in enumerate(sorted(set(owner)))}
        slot = [ids[o] for o in owner]
        num_slots = len(ids)
        self.register_buffer('slot', torch.tensor(slot), persistent=False)
        self.register_buffer('slot_count', torch.tensor([[float(slot.count(i))] for i in range(num_slots)]),
                             persistent=False)
        self.momentum, self.eps = momentum, eps
        self.weight = nn.Parameter(torch.ones(num_slots, channels))
        self.bias = nn.Parameter(torch.zeros(num_slots, channels))
        self.register_buffer('running_mean', torch.zeros(num_slots, channels))
        self.register_buffer('running_var', torch.ones(num_slots, channels))
        self.register_buffer('num_batches_tracked', torch.zeros((), dtype=torch.long))

    def _per_slot(self, per_point: torch.Tensor) -> torch.Tensor:
        """(V, C) statistics of equally many frames per point -> (slots, C) averages."""
        out = torch.zeros(self.weight.shape, dtype=per_point.dtype, device=per_point.device)
        return out.index_add_(0, self.slot, per_point) / self.slot_count

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask[:, :, None, None]
        x = torch.where(keep, x, torch.zeros((), dtype=x.dtype, device=x.device))
        # Short-circuits in training, so the host only reads the counter in eval mode.
        if self.training or int(self.num_batches_tracked) == 0:
            # Masked sums rather than x[mask]: no data-dependent shapes, no host sync in the training step.
            frames = keep.to(x.dtype).sum()
            denom = frames.clamp(min=1)
            mean = self._per_slot(x.sum((0, 1)) / denom)
            var = (self._per_slot(x.pow(2).sum((0, 1)) / denom) - mean.pow(2)).clamp(min=0)
            # With at most one valid frame there are no batch statistics: use the running ones.
            enough = frames > 1
            mean = torch.where(enough, mean, self.running_mean)
            var = torch.where(enough, var, self.running_var)
            if self.training:
                with torch.no_grad():
                    n = frames * self.slot_count  # samples behind each slot's statistics
                    # The first update copies the batch statistics instead of averaging with the init.
                    first = self.num_batches_tracked == 0
                    m = torch.where(first, torch.ones_like(frames), torch.full_like(frames, self.momentum))
                    m = m * enough
                    self.running_mean.lerp_(mean.detach(), m)
                    self.running_var.lerp_((var * n / (n - 1).clamp(min=1)).detach(), m)
                    self.num_batches_tracked += enough.long()
        else:
            mean, var = self.running_mean, self.running_var
        scale = (torch.rsqrt(var + self.eps) * self.weight)[self.slot]
        out = (x - mean[self.slot]) * scale + self.bias[self.slot]
        return torch.where(keep, out, torch.zeros((), dtype=x.dtype, device=x.device))


class TemporalTransformer(nn.Module):
    """Input projection + position encoding + Transformer encoder + masked mean over valid frames.

    Shapes: x (N, T, in_channels), mask (N, T) bool -> (N, d_model).
    """

    def __init__(self, in_channels: int, d_model: int, num_layers: int, num_heads: int, ffn_ratio: float,
                 dropout: float, pos_encoding: str, max_len: int):
        super().__init__()
        if pos_encoding not in ('sinusoidal', 'learnable'):
            raise ValueError(f"pos_encoding must be 'sinusoidal' or 'learnable', got {pos_encoding!r}")
        self.proj = nn.Linear(in_channels, d_model)
        self.pos_encoding = pos_encoding
        self.max_len = max_len
        if pos_encoding == 'learnable':
            self.pos_embed = nn.Parameter(torch.zeros(1, max_len, d_model))
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
        layer = nn.TransformerEncoderLayer(
            d_model, num_heads, dim_feedforward=int(d_model * ffn_ratio), dropout=dropout,
            activation='gelu', batch_first=True, norm_first=True)
        # No nested-tensor fast path: it would drop padded positions in eval mode only, making train and
        # eval numerics differ for no benefit at these lengths.
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n, t, _ = x.shape
        x = self.proj(x)
        if self.pos_encoding == 'learnable':
            if t > self.max_len:
                raise ValueError(f'clip of {t} frames exceeds the learnable position table (max_len='
                                 f'{self.max_len}); raise max_len or use sinusoidal encoding')
            x = x + self.pos_embed[:, :t]
        else:
            x = x + sinusoidal_encoding(t, x.shape[-1], x.device).to(x.dtype)
        # A row whose keys are all masked gives NaN attention; let such clips attend everywhere (their
        # frames are zeros) — the pooled output is zeroed below anyway.
        any_valid = mask.any(dim=1, keepdim=True)
        key_padding = ~mask & any_valid
        x = self.encoder(x, src_key_padding_mask=key_padding)
        weights = mask.to(x.dtype)[..., None]
        return (x * weights).sum(1) / weights.sum(1).clamp(min=1.0)


@MODELS.register_module()
class PoseEncoder(BaseModule):
    """GCN + Transformer pose encoder of CCL-SLR (docs/method.md §4).

    1. Per-frame spatial GCNs (:class:`~cclslr.models.backbones.gcn.GroupGCN`), one per group — hand
       (used for both hands, same weights), body, face, mouth — each node pooled (mean) to a
       ``group_channels``-d feature per frame and group.
    2. Manual stream = concat(left hand, right hand, body) (3 × 512 = 1536), non-manual stream =
       concat(face, mouth) (2 × 512 = 1024). Each is projected linearly to ``d_model`` (512) — our
       choice, so that both Transformers have the same width and the output is 2 × 512 = 1024 —, gets a
       temporal position encoding, and goes through its own Transformer encoder (3 blocks, 8 heads), with
       padded frames masked out of attention.
    3. Each stream is mean-pooled over valid frames; the two are concatenated → g (N, 1024).

    Invalid frames (``mask`` False) are zeroed before anything else, so their content — even NaN —
    cannot change the output. A clip without any valid frame gives a zero vector, not NaN.

    Seam for Uni-Sign prior-guided fusion: ``forward(pose, mask, hand_fusion=fn)`` calls
    ``fn(node_feats, side)`` after the hand GCN, before node pooling, with ``node_feats`` of shape
    (N, T, 21, group_channels) and ``side`` in ``{'left', 'right'}``; it must return the same shape. The
    two stages are also public: :meth:`group_features` and :meth:`temporal_encode`.

    Args:
        in_channels: channels per keypoint (3: x, y, score).
        group_channels: per-group feature width (512).
        gcn_channels: hidden widths of every group GCN (the last layer outputs ``group_channels``).
        learnable_adjacency: learn an additive refinement of each skeleton (Uni-Sign style).
        mirror_left_hand: negate x of the left hand before the shared hand GCN, so that both hands are
            seen with the same chirality (off by default, as in Uni-Sign).
        d_model / num_layers / num_heads / ffn_ratio / dropout: the two temporal Transformers.
        pos_encoding: ``'sinusoidal'`` (any length) or ``'learnable'`` (up to ``max_len`` frames).
        init_cfg: MMEngine init config.

    Shapes: ``pose`` (N, T, 75, in_channels) in the layout of ``GROUP_SLICES``; ``mask`` (N, T) bool,
    True = valid frame, or None (all valid) → (N, 2 * d_model).
    """

    def __init__(self, in_channels: int = 3, group_channels: int = 512,
                 gcn_channels: Sequence[int] = (64, 128, 256), learnable_adjacency: bool = True,
                 mirror_left_hand: bool = False, d_model: int = 512, num_layers: int = 3,
                 num_heads: int = 8, ffn_ratio: float = 4.0, dropout: float = 0.1,
                 pos_encoding: str = 'sinusoidal', max_len: int = 256, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.group_channels = group_channels
        self.mirror_left_hand = mirror_left_hand
        self.data_norm = MaskedDataNorm(in_channels)
        self.gcns = nn.ModuleDict({
            name: GroupGCN(name, in_channels, gcn_channels, group_channels, learnable_adjacency)
            for name in ('hand', 'body', 'face', 'mouth')})
        args = (d_model, num_layers, num_heads, ffn_ratio, dropout, pos_encoding, max_len)
        self.manual = TemporalTransformer(len(MANUAL) * group_channels, *args)
        self.non_manual = TemporalTransformer(len(NON_MANUAL) * group_channels, *args)
        self.out_channels = 2 * d_model

    def _check_inputs(self, pose: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        if pose.dim() != 4 or pose.shape[2] != NUM_KEPT or pose.shape[3] != self.in_channels:
            raise ValueError(f'PoseEncoder expects pose of shape (N, T, {NUM_KEPT}, {self.in_channels}), '
                             f'got {tuple(pose.shape)}')
        n, t = pose.shape[:2]
        if mask is None:
            return torch.ones(n, t, dtype=torch.bool, device=pose.device)
        if mask.shape != (n, t):
            raise ValueError(f'PoseEncoder: mask of shape {tuple(mask.shape)} does not match pose '
                             f'{tuple(pose.shape)} (expected ({n}, {t}))')
        return mask.bool()

    def group_features(self, pose: torch.Tensor, mask: Optional[torch.Tensor] = None,
                       hand_fusion: Optional[HandFusion] = None) -> Dict[str, torch.Tensor]:
        """Stage 1: per-frame group features.

        Returns: ``{group: (N, T, group_channels)}`` for the five groups of the 75-point layout.
        """
        mask = self._check_inputs(pose, mask)
        n, t = pose.shape[:2]
        # Zero invalid frames first: padding may hold anything (even NaN) and must not reach the output.
        pose = torch.where(mask[:, :, None, None], pose, torch.zeros((), dtype=pose.dtype,
                                                                       device=pose.device))
        if not torch.isfinite(pose).all():
            raise ValueError('PoseEncoder: NaN/Inf keypoints in valid frames; clean the pose file or '
                             'mark those frames invalid in pose_mask')
        if self.mirror_left_hand:
            # Seen with the right hand's chirality by the shared hand GCN (before the input statistics).
            flip = torch.ones(pose.shape[-1], dtype=pose.dtype, device=pose.device)
            flip[0] = -1
            lh = GROUP_SLICES['left_hand']
            pose = torch.cat([pose[:, :, :lh.start], pose[:, :, lh] * flip, pose[:, :, lh.stop:]], dim=2)
        pose = self.data_norm(pose, mask)
        feats = {}
        for group, sl in GROUP_SLICES.items():
            x = pose[:, :, sl]
            nodes = self.gcns[_GROUP_MODULE[group]](x.reshape(n * t, x.shape[2], -1))
            nodes = nodes.reshape(n, t, x.shape[2], -1)
            if hand_fusion is not None and group in ('left_hand', 'right_hand'):
                fused = hand_fusion(nodes, group.split('_')[0])
                if fused.shape != nodes.shape:
                    raise ValueError(f'hand_fusion returned shape {tuple(fused.shape)}, expected '
                                     f'{tuple(nodes.shape)}')
                nodes = fused
            feats[group] = nodes.mean(dim=2)
        return feats

    def temporal_encode(self, feats: Dict[str, torch.Tensor],
                        mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Stage 2: the two temporal Transformers on group features → g (N, 2 * d_model)."""
        first = feats[MANUAL[0]]
        if mask is None:
            mask = torch.ones(first.shape[:2], dtype=torch.bool, device=first.device)
        manual = self.manual(torch.cat([feats[g] for g in MANUAL], dim=-1), mask.bool())
        non_manual = self.non_manual(torch.cat([feats[g] for g in NON_MANUAL], dim=-1), mask.bool())
        return torch.cat([manual, non_manual], dim=-1)

    def forward(self, pose: torch.Tensor, mask: Optional[torch.Tensor] = None,
                hand_fusion: Optional[HandFusion] = None) -> torch.Tensor:
        """(N, T, 75, C) pose + (N, T) mask → (N, out_channels)."""
        mask = self._check_inputs(pose, mask)
        return self.temporal_encode(self.group_features(pose, mask, hand_fusion), mask)
