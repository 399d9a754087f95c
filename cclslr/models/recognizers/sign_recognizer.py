"""Fine-tuning recognizer: pre-trained encoders + one linear classifier per modality (docs/method.md §7)."""
import copy
from typing import Dict, List, Optional

import torch
from mmengine.model import ModuleDict

from cclslr.registry import MODELS
from cclslr.structures import MODALITIES, SignDataSample
from cclslr.utils import allow_mmengine_checkpoint_globals, load_plain_state_dict
from ..base_model import BaseSignModel

# Modality -> the key prefix of its encoder in a CCLSLR pre-training checkpoint (the query encoders,
# `encoders.<m>`; the EMA key encoders, `key_encoders.<m>`, are not loaded).
DEFAULT_PREFIX_MAP = {'rgb': 'encoders.rgb.', 'pose': 'encoders.pose.'}


@MODELS.register_module()
class SignRecognizer(BaseSignModel):
    """ISLR fine-tuning model: RGB and/or pose encoder, a :class:`ClsHead` per branch.

    Loss = sum of the branch cross-entropies (logged as ``loss_rgb`` / ``loss_pose``, with the batch top-1
    as ``top1_rgb`` / ``top1_pose``); prediction = softmax of the sum of the branch logits. Either backbone
    may be None (RGB-only or pose-only fine-tuning).

    Args:
        num_classes: number of glosses.
        rgb_backbone / pose_backbone: encoder configs (e.g. ``dict(type='RGBEncoder')``,
            ``dict(type='PoseEncoder')``); each must expose ``out_channels``.
        rgb_head / pose_head: extra :class:`ClsHead` arguments (``dropout``, ``label_smoothing``);
            ``in_channels`` and ``num_classes`` are filled in.
        init_from: ``dict(checkpoint=PATH, prefix_map={...})`` — load encoder weights from a pre-training
            checkpoint (an MMEngine checkpoint or a plain state dict), as plain tensors, at construction.
            ``prefix_map`` maps a modality (``'rgb'``, ``'pose'``) to the key prefix of its encoder in the
            checkpoint (default :data:`DEFAULT_PREFIX_MAP`, a CCLSLR checkpoint). Every tensor of
            the encoder must be found with the same shape, and nothing under the prefix may be left over;
            otherwise a RuntimeError names the file and the keys. The loaded encoders are marked
            initialised, so the Runner's ``init_weights()`` does not overwrite them. A plain path string
            is short for ``dict(checkpoint=PATH)`` (handy on the command line:
            ``--cfg-options model.init_from=work_dirs/pretrain/epoch_140.pth``).
        data_preprocessor: e.g. ``dict(type='SignDataPreprocessor', ...)``.

    Modules: ``backbones`` and ``heads``, ``ModuleDict``s keyed by modality.

    Inputs (``forward``): those of :mod:`cclslr.structures.inputs`, ``{'rgb': [(N, 3, T, H, W)],
    'pose': [(N, T, J, 3)], 'pose_mask': [(N, T) bool]}``, lists over views of which the first is used;
    ``data_samples``: list of :class:`SignDataSample` with ``gt_label`` (for ``mode='loss'``).
    """

    def __init__(self, num_classes: int, rgb_backbone: Optional[dict] = None,
                 pose_backbone: Optional[dict] = None, rgb_head: Optional[dict] = None,
                 pose_head: Optional[dict] = None, init_from: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        name = type(self).__name__
        if rgb_backbone is None and pose_backbone is None:
            raise ValueError(f'{name} needs at least one of rgb_backbone / pose_backbone')
        self.num_classes = num_classes
        self.backbones, self.heads = ModuleDict(), ModuleDict()
        branches = (('rgb', rgb_backbone, rgb_head), ('pose', pose_backbone, pose_head))
        for m, backbone_cfg, head_cfg in branches:
            if backbone_cfg is None:
                if head_cfg is not None:
                    raise ValueError(f'{name}: {m}_head is given but {m}_backbone is None')
                continue
            backbone = MODELS.build(backbone_cfg)
            head = dict(type='ClsHead', **copy.deepcopy(head_cfg or {}))
            head.update(in_channels=backbone.out_channels, num_classes=num_classes)
            self.backbones[m] = backbone
            self.heads[m] = MODELS.build(head)
        self.modalities = tuple(self.backbones)
        if isinstance(init_from, str):
            init_from = dict(checkpoint=init_from)
        if init_from is not None:
            unknown = set(init_from) - {'checkpoint', 'prefix_map'}
            if unknown or 'checkpoint' not in init_from:
                raise ValueError(f'init_from takes checkpoint= and optionally prefix_map=, got '
                                 f'{sorted(init_from)}')
            self.load_encoders(init_from['checkpoint'], init_from.get('prefix_map'))

    def load_encoders(self, checkpoint: str, prefix_map: Optional[Dict[str, str]] = None) -> None:
        """Copy encoder tensors from ``checkpoint`` (see ``init_from``). Raises on any mismatch."""
        allow_mmengine_checkpoint_globals()  # our own MMEngine checkpoints; still weights-only loading
        state = load_plain_state_dict(checkpoint)
        prefix_map = DEFAULT_PREFIX_MAP if prefix_map is None else prefix_map
        for ours, theirs in prefix_map.items():
            if ours not in MODALITIES:
                raise ValueError(f'init_from.prefix_map: unknown modality {ours!r}; expected one of '
                                 f'{MODALITIES}')
            if ours not in self.backbones:
                continue  # e.g. pose-only fine-tuning from a two-modality checkpoint
            module = self.backbones[ours]
            theirs = theirs if theirs.endswith('.') or not theirs else theirs + '.'
            sub = {k[len(theirs):]: v for k, v in state.items() if k.startswith(theirs)}
            if not sub:
                prefixes = sorted({k.split('.')[0] + '.' for k in state})
                raise RuntimeError(f'{checkpoint}: no weights under prefix {theirs!r} for the {ours} '
                                   f'backbone; the checkpoint has prefixes {prefixes[:20]}')
            expected = module.state_dict()
            missing = sorted(set(expected) - set(sub))
            unexpected = sorted(set(sub) - set(expected))
            mismatched = [f'{k}: checkpoint {tuple(sub[k].shape)} vs model {tuple(v.shape)}'
                          for k, v in expected.items() if k in sub and sub[k].shape != v.shape]
            if missing or unexpected or mismatched:
                raise RuntimeError(
                    f'{checkpoint}: weights under {theirs!r} do not match the {ours} backbone '
                    f'({type(module).__name__}). {len(missing)} missing keys: {missing[:10]}; '
                    f'{len(unexpected)} unexpected keys: {unexpected[:10]}; {len(mismatched)} shape '
                    f'mismatches: {mismatched[:10]}')
            module.load_state_dict(sub, strict=True)
            # BaseModule.init_weights skips children that are already initialised.
            module._is_init = True

    def encode(self, modality: str, inputs: dict) -> torch.Tensor:
        """(N, D_m) features of the first view of ``modality`` (subclasses change how a modality is read)."""
        return self.encode_view(self.backbones[modality], modality, inputs, view=0)

    def extract_feat(self, inputs: dict) -> Dict[str, torch.Tensor]:
        """Encoder features per modality: ``{'rgb': (N, D_rgb), 'pose': (N, D_pose)}``."""
        return {m: self.encode(m, inputs) for m in self.modalities}

    def _forward(self, inputs: dict, data_samples=None) -> Dict[str, torch.Tensor]:
        """mode='tensor': ``{modality: logits (N, num_classes)}``."""
        feats = self.extract_feat(inputs)
        return {m: self.heads[m](feats[m]) for m in self.modalities}

    def loss(self, inputs: dict, data_samples: List[SignDataSample]) -> Dict[str, torch.Tensor]:
        if not data_samples or any('gt_label' not in ds for ds in data_samples):
            raise ValueError(f'{type(self).__name__}.loss needs data samples with gt_label')
        logits = self._forward(inputs)
        device = next(iter(logits.values())).device
        labels = torch.cat([ds.gt_label.reshape(-1)[:1] for ds in data_samples]).to(device)
        losses = {}
        for branch, branch_logits in logits.items():
            losses[f'loss_{branch}'] = self.heads[branch].loss(branch_logits, labels)
            with torch.no_grad():  # logged only: mmengine sums just the keys containing 'loss'
                losses[f'top1_{branch}'] = (branch_logits.argmax(1) == labels).float().mean()
        return losses

    def predict(self, inputs: dict,
                data_samples: Optional[List[SignDataSample]] = None) -> List[SignDataSample]:
        logits = self._forward(inputs)
        scores = torch.stack(list(logits.values())).sum(0).softmax(dim=-1)
        if data_samples is None:
            data_samples = [SignDataSample() for _ in range(scores.shape[0])]
        for ds, score in zip(data_samples, scores):
            ds.set_pred_score(score.detach())
        return data_samples
