"""Confusion matrices of ``tools/test.py --out`` predictions: reading them safely, ordering, plotting.

``--out`` adds MMEngine's ``DumpResults`` metric, which pickles a list of data-sample dicts whose
``gt_label`` / ``pred_score`` / ``pred_label`` are torch tensors. Those pickles name two torch functions
besides plain containers: ``torch._utils._rebuild_tensor_v2`` (builds a tensor from a storage; calls
nothing else) and ``torch.storage._load_from_bytes`` (which would ``torch.load`` the storage bytes with
``weights_only=False``). :class:`PredictionsUnpickler` admits the first and replaces the second by a
weights-only load, on top of :class:`cclslr.fileio.SafeUnpickler`'s allow-list.
"""
import csv
import io
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from cclslr.fileio import SafeUnpickler
from cclslr.fileio.safe_pickle import UnsafePickleError


def _storage_from_bytes(data: bytes):
    return torch.load(io.BytesIO(data), weights_only=True)


class PredictionsUnpickler(SafeUnpickler):
    """:class:`SafeUnpickler` that also rebuilds the tensors of a ``DumpResults`` pickle, weights-only."""

    EXTRA = {('torch._utils', '_rebuild_tensor_v2'): torch._utils._rebuild_tensor_v2,
             ('torch.storage', '_load_from_bytes'): _storage_from_bytes}

    def find_class(self, module: str, name: str):
        if (module, name) in self.EXTRA:
            return self.EXTRA[module, name]
        return super().find_class(module, name)


def load_predictions(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """``tools/test.py --out`` pickle -> ``(labels (N,), scores (N, K))`` int64 / float32.

    Raises ValueError naming the file when it is not a list of samples with ``gt_label`` and
    ``pred_score`` of one width (a k-NN / pre-training dump has no scores)."""
    with open(path, 'rb') as f:
        try:
            samples = PredictionsUnpickler(f, path).load()
        except UnsafePickleError:  # names the file and the refused global already
            raise
        except Exception as e:  # truncated or not a pickle: pickle's own message names no file
            raise ValueError(f'{path}: not a readable tools/test.py --out pickle '
                             f'({type(e).__name__}: {e})') from e
    if not isinstance(samples, list) or not samples:
        raise ValueError(f'{path}: expected the non-empty list of samples that tools/test.py --out writes, '
                         f'got {type(samples).__name__}')
    labels, scores = [], []
    for i, s in enumerate(samples):
        if not isinstance(s, dict) or 'gt_label' not in s or 'pred_score' not in s:
            keys = sorted(s) if isinstance(s, dict) else type(s).__name__
            raise ValueError(f'{path}: sample {i} has no gt_label / pred_score (has {keys}); dump a '
                             'recognizer\'s test predictions')
        labels.append(int(torch.as_tensor(s['gt_label']).reshape(-1)[0]))
        scores.append(torch.as_tensor(s['pred_score']).float().reshape(-1).numpy())
    widths = {len(s) for s in scores}
    if len(widths) != 1:
        raise ValueError(f'{path}: pred_score widths differ between samples: {sorted(widths)}')
    return np.asarray(labels, np.int64), np.stack(scores)


def confusion_matrix(labels: np.ndarray, preds: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) int64 counts, rows = true class, columns = predicted class."""
    if labels.size and (labels.max() >= num_classes or labels.min() < 0):
        raise ValueError(f'labels outside [0, {num_classes}): {labels.min()}..{labels.max()}')
    cm = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(cm, (labels, preds), 1)
    return cm


def confusion_order(cm: np.ndarray) -> np.ndarray:
    """A class order that puts classes confused with each other next to each other: agglomerative
    (average-linkage) clustering of the symmetrised off-diagonal confusion, leaves in dendrogram order.
    Lets the blocks of a large vocabulary's matrix show; small ones keep the label order."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform
    k = cm.shape[0]
    if k < 3:
        return np.arange(k)
    rates = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    sim = (rates + rates.T) / 2
    np.fill_diagonal(sim, 0)
    dist = 1.0 - sim / max(sim.max(), 1e-12)
    np.fill_diagonal(dist, 0)
    return leaves_list(linkage(squareform(dist, checks=False), method='average'))


def top_confused_pairs(cm: np.ndarray, n: int = 10) -> List[Tuple[int, int, int, float]]:
    """The ``n`` largest off-diagonal cells: ``[(true, predicted, count, share of the true class)]``."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    flat = np.argsort(-off, axis=None, kind='stable')[:n]
    pairs = []
    for i in flat:
        t, p = divmod(int(i), cm.shape[1])
        if off[t, p] == 0:
            break
        pairs.append((t, p, int(off[t, p]), float(off[t, p] / max(cm[t].sum(), 1))))
    return pairs


def per_class_rows(cm: np.ndarray, classes: Sequence[str]) -> List[dict]:
    """One row per class: ``class, gloss, clips, correct, accuracy`` (accuracy in %, empty when the class
    has no clip in the split)."""
    rows = []
    for c in range(cm.shape[0]):
        total = int(cm[c].sum())
        rows.append(dict(**{'class': c}, gloss=classes[c], clips=total, correct=int(cm[c, c]),
                         accuracy='' if total == 0 else f'{100.0 * cm[c, c] / total:.2f}'))
    return rows


def write_csv(path: str, rows: List[dict]) -> None:
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot_confusion(cm: np.ndarray, classes: Sequence[str], order: Optional[np.ndarray] = None,
                   max_tick_labels: int = 40, size: float = 5.0, dpi: int = 100) -> np.ndarray:
    """Row-normalised matrix (rate of each true class) as a uint8 RGB image, axes in ``order``; gloss
    names on the axes up to ``max_tick_labels`` classes."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from .sign_visualizer import figure_to_array
    order = np.arange(cm.shape[0]) if order is None else np.asarray(order)
    rates = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    rates = rates[order][:, order]
    fig, ax = plt.subplots(figsize=(size + 1, size), dpi=dpi)
    im = ax.imshow(rates, cmap='viridis', vmin=0, vmax=1, interpolation='nearest')
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label='share of the true class')
    if len(order) <= max_tick_labels:
        names = [str(classes[i]) for i in order]
        fontsize = 7 if len(order) <= 20 else 5
        ax.set_xticks(range(len(order)), names, rotation=90, fontsize=fontsize)
        ax.set_yticks(range(len(order)), names, fontsize=fontsize)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    acc = 100.0 * np.trace(cm) / max(cm.sum(), 1)
    ax.set_title(f'{cm.shape[0]} classes, {int(cm.sum())} clips, top-1 {acc:.1f}%', fontsize=9)
    fig.tight_layout()
    return figure_to_array(fig)
