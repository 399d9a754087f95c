"""CCL-SLR pre-training: MoCo v2 on RGB and pose, with semantic positive mining and cross-modal losses.

One step (method.md §5), in MoCo's order:

1. queries: encode view 0 with the query encoders -> g_q (encoder output), f_q (head output);
2. EMA: key encoders and heads <- m * key + (1 - m) * query (no gradient);
3. keys: encode view 1 with the key branch under ``no_grad`` -> g_k, f_k;
4. losses against the queues as they are *before* this step's keys are written;
5. enqueue: gather the keys of every rank, write them into the four queues at the same slots.

Every feature below is L2-normalised. Queues are stored as rows, (N, D), one pair per modality:
``queue_g_<m>`` holds key encoder outputs g_k (used only to mine positives), ``queue_f_<m>`` holds key
head outputs f_k (the negatives). One ``queue_ptr`` serves all four, so slot i is the same clip everywhere.

Losses (each logged on its own, each weighted and switchable off in ``losses``; 0 removes a term):
    loss_cl_<m>      InfoNCE(f_q^m, f_k^m, M_f^m)                    weight ``losses['cl']``
    loss_spm_<m>     BCE(sigmoid(f_q^m . M_f^m / tau_spm), y)         weight ``losses['spm']``
                     y = max over modalities of top-k(g_q^m . M_g^m)
                     (``spm_form='softmax'``: -log softmax mass of [f_k^m, M_f^m] on {own key} + y)
    loss_cross_r2p   InfoNCE(f_q^pose, f_k^rgb, M_f^rgb)             weight ``losses['cross']``
    loss_cross_p2r   InfoNCE(f_q^rgb, f_k^pose, M_f^pose)
    loss_pl_<m>      (beyond the paper, off by default) cross-entropy of a linear classifier on g_q^m
                     against the cluster of the clip's key g_k^s of the *other* modality s, the clusters
                     being an online k-means of M_g^s (XDC-style cross-modal pseudo-labels)
                                                                     weight ``losses['pl']``
A weight is a number for the whole family or a dict per term, e.g. ``cl=dict(rgb=0)`` (RGB without its
instance discrimination, pose keeps weight 1) or ``cross=dict(p2r=0)``.
With ``spm=0, cross=0`` this is the paper's baseline of two independent MoCo branches. Also logged, not a
loss: ``spread_f_<m>``, the spread of the query projections over the batch (about 1 when spread over the
sphere, 0 when collapsed; :func:`~cclslr.models.utils.feature_spread`), and with the pseudo-label term
``pl_clusters_<m>``, how many clusters the batch's targets use.

Not done here: MoCo's shuffle-BN for the key encoders (the pose encoder has no BatchNorm; R3D-50's BN sees
the key batch of one rank). In DDP, wrap with ``broadcast_buffers=False``: the queues are identical on all
ranks by construction (same initial queues, broadcast by :meth:`init_weights`; same gathered keys), and
broadcasting them every step would move ~220 MB at the paper's sizes.
"""
import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine import dist
from mmengine.model import BaseModel

from cclslr.registry import MODELS
from cclslr.structures import SignDataSample
from ..losses import info_nce, spm_loss, spm_nce_loss, spm_targets, union_targets
from ..utils import OnlineKMeans, concat_all_gather, enqueue_lockstep, feature_spread

MODALITIES = ('rgb', 'pose')
# Loss family -> its terms, and the family's default weight. The paper's objective is cl + spm + cross.
LOSS_TERMS = {'cl': ('rgb', 'pose'), 'spm': ('rgb', 'pose'), 'cross': ('r2p', 'p2r'), 'pl': ('rgb', 'pose')}
DEFAULT_WEIGHTS = {'cl': 1.0, 'spm': 1.0, 'cross': 1.0, 'pl': 0.0}
OTHER = {'rgb': 'pose', 'pose': 'rgb'}
Features = Dict[str, Dict[str, torch.Tensor]]  # modality -> {'g': (B, D_m), 'f': (B, C)}


@MODELS.register_module()
class CCLSLR(BaseModel):
    """Cross-modal consistency learning pre-training (two MoCo v2 branches that teach each other).

    Args:
        rgb_encoder: config of the RGB encoder ((N, 3, T, H, W) -> (N, D_R)), or None for pose only.
        pose_encoder: config of the pose encoder ((N, T, J, 3), (N, T) mask -> (N, D_P)), or None.
        rgb_head / pose_head: projection head configs; None builds a ``ProjectionHead`` from the encoder's
            ``out_channels`` to ``feat_dim`` (hidden = input width). ``in_channels`` is filled in if absent.
        feat_dim: width C of the head output f (128).
        queue_size: N, slots per queue (16384). Any N >= global batch works (writes wrap around).
        momentum: EMA factor m of the key branch (0.999).
        temperature: tau of InfoNCE (0.07).
        spm_topk: k of semantic positive mining (10).
        spm_temperature: tau_spm of the SPM logits (0.02).
        spm_form: 'bce' (the paper's sigmoid BCE over the N slots) or 'softmax' (beyond the paper: the
            multi-positive InfoNCE of CrosSCLR/CoCLR over [own key, queue], use with tau_spm 0.07; it does
            not drive the projections into a cone as the BCE does, docs/pretraining.md).
        losses: weights, keys ``cl``, ``spm``, ``cross`` (default 1) and ``pl`` (default 0); each value a
            number for the family or a dict per term (``rgb``/``pose``; for ``cross`` ``r2p``/``p2r``). 0
            (or False/None) turns a term off: it is then neither computed nor logged.
        pseudo_label: settings of the ``pl`` term: ``num_clusters`` K (default 10), ``temperature`` of
            the classifier logits (0.1), ``iters`` Lloyd steps per training step (5), ``seed`` (0).
        data_preprocessor: e.g. ``dict(type='SignDataPreprocessor')``; None = MMEngine's plain one.
    """

    def __init__(self,
                 rgb_encoder: Optional[dict] = None,
                 pose_encoder: Optional[dict] = None,
                 rgb_head: Optional[dict] = None,
                 pose_head: Optional[dict] = None,
                 feat_dim: int = 128,
                 queue_size: int = 16384,
                 momentum: float = 0.999,
                 temperature: float = 0.07,
                 spm_topk: int = 10,
                 spm_temperature: float = 0.02,
                 spm_form: str = 'bce',
                 losses: Optional[dict] = None,
                 pseudo_label: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        encoders = dict(rgb=rgb_encoder, pose=pose_encoder)
        self.modalities = tuple(m for m in MODALITIES if encoders[m] is not None)
        if not self.modalities:
            raise ValueError('CCLSLR: give rgb_encoder, pose_encoder or both (both are None)')
        self.loss_weights = self._parse_loss_weights(losses, self.modalities)
        for family, name in (('cross', 'cross-modal'), ('pl', 'pseudo-label')):
            if any(self.loss_weights[family].values()) and len(self.modalities) < 2:
                raise ValueError(f'CCLSLR: the {name} loss needs both encoders, only {self.modalities} '
                                 f'given; set losses=dict({family}=0) for single-modality pre-training')
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f'CCLSLR: momentum must be in [0, 1], got {momentum}')
        if spm_topk > queue_size:
            raise ValueError(f'CCLSLR: spm_topk={spm_topk} exceeds queue_size={queue_size}')
        self.feat_dim = feat_dim
        self.queue_size = queue_size
        self.momentum = momentum
        self.temperature = temperature
        self.spm_topk = spm_topk
        self.spm_temperature = spm_temperature
        if spm_form not in ('bce', 'softmax'):
            raise ValueError(f"CCLSLR: spm_form must be 'bce' or 'softmax', got {spm_form!r}")
        self.spm_form = spm_form

        heads = dict(rgb=rgb_head, pose=pose_head)
        for m in self.modalities:
            encoder = MODELS.build(encoders[m])
            head_cfg = dict(type='ProjectionHead', out_channels=feat_dim) if heads[m] is None \
                else copy.deepcopy(heads[m])
            head_cfg.setdefault('in_channels', encoder.out_channels)
            head = MODELS.build(head_cfg)
            # Query branch: trained by the optimiser.
            setattr(self, f'{m}_encoder', encoder)
            setattr(self, f'{m}_head', head)
            # Key branch: an EMA copy, never in the optimiser (requires_grad False), saved in the state
            # dict with the rest. The `key_` prefix keeps `rgb_encoder.` an exact prefix of query weights.
            for name, module in ((f'key_{m}_encoder', encoder), (f'key_{m}_head', head)):
                key_module = copy.deepcopy(module)
                key_module.requires_grad_(False)
                setattr(self, name, key_module)
            # Random unit rows, as in MoCo: the first N/B steps contrast against noise.
            self.register_buffer(f'queue_g_{m}',
                                 F.normalize(torch.randn(queue_size, encoder.out_channels), dim=1))
            self.register_buffer(f'queue_f_{m}', F.normalize(torch.randn(queue_size, feat_dim), dim=1))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self._build_pseudo_label(pseudo_label)

    def _build_pseudo_label(self, cfg: Optional[dict]) -> None:
        """For each modality m with a ``pl`` weight: a linear classifier on g^m (query branch, trained) and
        an online k-means over the *other* modality's g queue (buffers only, no gradient)."""
        cfg = dict(cfg or {})
        known = {'num_clusters', 'temperature', 'iters', 'seed'}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise ValueError(f'CCLSLR: unknown pseudo_label option(s) {unknown}; known: {sorted(known)}')
        self.pl_temperature = float(cfg.get('temperature', 0.1))
        if self.pl_temperature <= 0:
            raise ValueError(f'CCLSLR: pseudo_label temperature must be > 0, got {self.pl_temperature}')
        num_clusters = int(cfg.get('num_clusters', 10))
        self.pl_modalities = tuple(m for m in self.modalities if self.loss_weights['pl'][m])
        if self.pl_modalities and num_clusters > self.queue_size:
            raise ValueError(f'CCLSLR: pseudo_label num_clusters={num_clusters} exceeds '
                             f'queue_size={self.queue_size}')
        for m in self.pl_modalities:
            source = OTHER[m]
            setattr(self, f'pl_head_{m}', nn.Linear(getattr(self, f'{m}_encoder').out_channels,
                                                    num_clusters))
            setattr(self, f'kmeans_{source}', OnlineKMeans(
                num_clusters, self.queue('g', source).shape[1], iters=int(cfg.get('iters', 5)),
                seed=int(cfg.get('seed', 0))))

    @staticmethod
    def _parse_loss_weights(losses: Optional[dict], modalities: Sequence[str]) -> Dict[str, Dict[str, float]]:
        """``losses`` config -> {family: {term: weight}}; terms of absent modalities get weight 0."""
        weights = {family: {t: DEFAULT_WEIGHTS[family] for t in terms}
                   for family, terms in LOSS_TERMS.items()}
        for family, value in (losses or {}).items():
            if family not in LOSS_TERMS:
                raise ValueError(f'CCLSLR: unknown loss term {family!r} in losses; '
                                 f'known: {tuple(LOSS_TERMS)}')
            if isinstance(value, dict):
                bad = sorted(set(value) - set(LOSS_TERMS[family]))
                if bad:
                    raise ValueError(f'CCLSLR: unknown term(s) {bad} in losses[{family!r}]; known: '
                                     f'{LOSS_TERMS[family]}')
                weights[family].update({t: float(v or 0.0) for t, v in value.items()})
            else:
                weights[family] = {t: float(value or 0.0) for t in LOSS_TERMS[family]}
        for family in ('cl', 'spm', 'pl'):
            for m in MODALITIES:
                if m not in modalities:
                    weights[family][m] = 0.0
        if not any(w for terms in weights.values() for w in terms.values()):
            raise ValueError('CCLSLR: every loss term is switched off')
        return weights

    # ------------------------------------------------------------------ branches
    def _branch(self, modality: str, key: bool):
        prefix = 'key_' if key else ''
        return getattr(self, f'{prefix}{modality}_encoder'), getattr(self, f'{prefix}{modality}_head')

    def queue(self, kind: str, modality: str) -> torch.Tensor:
        """The (N, D) queue ``M_<kind>^<modality>``, kind 'g' or 'f'."""
        return getattr(self, f'queue_{kind}_{modality}')

    @staticmethod
    def _view(x: Union[torch.Tensor, Sequence[torch.Tensor], None], index: int):
        if x is None or isinstance(x, torch.Tensor):
            if index != 0 and x is not None:
                raise ValueError('CCLSLR: pre-training needs two views per modality (a list [query, key]),'
                                 ' got a single tensor')
            return x
        if len(x) <= index:
            raise ValueError(f'CCLSLR: view {index} requested but the inputs hold {len(x)} view(s)')
        return x[index]

    def _encode(self, inputs: dict, view: int, key: bool) -> Features:
        """Encode one view with the query (key=False) or key branch -> normalised g and f per modality."""
        feats = {}
        for m in self.modalities:
            if m not in inputs:
                raise KeyError(f'CCLSLR: inputs lack modality {m!r} (got keys {sorted(inputs)})')
            encoder, head = self._branch(m, key)
            if m == 'rgb':
                g = encoder(self._view(inputs['rgb'], view))
            else:
                g = encoder(self._view(inputs['pose'], view), self._view(inputs.get('pose_mask'), view))
            feats[m] = dict(g=F.normalize(g, dim=1), f=F.normalize(head(g), dim=1))
        sizes = {m: feats[m]['g'].shape[0] for m in feats}
        if len(set(sizes.values())) > 1:
            raise ValueError(f'CCLSLR: batch sizes differ between modalities: {sizes}')
        return feats

    def extract_query(self, inputs: dict) -> Features:
        """Query branch on view 0 (with gradient)."""
        return self._encode(inputs, view=0, key=False)

    @torch.no_grad()
    def extract_key(self, inputs: dict) -> Features:
        """Key branch on view 1."""
        return self._encode(inputs, view=1, key=True)

    def extract_feat(self, inputs: dict) -> Features:
        return self.extract_query(inputs)

    # ------------------------------------------------------------------ EMA and queues
    @torch.no_grad()
    def momentum_update(self) -> None:
        """theta_k <- m * theta_k + (1 - m) * theta_q for every key encoder and head parameter."""
        for m in self.modalities:
            for query_mod, key_mod in zip(self._branch(m, False), self._branch(m, True)):
                q_params = [p.detach() for p in query_mod.parameters()]
                k_params = list(key_mod.parameters())
                # One fused kernel per list instead of one launch per parameter tensor.
                torch._foreach_mul_(k_params, self.momentum)
                torch._foreach_add_(k_params, q_params, alpha=1.0 - self.momentum)

    @torch.no_grad()
    def enqueue(self, keys: Features) -> None:
        """Gather every rank's keys (rank order) and write them into the four queues in lockstep."""
        parts = [keys[m][kind] for m in self.modalities for kind in ('g', 'f')]
        widths = [p.shape[1] for p in parts]
        # One collective for all four tensors: concatenate along channels, gather, split back.
        gathered = concat_all_gather(torch.cat(parts, dim=1)).split(widths, dim=1)
        queues = [self.queue(kind, m) for m in self.modalities for kind in ('g', 'f')]
        enqueue_lockstep(queues, self.queue_ptr, gathered)

    # ------------------------------------------------------------------ losses
    def compute_losses(self, query: Features, key: Features) -> Dict[str, torch.Tensor]:
        """All enabled loss terms, against the queues as they are now (call before :meth:`enqueue`)."""
        w = self.loss_weights
        # Cloned because enqueue writes the buffers in place while the graph still needs them.
        queue_f = {m: self.queue('f', m).clone() for m in self.modalities}
        losses = {}
        for m in self.modalities:
            if w['cl'][m]:
                losses[f'loss_cl_{m}'] = w['cl'][m] * info_nce(
                    query[m]['f'], key[m]['f'], queue_f[m], self.temperature)
        if any(w['spm'].values()):
            targets = union_targets([spm_targets(query[m]['g'].detach(), self.queue('g', m), self.spm_topk)
                                     for m in self.modalities])
            for m in self.modalities:
                if not w['spm'][m]:
                    continue
                if self.spm_form == 'bce':
                    loss = spm_loss(query[m]['f'], queue_f[m], targets, self.spm_temperature)
                else:
                    loss = spm_nce_loss(query[m]['f'], key[m]['f'], queue_f[m], targets, self.spm_temperature)
                losses[f'loss_spm_{m}'] = w['spm'][m] * loss
        if w['cross']['r2p']:
            losses['loss_cross_r2p'] = w['cross']['r2p'] * info_nce(
                query['pose']['f'], key['rgb']['f'], queue_f['rgb'], self.temperature)
        if w['cross']['p2r']:
            losses['loss_cross_p2r'] = w['cross']['p2r'] * info_nce(
                query['rgb']['f'], key['pose']['f'], queue_f['pose'], self.temperature)
        for m in self.pl_modalities:
            targets = self.pseudo_labels(m, key)
            logits = getattr(self, f'pl_head_{m}')(query[m]['g']) / self.pl_temperature
            losses[f'loss_pl_{m}'] = w['pl'][m] * F.cross_entropy(logits, targets)
            losses[f'pl_clusters_{m}'] = targets.unique().numel() * torch.ones((), device=logits.device)
        return losses

    @torch.no_grad()
    def pseudo_labels(self, modality: str, key: Features) -> torch.Tensor:
        """(B,) targets of ``modality``'s pseudo-label term: refine the k-means of the other modality's g
        queue (as it is before this step's keys are written), then assign this batch's keys g_k of that
        modality to their nearest centroid."""
        source = OTHER[modality]
        kmeans = getattr(self, f'kmeans_{source}')
        kmeans.update(self.queue('g', source))
        return kmeans.assign(key[source]['g'])

    def loss(self, inputs: dict, data_samples: Optional[List[SignDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """One pre-training step's losses. ``inputs`` holds two views per modality:
        ``{'rgb': [(B, 3, T, H, W)] * 2, 'pose': [(B, T, J, 3)] * 2, 'pose_mask': [(B, T) bool] * 2}``."""
        query = self.extract_query(inputs)
        self.momentum_update()
        key = self.extract_key(inputs)
        losses = self.compute_losses(query, key)
        # Logged, not summed into the loss (MMEngine sums only the keys containing "loss"): a projection
        # collapsing into a cone shows here (towards 0) before the losses climb to log(N + 1).
        for m in self.modalities:
            losses[f'spread_f_{m}'] = feature_spread(query[m]['f'])
        self.enqueue(key)
        return losses

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def _embed(self, inputs: dict) -> Dict[str, torch.Tensor]:
        feats = self._encode(inputs, view=0, key=False)
        out = {}
        for m in self.modalities:
            out[f'{m}_embedding'] = feats[m]['g']
            out[f'{m}_projection'] = feats[m]['f']
        return out

    def predict(self, inputs: dict, data_samples: Optional[List[SignDataSample]] = None
                ) -> List[SignDataSample]:
        """Set ``<m>_embedding`` (normalised query encoder output g, (D_m,)) and ``<m>_projection``
        (normalised head output f, (C,)) on each data sample, from the first view."""
        emb = self._embed(inputs)
        batch = next(iter(emb.values())).shape[0]
        if data_samples is None:
            data_samples = [SignDataSample() for _ in range(batch)]
        for i, sample in enumerate(data_samples):
            for name, value in emb.items():
                sample.set_field(value[i], name)
        return data_samples

    def _forward(self, inputs: dict, data_samples=None) -> Dict[str, torch.Tensor]:
        """mode='tensor': ``{'<m>_embedding': (B, D_m), '<m>_projection': (B, C)}`` of view 0."""
        return self._embed(inputs)

    def forward(self, inputs: dict, data_samples: Optional[List[SignDataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise ValueError(f'CCLSLR: invalid mode {mode!r}; use "loss", "predict" or "tensor"')

    def init_weights(self) -> None:
        """Initialise the query branch, then start the key branch as an exact copy of it (MoCo).

        In distributed runs the random initial queues are also broadcast from rank 0 (MMEngine's Runner
        does it too; scripts without the Runner, and DDP with ``broadcast_buffers=False``, do not).
        """
        super().init_weights()
        for m in self.modalities:
            for query_mod, key_mod in zip(self._branch(m, False), self._branch(m, True)):
                key_mod.load_state_dict(query_mod.state_dict())
        if dist.get_world_size() > 1:
            for name, buf in self.named_buffers():
                if name.startswith('queue'):
                    dist.broadcast(buf, src=0)
