"""t-SNE of the RGB and pose embedding spaces of a (pre-trained or randomly initialised) CCL-SLR model.

    python tools/visualization/vis_tsne.py CONFIG CHECKPOINT|none [--split test] [--modalities rgb pose]
        [--out-dir work_dirs/vis_tsne] [--seed 0] [--cfg-options k=v ...]

Embeds the labelled ``--split`` with the k-NN evaluation's code and dataloader (see
``cclslr/visualization/embeddings.py``) and writes, coloured by class: ``tsne_<modality>.png`` (encoder
outputs g) and, with both modalities, ``tsne_joint.png`` (head outputs f of both in one t-SNE, each RGB point
joined to its pose twin). ``none`` instead of a checkpoint: the random initialisation under ``--seed``.
Prints each file, the silhouette score of the classes per modality and the joint panel's twin-distance ratio.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmengine.config import DictAction  # noqa: E402

from cclslr.utils.launch import run_tool  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint', help="MMEngine checkpoint of the config's model, or 'none' (random init)")
    p.add_argument('--split', default='test')
    p.add_argument('--modalities', nargs='+', default=['rgb', 'pose'], choices=['rgb', 'pose'])
    p.add_argument('--out-dir', default='work_dirs/vis_tsne')
    p.add_argument('--seed', type=int, default=0, help='random init (checkpoint none) and t-SNE seed')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config entries')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    from cclslr.utils import register_all_modules
    from cclslr.utils.launch import apply_cfg_options
    from cclslr.visualization import SignVisualizer, build_model, embed_split
    from cclslr.visualization.tsne import silhouette, tsne_figure, tsne_panels, twin_distance_ratio
    register_all_modules(init_default_scope=True)
    cfg = apply_cfg_options(Config.fromfile(args.config), args.cfg_options)
    emb = embed_split(build_model(cfg, args.checkpoint, args.seed), cfg, args.split)
    panels = tsne_panels(emb, args.modalities, args.seed)
    vis = SignVisualizer.get_instance('vis_tsne')
    row = 'random init' if args.checkpoint == 'none' else 'pre-trained'
    written = {}
    for name, panel in panels.items():
        out = osp.join(args.out_dir, f'tsne_{name}.png')
        written[name] = vis.add_figure(f'tsne_{name}', tsne_figure({row: {name: panel}}), out_file=out)
        extra = ''
        if name == 'joint':
            extra = f'twin-distance ratio {twin_distance_ratio(panel):.3f}'
        else:
            extra = f'silhouette {silhouette(emb[f"{name}_embedding"], emb["label"]):.3f}'
        print(f'{name}: {len(emb["label"])} clips, {extra} -> {out}')
    return written


if __name__ == '__main__':
    run_tool(main, 'vis_tsne.py')
