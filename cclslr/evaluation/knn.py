"""k-NN classification and cross-modal retrieval on the embeddings of a pre-trained CCLSLR.

Protocol (our choice; Wu et al. 2018's weighted k-NN):
* k-NN top-1 uses the encoder outputs g (``<m>_embedding``), L2-normalised: cosine similarity, the k
  nearest neighbours vote with weight exp(sim / T) (k = 20, T = 0.07 by default; k = 1 is plain 1-NN).
  With one labelled split, each clip is classified by the others (leave-one-out); with a second
  (query) split, the first is the memory bank and the second is classified.
* fused: concatenation of the normalised RGB and pose g, renormalised.
* cross-modal retrieval uses the head outputs f (``<m>_projection``), the space where the two modalities
  are contrasted: recall@1 pose->RGB = fraction of clips whose pose f has the same clip's RGB f as its
  nearest RGB f (RGB->pose likewise), over the query split (or the single split).
All numbers are percentages.
"""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine import dist
from mmengine.dist import collect_results

from cclslr.utils.rng import get_rng_state, set_rng_state

FIELDS = ('rgb_embedding', 'pose_embedding', 'rgb_projection', 'pose_projection')


@torch.no_grad()
def extract_embeddings(model, dataloader) -> Dict[str, torch.Tensor]:
    """Run ``model.val_step`` (``predict``) over ``dataloader``, gather all ranks on every rank.

    Returns:
        ``{'label': (M,) long, '<m>_embedding': (M, D_m), '<m>_projection': (M, C)}`` on CPU, for the
        modalities the model has; M = the dataset length.
    """
    results = []
    for batch in dataloader:
        for sample in model.val_step(batch):
            if 'gt_label' not in sample:
                raise ValueError('k-NN evaluation needs labelled clips: a data sample has no gt_label')
            item = {'label': int(sample.gt_label.reshape(-1)[0])}
            item.update({f: sample.get(f).detach().float().cpu() for f in FIELDS if f in sample})
            results.append(item)
    size = len(dataloader.dataset)
    if dist.get_world_size() > 1:
        results = collect_results(results, size, device='cpu')
        holder = [results]
        dist.broadcast_object_list(holder, src=0)
        results = holder[0]
    if not results:
        raise ValueError('k-NN evaluation: the dataloader yielded no clips')
    out = {'label': torch.tensor([r['label'] for r in results])}
    if (out['label'] < 0).any():
        raise ValueError('k-NN evaluation needs labelled clips: found gt_label -1 (unlabelled)')
    for f in FIELDS:
        if f in results[0]:
            out[f] = torch.stack([r[f] for r in results])
    return out


@torch.no_grad()
def knn_top1(bank: torch.Tensor, bank_labels: torch.Tensor, query: Optional[torch.Tensor] = None,
             query_labels: Optional[torch.Tensor] = None, k: int = 20, temperature: float = 0.07,
             chunk: int = 1024) -> float:
    """Weighted k-NN top-1 (%) with cosine similarity.

    Args:
        bank: (M, D) memory features; bank_labels: (M,).
        query: (Q, D) features to classify; None = leave-one-out over the bank (a clip never votes for
            itself).
        k: neighbours (clipped to the bank size); temperature: vote weight exp(sim / T).
        chunk: queries per similarity block, to bound memory at (chunk, M).
    """
    loo = query is None
    if loo:
        query, query_labels = bank, bank_labels
        if bank.shape[0] < 2:
            raise ValueError('knn_top1: leave-one-out needs at least 2 clips')
    bank, query = F.normalize(bank.float(), dim=1), F.normalize(query.float(), dim=1)
    k = min(k, bank.shape[0] - int(loo))
    num_classes = int(max(bank_labels.max(), query_labels.max())) + 1
    correct = 0
    for start in range(0, query.shape[0], chunk):
        sim = query[start:start + chunk] @ bank.t()  # (c, M)
        if loo:
            rows = torch.arange(sim.shape[0])
            sim[rows, rows + start] = -float('inf')
        top_sim, top_idx = sim.topk(k, dim=1)
        votes = torch.zeros(sim.shape[0], num_classes)
        votes.scatter_add_(1, bank_labels[top_idx], (top_sim / temperature).exp())
        correct += (votes.argmax(1) == query_labels[start:start + chunk]).sum().item()
    return 100.0 * correct / query.shape[0]


@torch.no_grad()
def retrieval_recall_at1(source: torch.Tensor, target: torch.Tensor, chunk: int = 1024) -> float:
    """Recall@1 (%): row i of ``source`` retrieves row i of ``target`` as its most similar row."""
    source, target = F.normalize(source.float(), dim=1), F.normalize(target.float(), dim=1)
    hits = 0
    for start in range(0, source.shape[0], chunk):
        nearest = (source[start:start + chunk] @ target.t()).argmax(dim=1)
        hits += (nearest == torch.arange(start, start + nearest.shape[0])).sum().item()
    return 100.0 * hits / source.shape[0]


def _fused(emb: Dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([F.normalize(emb['rgb_embedding'], dim=1), F.normalize(emb['pose_embedding'], dim=1)],
                     dim=1)


def embed_for_eval(model, *dataloaders) -> List[Dict[str, torch.Tensor]]:
    """:func:`extract_embeddings` of each dataloader, in eval mode; the model's train/eval mode and every
    RNG are left as found, so evaluating does not change the course of training."""
    rng = get_rng_state()
    was_training = model.training
    model.eval()
    try:
        return [extract_embeddings(model, loader) for loader in dataloaders]
    finally:
        model.train(was_training)
        set_rng_state(rng)


def knn_scores(bank: Dict[str, torch.Tensor], query: Optional[Dict[str, torch.Tensor]] = None, k: int = 20,
               temperature: float = 0.07) -> Dict[str, float]:
    """The numbers of :func:`knn_evaluate` from embeddings already extracted (:func:`embed_for_eval`), so
    one query split can be scored against several memory banks without embedding it again."""
    feats = {m: (bank[f'{m}_embedding'], None if query is None else query[f'{m}_embedding'])
             for m in ('rgb', 'pose') if f'{m}_embedding' in bank}
    if len(feats) == 2:
        feats['fused'] = (_fused(bank), None if query is None else _fused(query))
    q_labels = None if query is None else query['label']
    metrics = {f'top1_{name}': knn_top1(b, bank['label'], q, q_labels, k, temperature)
               for name, (b, q) in feats.items()}
    split = bank if query is None else query
    if 'rgb_projection' in split and 'pose_projection' in split:
        metrics['recall1_pose2rgb'] = retrieval_recall_at1(split['pose_projection'], split['rgb_projection'])
        metrics['recall1_rgb2pose'] = retrieval_recall_at1(split['rgb_projection'], split['pose_projection'])
    return metrics


def knn_evaluate(model, dataloader, query_dataloader=None, k: int = 20,
                 temperature: float = 0.07) -> Dict[str, float]:
    """Embed labelled clips with ``model`` (its query encoders) and score them without training.

    Args:
        model: a CCLSLR (or a wrapper of one) whose ``val_step`` sets ``<m>_embedding``/``<m>_projection``.
        dataloader: labelled clips (the memory bank, or the only split for leave-one-out).
        query_dataloader: optional second split to classify against ``dataloader``.

    Returns:
        ``{'top1_rgb', 'top1_pose', 'top1_fused', 'recall1_pose2rgb', 'recall1_rgb2pose'}`` in %, the
        keys the model's modalities allow. The model's train/eval mode and every RNG are left as found,
        so evaluating does not change the course of training.
    """
    if query_dataloader is None:
        bank, = embed_for_eval(model, dataloader)
        return knn_scores(bank, None, k, temperature)
    bank, query = embed_for_eval(model, dataloader, query_dataloader)
    return knn_scores(bank, query, k, temperature)
