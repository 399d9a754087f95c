"""Training curves from MMEngine's json logs (``<work_dir>/<timestamp>/vis_data/<timestamp>.json`` or
``scalars.json``: one json dict per logged line, with ``step`` and, in epoch-based runs, ``epoch``)."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np


def resolve_log(path: str) -> str:
    """A json log file, or the json log of a work dir / run dir (the latest run's ``vis_data``)."""
    import glob
    if osp.isfile(path):
        return path
    if osp.isdir(path):
        found = sorted(glob.glob(osp.join(path, 'vis_data', '*.json'))) or \
            sorted(glob.glob(osp.join(path, '*', 'vis_data', '*.json')))
        found = [f for f in found if not f.endswith('scalars.json')] or found
        if found:
            return found[-1]
    raise FileNotFoundError(f'{path}: no MMEngine json log (a vis_data/<timestamp>.json or a work dir '
                            'holding one)')


def read_log(path: str) -> List[dict]:
    """The json lines of an MMEngine log; a line that is not a json dict raises naming file and line."""
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}:{n}: not a json line ({e.msg})') from None
            if not isinstance(row, dict):
                raise ValueError(f'{path}:{n}: expected a json dict, got {type(row).__name__}')
            rows.append(row)
    return rows


def series(rows: List[dict], key: str, x_axis: str = 'step') -> Dict[str, np.ndarray]:
    """``{'x', 'y'}`` of every line that has ``key`` (x from ``x_axis``: 'step' (iterations) or
    'epoch')."""
    xs, ys = [], []
    for row in rows:
        if key in row and x_axis in row and isinstance(row[key], (int, float)):
            xs.append(row[x_axis])
            ys.append(row[key])
    return dict(x=np.asarray(xs, np.float64), y=np.asarray(ys, np.float64))


def available_keys(rows: List[dict]) -> List[str]:
    skip = {'step', 'epoch', 'iter', 'time', 'data_time', 'memory'}
    return sorted({k for r in rows for k, v in r.items() if k not in skip and isinstance(v, (int, float))})


def plot_curves(runs: Dict[str, List[dict]], keys: Sequence[str], x_axis: str = 'step',
                title: Optional[str] = None, panel_size=(4.0, 2.6), cols: int = 1, dpi: int = 100
                ) -> np.ndarray:
    """One panel per key (``cols`` per row), one line per run; uint8 RGB image. A key no run logs raises
    KeyError naming the keys the logs do have."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from .sign_visualizer import figure_to_array
    cols = max(1, min(cols, len(keys)))
    rows = -(-len(keys) // cols)
    fig, axes = plt.subplots(rows, cols, squeeze=False, dpi=dpi,
                             figsize=(panel_size[0] * cols, panel_size[1] * rows))
    for ax in axes.flat[len(keys):]:
        ax.axis('off')
    for ax, key in zip(axes.flat, keys):
        drawn = 0
        for name, rows in runs.items():
            s = series(rows, key, x_axis)
            if len(s['x']):
                ax.plot(s['x'], s['y'], marker='.' if len(s['x']) < 30 else None, lw=1, label=name)
                drawn += 1
        if not drawn:
            have = sorted(set().union(*(available_keys(r) for r in runs.values())))
            plt.close(fig)
            raise KeyError(f'no run logs {key!r} against {x_axis!r}; logged keys: {have}')
        ax.set_ylabel(key, fontsize=8)
        ax.grid(alpha=0.3)
        if len(runs) > 1:
            ax.legend(fontsize=6)
    for ax in axes.flat[:len(keys)]:
        ax.set_xlabel('iteration' if x_axis == 'step' else x_axis, fontsize=8)
    if title:
        axes[0, 0].set_title(title, fontsize=9)
    fig.tight_layout()
    return figure_to_array(fig)
