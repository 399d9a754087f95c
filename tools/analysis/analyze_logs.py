"""Curves of logged values from MMEngine's json logs, for one or several runs.

    python tools/analysis/analyze_logs.py plot_curve LOG [LOG ...] --keys loss_cl_rgb spread_f_rgb \
        knn/top1_rgb [--legend NAME ...] [--x-axis step|epoch] [--title T] [--cols N] [--out curves.png]
    python tools/analysis/analyze_logs.py list_keys LOG

LOG: a ``vis_data/<timestamp>.json`` (or ``scalars.json``), or a work dir (its latest run's json log).
``plot_curve`` writes one panel per key, one line per run, and prints each run's last value of each key;
``list_keys`` prints the numeric keys a log holds.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from cclslr.utils.launch import run_tool  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='command', required=True)
    plot = sub.add_parser('plot_curve', help='plot keys over iterations or epochs')
    plot.add_argument('logs', nargs='+')
    plot.add_argument('--keys', nargs='+', default=['loss'])
    plot.add_argument('--legend', nargs='+', help='one name per log (default: the run folder names)')
    plot.add_argument('--x-axis', default='step', choices=['step', 'epoch'])
    plot.add_argument('--title')
    plot.add_argument('--cols', type=int, default=1, help='panels per row')
    plot.add_argument('--out', default='curves.png')
    keys = sub.add_parser('list_keys', help='print the numeric keys of a log')
    keys.add_argument('logs', nargs='+')
    return p.parse_args(argv)


def _run_name(log: str) -> str:
    # <work_dir>/<timestamp>/vis_data/<timestamp>.json -> <work_dir> name
    parts = osp.abspath(log).split(osp.sep)
    return parts[-4] if len(parts) >= 4 and parts[-2] == 'vis_data' else osp.splitext(osp.basename(log))[0]


def main(argv=None):
    args = parse_args(argv)
    from cclslr.visualization import SignVisualizer
    from cclslr.visualization.curves import available_keys, plot_curves, read_log, resolve_log, series
    logs = [resolve_log(p) for p in args.logs]
    if args.command == 'list_keys':
        for log in logs:
            print(f'{log}: {" ".join(available_keys(read_log(log)))}')
        return None
    names = args.legend or [_run_name(log) for log in logs]
    if len(names) != len(logs):
        raise ValueError(f'--legend has {len(names)} names for {len(logs)} logs')
    if len(set(names)) != len(names):
        names = [f'{n} ({i})' for i, n in enumerate(names)]
    runs = {name: read_log(log) for name, log in zip(names, logs)}
    image = plot_curves(runs, args.keys, args.x_axis, args.title, cols=args.cols)
    out = SignVisualizer.get_instance('analyze_logs').add_figure('curves', image, out_file=args.out)
    for name, rows in runs.items():
        last = {k: series(rows, k, args.x_axis)['y'] for k in args.keys}
        print(f'{name}: ' + ', '.join(f'{k} {v[-1]:.4g}' for k, v in last.items() if len(v)))
    print(f'wrote {out}')
    return out


if __name__ == '__main__':
    run_tool(main, 'analyze_logs.py')
