"""Embedding a labelled split with a config's encoders, for t-SNE and other figures.

The embeddings come from :func:`cclslr.evaluation.knn.embed_for_eval`, the code the k-NN hook runs, over the
k-NN hook's own dataloader of the split when the config has one: the points of a t-SNE plot are the
vectors that k-NN top-1 scores.
"""
import copy
from typing import Dict, Optional

import torch

from cclslr.evaluation.knn import embed_for_eval


def split_loader_cfg(cfg, split: str = 'test') -> dict:
    """The dataloader config of ``split`` (a one-view, test-style pipeline), in this order: the
    ``KNNEvalHook``'s query or bank loader whose dataset split is ``split``; ``{split}_dataloader``; the
    hook's bank loader with its dataset split replaced by ``split``."""
    hook = next((h for h in cfg.get('custom_hooks', None) or [] if h.get('type') == 'KNNEvalHook'), None)
    if hook is not None:
        for key in ('query_dataloader', 'dataloader'):
            loader = hook.get(key)
            if isinstance(loader, dict) and loader['dataset'].get('split') == split:
                return copy.deepcopy(loader)
    if cfg.get(f'{split}_dataloader'):
        return copy.deepcopy(cfg[f'{split}_dataloader'])
    if hook is not None and isinstance(hook.get('dataloader'), dict):
        loader = copy.deepcopy(hook['dataloader'])
        loader['dataset']['split'] = split
        return loader
    raise KeyError(f'{cfg.filename}: no KNNEvalHook dataloader and no {split}_dataloader to embed the '
                   f'{split!r} split with')


def build_model(cfg, checkpoint: Optional[str], seed: int = 0):
    """``cfg.model`` built in eval mode; weights from ``checkpoint`` (the project's MMEngine checkpoints,
    loaded weights-only), or, for ``checkpoint`` None / ``'none'``, its random initialisation under
    ``seed`` (the "before pre-training" baseline)."""
    from mmengine.runner import load_checkpoint
    from mmengine.runner.utils import set_random_seed

    from cclslr.registry import MODELS
    from cclslr.utils import allow_mmengine_checkpoint_globals
    set_random_seed(seed)
    model = MODELS.build(copy.deepcopy(cfg.model))
    if checkpoint in (None, 'none'):
        model.init_weights()
    else:  # strict loading sets every weight: no initialisation first
        allow_mmengine_checkpoint_globals()
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
    return model.eval()


def embed_split(model, cfg, split: str = 'test') -> Dict[str, torch.Tensor]:
    """``{'label': (M,), '<m>_embedding': (M, D_m), '<m>_projection': (M, C)}`` of the split's clips, in
    dataset order (see :func:`cclslr.evaluation.knn.extract_embeddings`)."""
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(split_loader_cfg(cfg, split), seed=0)
    out, = embed_for_eval(model, loader)
    if not any(k.endswith('_embedding') for k in out):
        raise ValueError(f'{cfg.filename}: {type(model).__name__} sets no <modality>_embedding on its '
                         'predictions; embeddings come from a pre-training model (CCLSLR)')
    return out
