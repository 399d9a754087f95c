"""Per-frame spatial graph convolution over one keypoint group (docs/method.md §4).

The pose encoder runs one :class:`GroupGCN` per keypoint group (hand — shared by both hands —, body, face,
mouth). Each is a stack of :class:`GraphConv` layers on the group's natural skeleton, with a learnable
additive refinement of the adjacency (as Uni-Sign learns its graph), applied to every frame on its own:
there are no temporal edges, time is modelled afterwards by the Transformers.

Edges and group sizes come from :mod:`cclslr.structures.keypoint_layout` (the group's local indices, in
the order of the 75-point layout).
"""
from typing import Sequence

import torch
import torch.nn as nn

from cclslr.structures.keypoint_layout import GROUP_EDGES, GROUP_SIZES



def normalized_adjacency(num_nodes: int, edges: Sequence) -> torch.Tensor:
    """Symmetric normalised adjacency with self loops, D^-1/2 (A + I) D^-1/2, shape (V, V)."""
    adj = torch.eye(num_nodes)
    for i, j in edges:
        if not (0 <= i < num_nodes and 0 <= j < num_nodes):
            raise ValueError(f'edge ({i}, {j}) out of range for a graph of {num_nodes} nodes')
        adj[i, j] = adj[j, i] = 1.0
    d = adj.sum(1).rsqrt()
    return d[:, None] * adj * d[None, :]


class GraphConv(nn.Module):
    """One spatial graph convolution: y = LN(ReLU((Â + B) x W)) + skip(x).

    ``Â`` is the fixed normalised skeleton (buffer), ``B`` a learnable (V, V) refinement initialised at
    zero, so training starts from the natural skeleton. LayerNorm over channels (rather than BatchNorm
    over the batch) keeps every frame independent of the others — padded frames cannot leak into valid
    ones through normalisation statistics.

    Args:
        in_channels / out_channels: feature widths.
        adjacency: (V, V) normalised adjacency.
        learnable_adjacency: add the learnable refinement ``B``.

    Shapes: (B, V, in_channels) -> (B, V, out_channels).
    """

    def __init__(self, in_channels: int, out_channels: int, adjacency: torch.Tensor,
                 learnable_adjacency: bool = True):
        super().__init__()
        self.register_buffer('adjacency', adjacency.clone(), persistent=False)
        self.refine = nn.Parameter(torch.zeros_like(adjacency)) if learnable_adjacency else None
        self.linear = nn.Linear(in_channels, out_channels)
        self.norm = nn.LayerNorm(out_channels)
        self.act = nn.ReLU(inplace=True)
        self.skip = nn.Identity() if in_channels == out_channels else nn.Linear(in_channels, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        adj = self.adjacency if self.refine is None else self.adjacency + self.refine
        y = torch.einsum('uv,bvc->buc', adj, self.linear(x))
        return self.norm(self.act(y)) + self.skip(x)


class GroupGCN(nn.Module):
    """A stack of :class:`GraphConv` layers for one keypoint group.

    Args:
        group: one of ``'hand'``, ``'body'``, ``'face'``, ``'mouth'`` (selects the skeleton).
        in_channels: keypoint channels (3: x, y, score).
        hidden_channels: widths of the hidden layers, e.g. ``(64, 128, 256)``.
        out_channels: width of the per-node output (the group feature width, 512 by default).
        learnable_adjacency: see :class:`GraphConv`.

    Shapes: (B, V, in_channels) -> (B, V, out_channels), B = batch × frames.
    """

    def __init__(self, group: str, in_channels: int = 3, hidden_channels: Sequence[int] = (64, 128, 256),
                 out_channels: int = 512, learnable_adjacency: bool = True):
        super().__init__()
        if group not in GROUP_EDGES:
            raise ValueError(f'unknown keypoint group {group!r}; expected one of {sorted(GROUP_EDGES)}')
        self.group = group
        self.num_nodes = GROUP_SIZES[group]
        adj = normalized_adjacency(self.num_nodes, GROUP_EDGES[group])
        widths = [in_channels, *hidden_channels, out_channels]
        self.layers = nn.ModuleList(
            GraphConv(cin, cout, adj, learnable_adjacency) for cin, cout in zip(widths[:-1], widths[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] != self.num_nodes:
            raise ValueError(f'GroupGCN[{self.group}] expects {self.num_nodes} nodes, got {x.shape[-2]}')
        for layer in self.layers:
            x = layer(x)
        return x
