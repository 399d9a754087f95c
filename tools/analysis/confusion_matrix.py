"""Confusion matrix, most confused gloss pairs and per-class accuracy of a recognizer's test predictions.

    python tools/test.py CONFIG CHECKPOINT --out preds.pkl
    python tools/analysis/confusion_matrix.py preds.pkl CONFIG [--out-dir work_dirs/confusion]
        [--top 10] [--order auto|label|confusion] [--split test] [--cfg-options k=v ...]

Reads the pickle with a restricted unpickler (cclslr/visualization/confusion.py), the gloss names from
the config's ``--split`` dataset. Writes ``confusion_matrix.png`` (row-normalised; classes ordered so that
confused ones sit together when there are more than 30, with ``--order auto``) and
``per_class_accuracy.csv`` (class, gloss, clips, correct, accuracy %); prints top-1 and the ``--top`` most
confused pairs with their glosses.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from cclslr.utils.launch import run_tool  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('predictions', help='the .pkl of tools/test.py --out')
    p.add_argument('config', help='the config the predictions were made with (for the gloss names)')
    p.add_argument('--split', default='test')
    p.add_argument('--out-dir', default='work_dirs/confusion')
    p.add_argument('--top', type=int, default=10, help='most confused pairs to print')
    p.add_argument('--order', default='auto', choices=['auto', 'label', 'confusion'],
                   help='class order of the matrix; auto = confusion for more than 30 classes')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config entries')
    return p.parse_args(argv)


def class_names(cfg, split: str, num_classes: int):
    """Gloss names from the split's dataset metainfo ``classes``; numbers when it has none."""
    from cclslr.registry import DATASETS
    loader = cfg.get(f'{split}_dataloader')
    if not loader:
        raise KeyError(f'{cfg.filename}: no {split}_dataloader to take the gloss names from')
    classes = DATASETS.build(loader['dataset']).metainfo.get('classes')
    if not classes:
        return [str(c) for c in range(num_classes)]
    if len(classes) != num_classes:
        raise ValueError(f'{cfg.filename}: the {split} dataset has {len(classes)} classes but the '
                         f'predictions score {num_classes}')
    return list(classes)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    from cclslr.utils import register_all_modules
    from cclslr.utils.launch import apply_cfg_options
    from cclslr.visualization import SignVisualizer
    from cclslr.visualization.confusion import (confusion_matrix, confusion_order, load_predictions,
                                                per_class_rows, plot_confusion, top_confused_pairs,
                                                write_csv)
    register_all_modules(init_default_scope=True)
    labels, scores = load_predictions(args.predictions)
    cfg = apply_cfg_options(Config.fromfile(args.config), args.cfg_options)
    classes = class_names(cfg, args.split, scores.shape[1])
    cm = confusion_matrix(labels, scores.argmax(1), scores.shape[1])
    by_confusion = args.order == 'confusion' or (args.order == 'auto' and cm.shape[0] > 30)
    order = confusion_order(cm) if by_confusion else None
    os.makedirs(args.out_dir, exist_ok=True)
    png = SignVisualizer.get_instance('confusion_matrix').add_figure(
        'confusion_matrix', plot_confusion(cm, classes, order),
        out_file=osp.join(args.out_dir, 'confusion_matrix.png'))
    csv_path = osp.join(args.out_dir, 'per_class_accuracy.csv')
    write_csv(csv_path, per_class_rows(cm, classes))
    print(f'{len(labels)} clips, {cm.shape[0]} classes, top-1 {100.0 * cm.trace() / len(labels):.2f}%')
    pairs = top_confused_pairs(cm, args.top)
    print('most confused pairs (true -> predicted: clips, share of the true class):')
    for t, p, n, share in pairs:
        print(f'  {classes[t]} -> {classes[p]}: {n} ({100 * share:.1f}%)')
    print(f'wrote {png}\nwrote {csv_path}')
    return dict(cm=cm, pairs=pairs, png=png, csv=csv_path)


if __name__ == '__main__':
    run_tool(main, 'confusion_matrix.py')
