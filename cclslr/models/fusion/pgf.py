"""Uni-Sign's prior-guided fusion (PGF) of hand crops into pose hand-node features (docs/method.md §10).

The pose keypoints are the prior: each hand node asks the RGB crop of its frame "what do you see around
my position?" — first globally (cross-attention to the crop's 4×4 map), then locally (deformable sampling
of the map at learnt offsets around the keypoint). A gate initialised at zero mixes the result into the
pose features, so a pose-only checkpoint computes exactly the same function at step 0.
"""
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from cclslr.registry import MODELS


class PositionEmbedding(nn.Module):
    """MLP embedding of 2D positions in crop coordinates ([0, 1]²): (..., 2) → (..., dims).

    Used for both the keypoints and the RGB map cells, so queries and keys share one coordinate frame.
    """

    def __init__(self, dims: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2, dims), nn.GELU(), nn.Linear(dims, dims))

    def forward(self, xy: torch.Tensor) -> torch.Tensor:
        return self.mlp(xy * 2 - 1)  # centre the inputs for a better-conditioned first layer


class DeformableSampling(nn.Module):
    """Multi-head deformable attention of keypoint queries on a small RGB map (Deformable-DETR style).

    Each head predicts ``num_points`` offsets around the query's keypoint (in map cells) and softmax
    weights; the value map is sampled there with bilinear ``grid_sample`` (zeros outside the crop).

    Shapes: query (B, V, C), ref_xy (B, V, 2) in [0, 1], value_map (B, C, h, w) → (B, V, C).
    """

    def __init__(self, dims: int, num_heads: int, num_points: int):
        super().__init__()
        if dims % num_heads:
            raise ValueError(f'embed_dims {dims} is not divisible by num_heads {num_heads}')
        self.num_heads, self.num_points = num_heads, num_points
        self.offsets = nn.Linear(dims, num_heads * num_points * 2)
        self.weights = nn.Linear(dims, num_heads * num_points)
        self.value_proj = nn.Linear(dims, dims)
        self.out_proj = nn.Linear(dims, dims)
        self._init_offsets()

    def _init_offsets(self):
        # Start from a fixed pattern as Deformable DETR: head h looks in direction 2πh/H, point p at
        # (p + 1) / num_points cells (the map is only 4x4, so reach at most one cell); equal weights.
        nn.init.zeros_(self.offsets.weight)
        angles = torch.arange(self.num_heads, dtype=torch.float32) * (2 * math.pi / self.num_heads)
        dirs = torch.stack([angles.cos(), angles.sin()], -1)
        dirs = dirs / dirs.abs().max(-1, keepdim=True).values
        reach = torch.arange(1, self.num_points + 1, dtype=torch.float32) / self.num_points
        grid = dirs[:, None, :] * reach[None, :, None]
        with torch.no_grad():
            self.offsets.bias.copy_(grid.reshape(-1))
        nn.init.zeros_(self.weights.weight)
        nn.init.zeros_(self.weights.bias)

    def forward(self, query: torch.Tensor, ref_xy: torch.Tensor, value_map: torch.Tensor) -> torch.Tensor:
        b, v, c = query.shape
        heads, points = self.num_heads, self.num_points
        h, w = value_map.shape[-2:]
        value = self.value_proj(value_map.flatten(2).transpose(1, 2))             # (B, h*w, C)
        value = value.transpose(1, 2).reshape(b * heads, c // heads, h, w)
        offsets = self.offsets(query).reshape(b, v, heads, points, 2)
        # Offsets are in map cells; convert to crop coordinates, then to grid_sample's [-1, 1].
        scale = torch.tensor([w, h], dtype=query.dtype, device=query.device)
        loc = ref_xy[:, :, None, None, :] + offsets / scale
        grid = (2 * loc - 1).permute(0, 2, 1, 3, 4).reshape(b * heads, v, points, 2)
        sampled = F.grid_sample(value, grid, mode='bilinear', padding_mode='zeros', align_corners=False)
        sampled = sampled.reshape(b, heads, c // heads, v, points)
        attn = self.weights(query).reshape(b, v, heads, points).softmax(-1)
        out = torch.einsum('bhcvp,bvhp->bvhc', sampled, attn).reshape(b, v, c)
        return self.out_proj(out)


@MODELS.register_module()
class PriorGuidedFusion(BaseModule):
    """PGF: fuse RGB hand-crop features into the pose encoder's hand-node features at sampled frames.

    For every valid sampled frame k of a clip (frame ``frame_inds[k]`` of the view):

    1. ``p`` = the pose hand-node features of that frame (21, C); ``e`` = embedding of the 21 keypoint
       positions inside the crop; ``R`` = the crop's ``map_size``² RGB tokens (+ embedding of the cell
       centres).
    2. cross-attention: ``q1 = p + MHA(LN(p) + e, LN(R) + e_R, LN(R))``;
    3. deformable sampling around the keypoints: ``q2 = q1 + Deform(LN(q1) + e, keypoints, R)``;
    4. ``fused = q2 + FFN(LN(q2))``;
    5. gate: ``out = g * fused + (1 - g) * p`` with ``g = tanh(alpha)``, ``alpha`` (C,) initialised at 0.

    ``out`` replaces the node features of that frame; every other frame is returned untouched.

    Args:
        crop_encoder: config of the 2D crop encoder (:class:`CropEncoder`); its ``embed_dims`` is set to
            ``embed_dims``.
        embed_dims: width C of the pose hand-node features (the pose encoder's ``group_channels``, 512).
        num_heads: heads of the cross-attention and of the deformable sampling (8).
        num_points: deformable sampling points per head and keypoint (4).
        ffn_ratio: hidden width of the FFN relative to C.
        gate_init: initial ``alpha``; 0 makes PGF an identity at step 0.

    Shapes: see :meth:`forward`.
    """

    def __init__(self, crop_encoder: dict = dict(type='CropEncoder'), embed_dims: int = 512,
                 num_heads: int = 8, num_points: int = 4, ffn_ratio: float = 2.0, gate_init: float = 0.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        crop_encoder = dict(crop_encoder, embed_dims=embed_dims)
        self.crop_encoder = MODELS.build(crop_encoder)
        self.embed_dims = embed_dims
        self.pos_embed = PositionEmbedding(embed_dims)
        self.norm_q = nn.LayerNorm(embed_dims)
        self.norm_rgb = nn.LayerNorm(embed_dims)
        self.cross_attn = nn.MultiheadAttention(embed_dims, num_heads, batch_first=True)
        self.norm_deform = nn.LayerNorm(embed_dims)
        self.deform = DeformableSampling(embed_dims, num_heads, num_points)
        self.norm_ffn = nn.LayerNorm(embed_dims)
        hidden = int(embed_dims * ffn_ratio)
        self.ffn = nn.Sequential(nn.Linear(embed_dims, hidden), nn.GELU(), nn.Linear(hidden, embed_dims))
        self.gate = nn.Parameter(torch.full((embed_dims,), float(gate_init)))

    @property
    def gate_value(self) -> torch.Tensor:
        """g = tanh(alpha), shape (C,)."""
        return torch.tanh(self.gate)

    def encode_crops(self, crops: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised crops → (B, C, map_size, map_size)."""
        return self.crop_encoder(crops)

    def fuse(self, pose_nodes: torch.Tensor, rgb_map: torch.Tensor, kpts: torch.Tensor) -> torch.Tensor:
        """One crop per row: pose_nodes (B, 21, C), rgb_map (B, C, h, w), kpts (B, 21, 2) → (B, 21, C)."""
        b, c, h, w = rgb_map.shape
        tokens = rgb_map.flatten(2).transpose(1, 2)                                # (B, h*w, C)
        ys, xs = torch.meshgrid(
            (torch.arange(h, dtype=tokens.dtype, device=tokens.device) + 0.5) / h,
            (torch.arange(w, dtype=tokens.dtype, device=tokens.device) + 0.5) / w, indexing='ij')
        cell_embed = self.pos_embed(torch.stack([xs, ys], -1).reshape(1, h * w, 2))
        kpt_embed = self.pos_embed(kpts)
        rgb = self.norm_rgb(tokens)
        q1 = pose_nodes + self.cross_attn(self.norm_q(pose_nodes) + kpt_embed, rgb + cell_embed, rgb,
                                          need_weights=False)[0]
        q2 = q1 + self.deform(self.norm_deform(q1) + kpt_embed, kpts, rgb_map)
        fused = q2 + self.ffn(self.norm_ffn(q2))
        g = self.gate_value.to(fused.dtype)
        return g * fused + (1 - g) * pose_nodes

    def forward(self, node_feats: torch.Tensor, crops: Optional[torch.Tensor] = None,
                kpts: Optional[torch.Tensor] = None, frame_inds: Optional[torch.Tensor] = None,
                valid: Optional[torch.Tensor] = None, rgb_maps: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        """Fuse the crops of one hand into its node features.

        Args:
            node_feats: (N, T, 21, C) pose hand-node features of the whole view.
            crops: (N, K, 3, H, W) normalised crops (padded to K); not needed when ``rgb_maps`` is given.
            kpts: (N, K, 21, 2) hand keypoints in crop coordinates, [0, 1].
            frame_inds: (N, K) long, positions of the crops among the T frames.
            valid: (N, K) bool, False for padding.
            rgb_maps: optional (N, K, C, h, w) precomputed :meth:`encode_crops` output (e.g. both hands
                encoded in one batch); only its valid entries are read.

        Returns:
            (N, T, 21, C): ``node_feats`` with the valid sampled frames replaced by the fused features.
        """
        n, t, j, c = node_feats.shape
        if c != self.embed_dims:
            raise ValueError(f'PGF: node features have {c} channels, embed_dims is {self.embed_dims}')
        if kpts is None or frame_inds is None or valid is None:
            raise ValueError('PGF needs kpts, frame_inds and valid (the hand_* inputs of the sample)')
        if frame_inds.shape[0] != n or kpts.shape[:3] != (*frame_inds.shape, j) or valid.shape != \
                frame_inds.shape:
            raise ValueError(f'PGF: mismatched shapes node_feats {tuple(node_feats.shape)}, kpts '
                             f'{tuple(kpts.shape)}, frame_inds {tuple(frame_inds.shape)}, valid '
                             f'{tuple(valid.shape)}')
        valid = valid.bool()
        if valid.any() and (frame_inds[valid].min() < 0 or frame_inds[valid].max() >= t):
            raise ValueError(f'PGF: frame indices {frame_inds[valid].tolist()} out of range for {t} frames')
        rows, cols = valid.nonzero(as_tuple=True)
        if rows.numel() == 0:
            return node_feats
        times = frame_inds[rows, cols].long()
        if rgb_maps is None:
            if crops is None:
                raise ValueError('PGF needs either crops or rgb_maps')
            rgb_maps = self.encode_crops(crops[rows, cols])
        else:
            rgb_maps = rgb_maps[rows, cols]
        fused = self.fuse(node_feats[rows, times], rgb_maps, kpts[rows, cols].to(node_feats.dtype))
        out = node_feats.clone()
        out[rows, times] = fused
        return out
