"""Export a fine-tuned recognizer to ONNX and check it against PyTorch with ONNX Runtime.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out model.onnx [--opset 17]

The graph takes the preprocessed model inputs (``rgb`` (N, 3, T, H, W), ``pose`` (N, T, 75, 3),
``pose_mask`` (N, T), as the config's modalities need) with T, H, W fixed by the test pipeline and a
dynamic batch N, and returns the summed logits (N, num_classes). Prints the input shapes and the max abs
difference of the logits between PyTorch and ONNX Runtime on a batch of 3 clips (another batch size than
the one traced); exits 1 with one line when the model does not export (naming the operator) or the
difference exceeds --tolerance.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import cclslr  # noqa: E402,F401
from cclslr.utils.launch import run_tool  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Export a cclslr recognizer to ONNX')
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="checkpoint, or 'none' for the random initialisation")
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--tolerance', type=float, default=1e-4, help='max abs logit difference allowed')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from cclslr.apis import CheckpointMismatchError, init_recognizer
    from cclslr.apis.export import ExportError, check_onnx, export_onnx
    try:
        model = init_recognizer(args.config, None if args.checkpoint == 'none' else args.checkpoint)
        names, example = export_onnx(model, args.out, opset=args.opset)
        diff = check_onnx(model, args.out)
    except (ExportError, CheckpointMismatchError, FileNotFoundError, ValueError, RuntimeError) as e:
        print(f'export_onnx.py: error: {" ".join(str(e).split())}', file=sys.stderr)
        sys.exit(1)
    shapes = ', '.join(f'{n} {tuple(["N"] + list(example[n].shape[1:]))}' for n in names)
    print(f'exported {type(model).__name__} to {args.out}: inputs {shapes} -> logits '
          f'(N, {model.num_classes})')
    print(f'max abs difference of the logits, PyTorch vs ONNX Runtime (batch of 3): {diff:.3e}')
    if diff > args.tolerance:
        print(f'export_onnx.py: error: difference {diff:.3e} exceeds the tolerance {args.tolerance:g}',
              file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    # an error: one line naming the file and the reason, exit status 1 (as tools/train.py)
    sys.exit(run_tool(main, 'export_onnx.py'))
