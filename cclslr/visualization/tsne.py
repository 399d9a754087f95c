"""t-SNE figures of the RGB and pose embedding spaces (the paper's argument for cross-modal alignment).

One panel per modality of the encoder outputs g (``<m>_embedding``, what k-NN top-1 scores) and a joint
panel of the head outputs f of both modalities (``<m>_projection``, the space where the two are contrasted)
in one t-SNE, each RGB point joined to its pose twin (the same clip) by a line: short lines = aligned.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .sign_visualizer import figure_to_array


def tsne_2d(features: torch.Tensor, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """(M, D) -> (M, 2): scikit-learn's Barnes-Hut t-SNE on cosine distances of the L2-normalised rows
    (the similarity k-NN uses), PCA start, fixed seed. Perplexity is clipped to (M - 1) / 3 for small sets."""
    from sklearn.manifold import TSNE
    x = F.normalize(features.float(), dim=1).numpy()
    if x.shape[0] < 4:
        raise ValueError(f't-SNE needs at least 4 points, got {x.shape[0]}')
    perplexity = min(perplexity, (x.shape[0] - 1) / 3)
    return TSNE(n_components=2, perplexity=perplexity, metric='cosine', init='pca', random_state=seed,
                n_jobs=1).fit_transform(x)


def _class_colours(labels: np.ndarray):
    import matplotlib
    cmap = matplotlib.colormaps['tab10' if labels.max() < 10 else 'tab20' if labels.max() < 20 else 'turbo']
    top = max(int(labels.max()), 1)
    return [cmap(int(lab) if labels.max() < 20 else int(lab) / top) for lab in labels]


def _scatter(ax, xy, labels, title, marker='o', class_names=None, legend=True):
    colours = _class_colours(labels)
    ax.scatter(xy[:, 0], xy[:, 1], c=colours, s=14, marker=marker, linewidths=0.3, edgecolors='k')
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if legend and labels.max() < 20:
        import matplotlib.lines as mlines
        first = {c: int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)}
        handles = [mlines.Line2D([], [], marker='o', ls='', color=colours[i], markersize=5,
                                 label=class_names[c] if class_names else str(c)) for c, i in first.items()]
        ax.legend(handles=handles, fontsize=6, loc='best', framealpha=0.6, ncol=2)


def tsne_panels(emb: Dict[str, torch.Tensor], modalities: Sequence[str] = ('rgb', 'pose'), seed: int = 0,
                class_names: Optional[List[str]] = None) -> Dict[str, dict]:
    """The t-SNE coordinates of each panel: ``{'<m>': {'xy': (M, 2), 'labels'}, 'joint': {'xy_rgb',
    'xy_pose', 'labels'}}`` (joint only when both modalities' projections are present)."""
    labels = emb['label'].numpy()
    panels = {}
    for m in modalities:
        if f'{m}_embedding' not in emb:
            raise KeyError(f'no {m} embedding: the model has {[k for k in emb if k.endswith("_embedding")]}')
        panels[m] = dict(xy=tsne_2d(emb[f'{m}_embedding'], seed), labels=labels)
    if all(f'{m}_projection' in emb for m in ('rgb', 'pose')) and set(modalities) >= {'rgb', 'pose'}:
        xy = tsne_2d(torch.cat([emb['rgb_projection'], emb['pose_projection']]), seed)
        n = len(labels)
        panels['joint'] = dict(xy_rgb=xy[:n], xy_pose=xy[n:], labels=labels)
    return panels


def draw_panel(ax, name: str, panel: dict, title: str = '', class_names=None) -> None:
    """One panel of :func:`tsne_panels` on a matplotlib axis."""
    if name == 'joint':
        a, b = panel['xy_rgb'], panel['xy_pose']
        ax.plot(np.stack([a[:, 0], b[:, 0]]), np.stack([a[:, 1], b[:, 1]]), color='0.6', lw=0.4, zorder=0)
        _scatter(ax, a, panel['labels'], '', marker='o', legend=False)
        _scatter(ax, b, panel['labels'], title or 'RGB (o) and pose (^) projections f, twins joined',
                 marker='^', class_names=class_names, legend=False)
    else:
        _scatter(ax, panel['xy'], panel['labels'], title or f'{name} embedding g', class_names=class_names)


def tsne_figure(panels_by_row: Dict[str, Dict[str, dict]], class_names=None, panel_size: float = 2.6,
                dpi: int = 100) -> np.ndarray:
    """A grid of panels, one row per entry (e.g. ``{'random init': ..., 'pre-trained': ...}``), one column
    per panel name; uint8 RGB image."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names = list(next(iter(panels_by_row.values())))
    fig, axes = plt.subplots(len(panels_by_row), len(names), squeeze=False,
                             figsize=(panel_size * len(names), panel_size * len(panels_by_row)), dpi=dpi)
    for r, (row, panels) in enumerate(panels_by_row.items()):
        for c, name in enumerate(names):
            title = f'{row}: ' + ('f, RGB o pose ^' if name == 'joint' else f'{name} g')
            draw_panel(axes[r, c], name, panels[name], title, class_names)
    fig.tight_layout()
    return figure_to_array(fig)


def silhouette(features: torch.Tensor, labels: torch.Tensor) -> float:
    """Silhouette score of the classes in the original space (cosine distance), in [-1, 1]: how well the
    classes separate, measured where k-NN works rather than on the 2-D picture."""
    from sklearn.metrics import silhouette_score
    return float(silhouette_score(F.normalize(features.float(), dim=1).numpy(), labels.numpy(),
                                  metric='cosine'))


def twin_distance_ratio(panel: dict) -> float:
    """Mean RGB-to-twin distance over mean RGB-to-random-pose distance in a joint panel (< 1: twins lie
    closer than chance; a number to go with the picture)."""
    a, b = panel['xy_rgb'], panel['xy_pose']
    twin = np.linalg.norm(a - b, axis=1).mean()
    other = np.linalg.norm(a[:, None] - b[None], axis=-1).mean()
    return float(twin / other)
