"""Print the fully resolved config (after inheritance and --cfg-options).

    python tools/analysis/print_config.py CONFIG [--cfg-options k=v ...]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import cclslr  # noqa: E402,F401
from cclslr.utils.launch import add_common_args, load_config  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    add_common_args(parser)
    args = parser.parse_args(argv)
    cfg = load_config(args)
    print(cfg.pretty_text)


if __name__ == '__main__':
    main()
