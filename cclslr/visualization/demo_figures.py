"""The demo's figures (tools/demo.py): t-SNE of the test signers' embeddings before and after
pre-training, and a bar chart of the demo's table."""
import os.path as osp
from typing import Dict, Optional

import numpy as np

from cclslr.evaluation.knn import embed_for_eval

from .sign_visualizer import SignVisualizer, figure_to_array
from .tsne import tsne_figure, tsne_panels

KNN_BARS = (('k-NN RGB', 'top1_rgb'), ('k-NN pose', 'top1_pose'), ('k-NN fused', 'top1_fused'),
            ('R@1 pose->RGB', 'recall1_pose2rgb'), ('R@1 RGB->pose', 'recall1_rgb2pose'))


def demo_embeddings(runner, knn_hook_cfg: dict) -> dict:
    """Embeddings of the k-NN hook's query split (the test signers) with the runner's model now."""
    loader = runner.build_dataloader(knn_hook_cfg['query_dataloader'], seed=0)
    emb, = embed_for_eval(runner.model, loader)
    return emb


def table_figure(knn_before: dict, knn_after: dict, finetune: Dict[tuple, dict], dpi: int = 100
                 ) -> np.ndarray:
    """Bar chart of the demo's table: k-NN / retrieval before and after pre-training, and the
    fine-tuned top-1 from scratch and from CCL-SLR per variant; uint8 RGB image."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    bars = [(label, key) for label, key in KNN_BARS if key in knn_before]
    variants = list(dict.fromkeys(v for v, _ in finetune))
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.0), dpi=dpi,
                             gridspec_kw=dict(width_ratios=[max(len(bars), 1), max(len(variants), 1)]))
    groups = (
        (axes[0], [b[0] for b in bars], [knn_before[k] for _, k in bars], [knn_after[k] for _, k in bars],
         ('random init', 'pre-trained'), 'embedding quality (%)'),
        (axes[1], variants, [finetune[v, 'scratch']['top1_instance'] for v in variants],
         [finetune[v, 'CCL-SLR']['top1_instance'] for v in variants], ('scratch', 'CCL-SLR'),
         'fine-tuned top-1, 2 labels/class (%)'))
    for ax, names, left, right, legend, title in groups:
        x = np.arange(len(names))
        for offset, values, name, colour in ((-0.2, left, legend[0], '0.65'), (0.2, right, legend[1], 'C0')):
            rects = ax.bar(x + offset, values, 0.4, label=name, color=colour)
            ax.bar_label(rects, fmt='%.0f', fontsize=6, padding=1)
        ax.set_xticks(x, names, rotation=20, ha='right', fontsize=7)
        ax.set_ylim(0, 110)
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7, loc='upper left')
        ax.tick_params(axis='y', labelsize=7)
    fig.tight_layout()
    return figure_to_array(fig)


def write_demo_figures(work_dir: str, emb_before: dict, emb_after: dict, knn_before: dict,
                       knn_after: dict, finetune: Dict[tuple, dict],
                       class_names: Optional[list] = None) -> Dict[str, str]:
    """Write ``<work_dir>/figures/tsne_before_after.png`` (rows: random init, pre-trained; columns: RGB g,
    pose g, joint f) and ``<work_dir>/figures/demo_table.png``; returns ``{name: path}``."""
    vis = SignVisualizer.get_instance('demo_figures')
    rows = {'random init': tsne_panels(emb_before), 'pre-trained': tsne_panels(emb_after)}
    paths = dict(tsne=osp.join(work_dir, 'figures', 'tsne_before_after.png'),
                 table=osp.join(work_dir, 'figures', 'demo_table.png'))
    vis.add_figure('tsne', tsne_figure(rows, class_names), out_file=paths['tsne'])
    vis.add_figure('table', table_figure(knn_before, knn_after, finetune), out_file=paths['table'])
    return paths
