"""Fine-tuning recognizer: pre-trained encoders + one linear classifier per modality (method.md §7)."""
import copy
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel

from cclslr.registry import MODELS
from cclslr.structures import SignDataSample
from cclslr.utils import allow_mmengine_checkpoint_globals, load_plain_state_dict

# Our module name -> the key prefix of the same encoder in a CCLSLR pre-training checkpoint (its query
# encoders are `rgb_encoder` / `pose_encoder`; the EMA key encoders have other names and are not loaded).
DEFAULT_PREFIX_MAP = {'rgb_backbone': 'rgb_encoder.', 'pose_backbone': 'pose_encoder.'}
# branch -> (backbone attribute, head attribute)
_BRANCHES = {'rgb': ('rgb_backbone', 'rgb_head'), 'pose': ('pose_backbone', 'pose_head')}


@MODELS.register_module()
class SignRecognizer(BaseModel):
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
            ``prefix_map`` maps our module name (``'rgb_backbone'``, ``'pose_backbone'``) to the key
            prefix of that encoder in the checkpoint (default :data:`DEFAULT_PREFIX_MAP`). Every tensor of
            the encoder must be found with the same shape, and nothing under the prefix may be left over;
            otherwise a RuntimeError names the file and the keys. The loaded encoders are marked
            initialised, so the Runner's ``init_weights()`` does not overwrite them. A plain path string
            is short for ``dict(checkpoint=PATH)`` (handy on the command line:
            ``--cfg-options model.init_from=work_dirs/pretrain/epoch_140.pth``).
        data_preprocessor: e.g. ``dict(type='SignDataPreprocessor', ...)``.

    Inputs (``forward``): ``inputs = {'rgb': [Tensor (N, 3, T, H, W)], 'pose': [Tensor (N, T, J, 3)],
    'pose_mask': [Tensor (N, T) bool]}`` (a list of views — the first one is used — or a tensor);
    ``data_samples``: list of :class:`SignDataSample` with ``gt_label`` (for ``mode='loss'``).
    """

    def __init__(self, num_classes: int, rgb_backbone: Optional[dict] = None,
                 pose_backbone: Optional[dict] = None, rgb_head: Optional[dict] = None,
                 pose_head: Optional[dict] = None, init_from: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if rgb_backbone is None and pose_backbone is None:
            raise ValueError('SignRecognizer needs at least one of rgb_backbone / pose_backbone')
        self.num_classes = num_classes
        self.branches = []
        for branch, backbone_cfg, head_cfg in (('rgb', rgb_backbone, rgb_head),
                                               ('pose', pose_backbone, pose_head)):
            backbone_name, head_name = _BRANCHES[branch]
            if backbone_cfg is None:
                setattr(self, backbone_name, None)
                setattr(self, head_name, None)
                continue
            backbone = MODELS.build(backbone_cfg)
            head = dict(type='ClsHead', **copy.deepcopy(head_cfg or {}))
            head.update(in_channels=backbone.out_channels, num_classes=num_classes)
            setattr(self, backbone_name, backbone)
            setattr(self, head_name, MODELS.build(head))
            self.branches.append(branch)
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
            ours = ours.rstrip('.')
            if ours not in ('rgb_backbone', 'pose_backbone'):
                raise ValueError(f'init_from.prefix_map: unknown module {ours!r}; '
                                 "expected 'rgb_backbone' or 'pose_backbone'")
            module = getattr(self, ours)
            if module is None:
                continue  # e.g. pose-only fine-tuning from a two-modality checkpoint
            theirs = theirs if theirs.endswith('.') or not theirs else theirs + '.'
            sub = {k[len(theirs):]: v for k, v in state.items() if k.startswith(theirs)}
            if not sub:
                prefixes = sorted({k.split('.')[0] + '.' for k in state})
                raise RuntimeError(f'{checkpoint}: no weights under prefix {theirs!r} for {ours}; '
                                   f'the checkpoint has prefixes {prefixes[:20]}')
            expected = module.state_dict()
            missing = sorted(set(expected) - set(sub))
            unexpected = sorted(set(sub) - set(expected))
            mismatched = [f'{k}: checkpoint {tuple(sub[k].shape)} vs model {tuple(v.shape)}'
                          for k, v in expected.items() if k in sub and sub[k].shape != v.shape]
            if missing or unexpected or mismatched:
                raise RuntimeError(
                    f'{checkpoint}: weights under {theirs!r} do not match {ours} '
                    f'({type(module).__name__}). {len(missing)} missing keys: {missing[:10]}; '
                    f'{len(unexpected)} unexpected keys: {unexpected[:10]}; {len(mismatched)} shape '
                    f'mismatches: {mismatched[:10]}')
            module.load_state_dict(sub, strict=True)
            # BaseModule.init_weights skips children that are already initialised.
            module._is_init = True

    @staticmethod
    def _first_view(inputs: dict, key: str) -> torch.Tensor:
        if key not in inputs:
            raise KeyError(f'SignRecognizer: inputs lack {key!r} (have {sorted(inputs)}); check the '
                           "pipeline's PackSignInputs modalities")
        value = inputs[key]
        return value[0] if isinstance(value, (list, tuple)) else value

    def extract_feat(self, inputs: dict) -> Dict[str, torch.Tensor]:
        """Encoder features per branch: ``{'rgb': (N, D_rgb), 'pose': (N, D_pose)}``."""
        feats = {}
        if self.rgb_backbone is not None:
            feats['rgb'] = self.rgb_backbone(self._first_view(inputs, 'rgb'))
        if self.pose_backbone is not None:
            mask = inputs.get('pose_mask')
            mask = None if mask is None else self._first_view(inputs, 'pose_mask')
            feats['pose'] = self.pose_backbone(self._first_view(inputs, 'pose'), mask)
        return feats

    def _logits(self, inputs: dict) -> Dict[str, torch.Tensor]:
        feats = self.extract_feat(inputs)
        return {b: getattr(self, _BRANCHES[b][1])(feats[b]) for b in self.branches}

    def forward(self, inputs: dict, data_samples: Optional[List[SignDataSample]] = None,
                mode: str = 'tensor') -> Union[dict, list]:
        """``'loss'`` → dict of losses; ``'predict'`` → data samples with ``pred_score``/``pred_label``;
        ``'tensor'`` → ``{branch: logits (N, num_classes)}``."""
        if mode == 'tensor':
            return self._logits(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f"SignRecognizer: invalid mode {mode!r}; expected 'loss', 'predict' or 'tensor'")

    def loss(self, inputs: dict, data_samples: List[SignDataSample]) -> Dict[str, torch.Tensor]:
        if not data_samples or any('gt_label' not in ds for ds in data_samples):
            raise ValueError('SignRecognizer.loss needs data samples with gt_label')
        logits = self._logits(inputs)
        device = next(iter(logits.values())).device
        labels = torch.cat([ds.gt_label.reshape(-1)[:1] for ds in data_samples]).to(device)
        losses = {}
        for branch, branch_logits in logits.items():
            losses[f'loss_{branch}'] = getattr(self, _BRANCHES[branch][1]).loss(branch_logits, labels)
            with torch.no_grad():  # logged only: mmengine sums just the keys containing 'loss'
                losses[f'top1_{branch}'] = (branch_logits.argmax(1) == labels).float().mean()
        return losses

    def predict(self, inputs: dict,
                data_samples: Optional[List[SignDataSample]] = None) -> List[SignDataSample]:
        logits = self._logits(inputs)
        scores = torch.stack(list(logits.values())).sum(0).softmax(dim=-1)
        if data_samples is None:
            data_samples = [SignDataSample() for _ in range(scores.shape[0])]
        for ds, score in zip(data_samples, scores):
            ds.set_pred_score(score.detach())
        return data_samples
