"""CCL-SLR pre-training: MoCo v2 on RGB and pose, with semantic positive mining and cross-modal losses.

One step (docs/method.md §5), in MoCo's order:

1. queries: encode view 0 with the query encoders -> g_q (encoder output), f_q (head output);
2. EMA: key encoders and heads <- m * key + (1 - m) * query (no gradient);
3. keys: encode view 1 with the key branch under ``no_grad`` -> g_k, f_k;
4. losses against the queues as they are *before* this step's keys are written;
5. enqueue: gather the keys of every rank, write them into the four queues at the same slots.

Every feature below is L2-normalised. Queues are rows, (N, D), two per modality m: ``g_<m>`` holds key
encoder outputs g_k (used only to mine positives), ``f_<m>`` key head outputs f_k (the negatives). They
share one write pointer, so slot i is the same clip in all four.

Losses (each logged on its own, each weighted and switchable off in ``losses``; 0 removes a term):
    loss_cl_<m>      loss_cl(f_q^m, f_k^m, M_f^m)                       weight ``losses['cl']``
    loss_spm_<m>     spm_head: y = union over modalities of top-k(g_q . M_g), then its loss on
                     (f_q^m, f_k^m, M_f^m, y) (the paper: BCE of sigmoid(f_q . M_f / tau_spm) vs y)
                                                                        weight ``losses['spm']``
    loss_cross_r2p   loss_cl(f_q^pose, f_k^rgb, M_f^rgb)                 weight ``losses['cross']``
    loss_cross_p2r   loss_cl(f_q^rgb, f_k^pose, M_f^pose)
A weight is a number for the whole family or a dict per term, e.g. ``cl=dict(rgb=0)`` or
``cross=dict(p2r=0)``. With ``spm=0, cross=0`` this is the paper's baseline of two independent MoCo
branches. Also logged, not a loss: ``spread_f_<m>``, the spread of the query projections over the batch
(about 1 when spread over the sphere, 0 when collapsed; :func:`~cclslr.models.utils.feature_spread`).

Shuffle BN (MoCo §3.3, kept by MoCo v2; on by default, ``shuffle_bn``): every key encoder with BatchNorm
(R3D-50; the pose encoder uses LayerNorm and is called directly) runs through
:class:`~cclslr.models.utils.ShuffleBN`, so that its batch statistics come from other clips than the
query encoder's: a batch shuffle across ranks, or shuffled groups normalised separately in one process.
In DDP, wrap with ``broadcast_buffers=False``: the queues are identical on all
ranks by construction (same initial queues, broadcast by :meth:`init_weights`; same gathered keys), and
broadcasting them every step would move ~220 MB at the paper's sizes.
"""
import copy
import functools
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine import dist
from mmengine.model import ModuleDict

from cclslr.registry import MODELS
from cclslr.structures import MODALITIES, SignDataSample
from ..utils import LockstepQueues, concat_all_gather, feature_spread
from ..base_model import BaseSignModel

Features = Dict[str, Dict[str, torch.Tensor]]  # modality -> {'g': (B, D_m), 'f': (B, C)}


def frozen_copy(module: torch.nn.Module) -> torch.nn.Module:
    """A deep copy that the optimiser never updates (the key branch: moved by EMA only)."""
    copied = copy.deepcopy(module)
    copied.requires_grad_(False)
    return copied


@MODELS.register_module()
class CCLSLR(BaseSignModel):
    """Cross-modal consistency learning pre-training (two MoCo v2 branches that teach each other).

    Args:
        rgb_encoder: config of the RGB encoder ((N, 3, T, H, W) -> (N, D_R)), or None for pose only.
        pose_encoder: config of the pose encoder ((N, T, J, 3), (N, T) mask -> (N, D_P)), or None.
        rgb_head / pose_head: projection head configs; None builds a ``ProjectionHead`` from the encoder's
            ``out_channels`` to ``feat_dim`` (hidden = input width). ``in_channels`` is filled in if absent.
        feat_dim: width C of the head output f (128).
        queue_size: N, slots per queue (16384). Any N >= global batch works (writes wrap around).
        momentum: EMA factor m of the key branch (0.999).
        loss_cl: config of the contrastive loss of the ``cl`` and ``cross`` terms (default
            ``InfoNCELoss`` at tau 0.07), called as ``loss(query (B, C), key (B, C), queue (N, C))``.
        spm_head: config of the SPM head (default ``SPMHead`` with k 10 and the paper's BCE at tau_spm
            0.02); see :class:`~cclslr.models.heads.SPMHead`.
        losses: weights, keys ``cl``, ``spm``, ``cross`` (default 1); each value a number for the family
            or a dict per term (``rgb``/``pose``; for ``cross`` ``r2p``/``p2r``). 0 (or False/None) turns
            a term off: it is then neither computed nor logged.
        shuffle_bn: config of the key encoders' shuffle BN (default ``ShuffleBN`` with 2 groups in one
            process; across ranks each rank's share is a group); None turns it off. Applies only to key
            encoders that contain BatchNorm layers.
        data_preprocessor: e.g. ``dict(type='SignDataPreprocessor')``; None = MMEngine's plain one.

    Modules: ``encoders`` / ``heads`` (query branch, trained) and ``key_encoders`` / ``key_heads`` (their
    EMA copies), each a ``ModuleDict`` keyed by modality; ``queues`` (:class:`LockstepQueues`).
    """

    # Loss family -> its terms; families that need both modalities; the default weights.
    LOSS_TERMS = {'cl': ('rgb', 'pose'), 'spm': ('rgb', 'pose'), 'cross': ('r2p', 'p2r')}
    CROSS_MODAL = ('cross',)
    DEFAULT_WEIGHTS = {'cl': 1.0, 'spm': 1.0, 'cross': 1.0}
    DEFAULT_SHUFFLE_BN = dict(type='ShuffleBN', num_splits=2)

    def __init__(self,
                 rgb_encoder: Optional[dict] = None,
                 pose_encoder: Optional[dict] = None,
                 rgb_head: Optional[dict] = None,
                 pose_head: Optional[dict] = None,
                 feat_dim: int = 128,
                 queue_size: int = 16384,
                 momentum: float = 0.999,
                 loss_cl: Optional[dict] = None,
                 spm_head: Optional[dict] = None,
                 losses: Optional[dict] = None,
                 shuffle_bn: Optional[dict] = DEFAULT_SHUFFLE_BN,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        encoder_cfgs = dict(rgb=rgb_encoder, pose=pose_encoder)
        self.modalities = tuple(m for m in MODALITIES if encoder_cfgs[m] is not None)
        if not self.modalities:
            raise ValueError(f'{type(self).__name__}: give rgb_encoder, pose_encoder or both (both are None)')
        self.loss_weights = self.parse_loss_weights(losses, self.modalities)
        for family in self.CROSS_MODAL:
            if any(self.loss_weights[family].values()) and len(self.modalities) < 2:
                raise ValueError(f'{type(self).__name__}: the {family!r} loss needs both encoders, only '
                                 f'{self.modalities} given; set losses=dict({family}=0) for '
                                 'single-modality pre-training')
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f'{type(self).__name__}: momentum must be in [0, 1], got {momentum}')
        self.feat_dim = feat_dim
        self.momentum = momentum

        head_cfgs = dict(rgb=rgb_head, pose=pose_head)
        self.encoders, self.heads = ModuleDict(), ModuleDict()
        self.key_encoders, self.key_heads = ModuleDict(), ModuleDict()
        initial_queues = {}
        for m in self.modalities:
            encoder = MODELS.build(encoder_cfgs[m])
            head_cfg = dict(type='ProjectionHead', out_channels=feat_dim) if head_cfgs[m] is None \
                else copy.deepcopy(head_cfgs[m])
            head_cfg.setdefault('in_channels', encoder.out_channels)
            self.encoders[m] = encoder
            self.heads[m] = MODELS.build(head_cfg)
            self.key_encoders[m] = frozen_copy(encoder)
            self.key_heads[m] = frozen_copy(self.heads[m])
            # Random unit rows, as in MoCo: the first N/B steps contrast against noise.
            initial_queues[f'g_{m}'] = F.normalize(torch.randn(queue_size, encoder.out_channels), dim=1)
            initial_queues[f'f_{m}'] = F.normalize(torch.randn(queue_size, feat_dim), dim=1)
        self.queues = LockstepQueues(initial_queues)
        self.loss_cl = MODELS.build(loss_cl or dict(type='InfoNCELoss', temperature=0.07))
        self.spm_head = MODELS.build(spm_head or dict(type='SPMHead', topk=10))
        # Not a module (no state): a plain attribute, so the checkpoint keys do not change.
        self.shuffle_bn = MODELS.build(copy.deepcopy(shuffle_bn)) if shuffle_bn else None
        if self.spm_head.topk > queue_size:
            raise ValueError(f'{type(self).__name__}: spm_head.topk={self.spm_head.topk} exceeds '
                             f'queue_size={queue_size}')

    @classmethod
    def parse_loss_weights(cls, losses: Optional[dict], modalities: Sequence[str]
                           ) -> Dict[str, Dict[str, float]]:
        """``losses`` config -> {family: {term: weight}}; terms of absent modalities get weight 0."""
        weights = {family: {t: cls.DEFAULT_WEIGHTS[family] for t in terms}
                   for family, terms in cls.LOSS_TERMS.items()}
        for family, value in (losses or {}).items():
            if family not in cls.LOSS_TERMS:
                raise ValueError(f'{cls.__name__}: unknown loss term {family!r} in losses; '
                                 f'known: {tuple(cls.LOSS_TERMS)}')
            if isinstance(value, dict):
                bad = sorted(set(value) - set(cls.LOSS_TERMS[family]))
                if bad:
                    raise ValueError(f'{cls.__name__}: unknown term(s) {bad} in losses[{family!r}]; known: '
                                     f'{cls.LOSS_TERMS[family]}')
                weights[family].update({t: float(v or 0.0) for t, v in value.items()})
            else:
                weights[family] = {t: float(value or 0.0) for t in cls.LOSS_TERMS[family]}
        for family, terms in cls.LOSS_TERMS.items():
            for m in MODALITIES:
                if m in terms and m not in modalities:
                    weights[family][m] = 0.0
        if not any(w for terms in weights.values() for w in terms.values()):
            raise ValueError(f'{cls.__name__}: every loss term is switched off')
        return weights

    def queue(self, kind: str, modality: str) -> torch.Tensor:
        """The (N, D) queue ``M_<kind>^<modality>``, kind 'g' or 'f'."""
        return self.queues[f'{kind}_{modality}']

    # ------------------------------------------------------------------ branches
    def _encode(self, inputs: dict, view: int, key: bool) -> Features:
        """Encode one view with the query (key=False) or key branch -> normalised g and f per modality."""
        encoders, heads = (self.key_encoders, self.key_heads) if key else (self.encoders, self.heads)
        feats = {}
        for m in self.modalities:
            encoder = encoders[m]
            if key and self.shuffle_bn is not None:
                encoder = functools.partial(self.shuffle_bn, encoder)
            g = self.encode_view(encoder, m, inputs, view)
            # fp32 from here on under mixed precision: the queues are fp32 and the losses must be (see
            # :meth:`loss`); the encoders and heads themselves run in the autocast dtype.
            feats[m] = dict(g=F.normalize(g.float(), dim=1), f=F.normalize(heads[m](g).float(), dim=1))
        sizes = {m: feats[m]['g'].shape[0] for m in feats}
        if len(set(sizes.values())) > 1:
            raise ValueError(f'{type(self).__name__}: batch sizes differ between modalities: {sizes}')
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
        for query, key in ((self.encoders, self.key_encoders), (self.heads, self.key_heads)):
            q_params = [p.detach() for p in query.parameters()]
            k_params = list(key.parameters())
            # One fused kernel per list instead of one launch per parameter tensor.
            torch._foreach_mul_(k_params, self.momentum)
            torch._foreach_add_(k_params, q_params, alpha=1.0 - self.momentum)

    @torch.no_grad()
    def enqueue(self, keys: Features) -> None:
        """Gather every rank's keys (rank order) and write them into the four queues in lockstep."""
        names = [(m, kind) for m in self.modalities for kind in ('g', 'f')]
        parts = [keys[m][kind] for m, kind in names]
        # One collective for all four tensors: concatenate along channels, gather, split back.
        gathered = concat_all_gather(torch.cat(parts, dim=1)).split([p.shape[1] for p in parts], dim=1)
        self.queues.push({f'{kind}_{m}': rows for (m, kind), rows in zip(names, gathered)})

    # ------------------------------------------------------------------ losses
    def compute_losses(self, query: Features, key: Features) -> Dict[str, torch.Tensor]:
        """All enabled loss terms, against the queues as they are now (call before :meth:`enqueue`)."""
        w = self.loss_weights
        # Cloned because enqueue writes the buffers in place while the graph still needs them.
        queue_f = {m: self.queue('f', m).clone() for m in self.modalities}
        losses = {}
        for m in self.modalities:
            if w['cl'][m]:
                losses[f'loss_cl_{m}'] = w['cl'][m] * self.loss_cl(query[m]['f'], key[m]['f'], queue_f[m])
        if any(w['spm'].values()):
            targets = self.spm_head.mine({m: query[m]['g'].detach() for m in self.modalities},
                                         {m: self.queue('g', m) for m in self.modalities})
            for m in self.modalities:
                if w['spm'][m]:
                    losses[f'loss_spm_{m}'] = w['spm'][m] * self.spm_head.loss(
                        query[m]['f'], key[m]['f'], queue_f[m], targets)
        if w['cross']['r2p']:
            losses['loss_cross_r2p'] = w['cross']['r2p'] * self.loss_cl(
                query['pose']['f'], key['rgb']['f'], queue_f['rgb'])
        if w['cross']['p2r']:
            losses['loss_cross_p2r'] = w['cross']['p2r'] * self.loss_cl(
                query['rgb']['f'], key['pose']['f'], queue_f['pose'])
        return losses

    def loss(self, inputs: dict, data_samples: Optional[List[SignDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """One pre-training step's losses. ``inputs`` holds two views per modality:
        ``{'rgb': [(B, 3, T, H, W)] * 2, 'pose': [(B, T, J, 3)] * 2, 'pose_mask': [(B, T) bool] * 2}``."""
        query = self.extract_query(inputs)
        self.momentum_update()
        key = self.extract_key(inputs)
        losses = self.losses_fp32(query, key)
        self.enqueue(key)
        return losses

    def losses_fp32(self, query: Features, key: Features) -> Dict[str, torch.Tensor]:
        """:meth:`compute_losses` and ``spread_f_<m>`` with autocast off (call before :meth:`enqueue`).

        Losses in fp32 even under AMP: at tau_spm = 0.02 the SPM logits reach +-50 and exp(50) overflows
        fp16; autocast would run the queue similarities in fp16 otherwise (the features are fp32 already).
        """
        with torch.autocast(device_type=query[self.modalities[0]]['f'].device.type, enabled=False):
            losses = self.compute_losses(query, key)
            # Logged, not summed into the loss (MMEngine sums only the keys containing "loss"): a
            # projection collapsing into a cone shows here (towards 0) before the losses climb to log(N + 1).
            for m in self.modalities:
                losses[f'spread_f_{m}'] = feature_spread(query[m]['f'])
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

    def init_weights(self) -> None:
        """Initialise the query branch, then start the key branch as an exact copy of it (MoCo).

        In distributed runs the random initial queues are also broadcast from rank 0 (MMEngine's Runner
        does it too; scripts without the Runner, and DDP with ``broadcast_buffers=False``, do not).
        """
        super().init_weights()
        self.key_encoders.load_state_dict(self.encoders.state_dict())
        self.key_heads.load_state_dict(self.heads.state_dict())
        if dist.get_world_size() > 1:
            for buf in self.queues.buffers():
                dist.broadcast(buf, src=0)
