"""Parameters and FLOPs of each encoder and of the whole model of a config (MMEngine's
``mmengine.analysis.get_model_complexity_info``), printed as a table.

    python tools/analysis/get_flops.py CONFIG [--shape T H W] [--pose-shape T J] [--cfg-options k=v ...]

Input: one clip, RGB (1, 3, T, H, W) and pose (1, T, J, 3) with an all-True (1, T) mask. Defaults: the
config's ``clip_len`` and ``img_size`` variables when it has them, else 16 x 224 x 224; J = 75. FLOPs
count one multiply-add as one FLOP (MMEngine's convention, as fvcore). The whole-model row is one
``mode='tensor'`` forward: for CCLSLR the query encoders and heads (the EMA key branch and the queues count
in its parameters but do not run at inference).
"""
import argparse
import os.path as osp
import sys

import torch
import torch.nn as nn
from mmengine.config import DictAction

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from cclslr.utils.launch import run_tool  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config')
    p.add_argument('--shape', type=int, nargs=3, metavar=('T', 'H', 'W'), help='RGB clip size')
    p.add_argument('--pose-shape', type=int, nargs=2, metavar=('T', 'J'), help='pose sequence size')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config entries')
    return p.parse_args(argv)


class TensorForward(nn.Module):
    """Positional tensors -> the model's ``mode='tensor'`` forward on one view (what the analyser traces)."""

    def __init__(self, model, modalities):
        super().__init__()
        self.model, self.modalities = model, tuple(modalities)

    def forward(self, *tensors):
        inputs, it = {}, iter(tensors)
        if 'rgb' in self.modalities:
            inputs['rgb'] = [next(it)]
        if 'pose' in self.modalities:
            inputs['pose'], inputs['pose_mask'] = [next(it)], [next(it)]
        out = self.model(inputs, mode='tensor')
        return tuple(out[k] for k in sorted(out))


def encoders_of(model) -> dict:
    for attr in ('encoders', 'backbones'):
        if isinstance(getattr(model, attr, None), nn.ModuleDict):
            return dict(getattr(model, attr).items())
    raise ValueError(f'{type(model).__name__}: no encoders / backbones ModuleDict to analyse')


def complexity(module: nn.Module, inputs: tuple) -> dict:
    from mmengine.analysis import get_model_complexity_info
    return get_model_complexity_info(module, inputs=inputs, show_table=False, show_arch=False)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    from cclslr.registry import MODELS
    from cclslr.structures.keypoint_layout import NUM_KEPT
    from cclslr.utils import register_all_modules
    from cclslr.utils.launch import apply_cfg_options
    register_all_modules(init_default_scope=True)
    cfg = apply_cfg_options(Config.fromfile(args.config), args.cfg_options)
    t = cfg.get('clip_len', 16)
    size = cfg.get('img_size', 224)
    t, h, w = args.shape or (t, size, size)
    pt, j = args.pose_shape or (t, NUM_KEPT)
    model = MODELS.build(cfg.model).eval()
    torch.manual_seed(0)  # the pose encoder's count depends on which joints look visible: fixed dummy
    dummy = dict(rgb=(torch.rand(1, 3, t, h, w),),
                 pose=(torch.rand(1, pt, j, 3), torch.ones(1, pt, dtype=torch.bool)))
    rows = []
    encoders = encoders_of(model)
    heads = getattr(model, 'heads', None) or {}
    per_branch = 0
    with torch.no_grad():
        for m, encoder in encoders.items():
            info = complexity(encoder, dummy[m])
            rows.append((f'{m} encoder ({type(encoder).__name__})', info['params'], info['flops']))
            per_branch += info['flops']
            if m in heads:
                feat = encoder(*dummy[m])
                head = complexity(heads[m], (feat,))
                rows.append((f'{m} head ({type(heads[m]).__name__})', head['params'], head['flops']))
                per_branch += head['flops']
        try:
            flops = complexity(TensorForward(model, encoders), sum((dummy[m] for m in encoders), ()))['flops']
        except Exception as e:
            # A forward the tracer cannot follow (e.g. a check on traced batch sizes, or PGF's hand crops):
            # the branches run independently in mode='tensor', so their sum is the forward's count.
            print(f'whole model: the tracer cannot follow {type(model).__name__}\'s forward '
                  f'({type(e).__name__}: {str(e).splitlines()[0][:80]}); its FLOPs = encoders + heads')
            flops = per_branch
    rows.append((f'whole model ({type(model).__name__})', sum(p.numel() for p in model.parameters()), flops))
    shapes = ', '.join(f'{m} {tuple(x.shape)}' for m in encoders for x in dummy[m][:1])
    print(f'{osp.basename(args.config)}: input {shapes}')
    print(f'{"module":<44}{"params":>14}{"GFLOPs":>12}')
    for name, params, flops in rows:
        gflops = '-' if flops is None else f'{flops / 1e9:.4g}'
        print(f'{name:<44}{params / 1e6:>12.3f} M{gflops:>12}')
    return rows


if __name__ == '__main__':
    run_tool(main, 'get_flops.py')
