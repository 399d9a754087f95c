"""Fine-tuning with Uni-Sign's prior-guided fusion on top of the CCL-SLR pose encoder (docs/method.md §10)."""
from typing import Dict, Optional

import torch
import torch.nn as nn

from cclslr.registry import MODELS
from cclslr.structures import HAND_KEYS, HAND_SIDES
from .sign_recognizer import SignRecognizer


@MODELS.register_module()
class PGFRecognizer(SignRecognizer):
    """:class:`SignRecognizer` whose pose encoder gets RGB hand evidence through PGF.

    The pose encoder (``PoseEncoder``) calls PGF on the hand-node features of both hands, after the
    shared hand GCN and before node pooling (its ``hand_fusion`` seam). The fused features only differ at
    the frames chosen by score-aware sampling. Everything else — heads, losses, prediction, ``init_from``
    a CCL-SLR pre-training checkpoint — is :class:`SignRecognizer`'s. An RGB branch may still be added
    (``rgb_backbone``), then its logits are summed with the pose logits as in CCL-SLR's late fusion.

    Because PGF's gate starts at zero, a model whose pose encoder and head carry a pose-only
    recognizer's weights predicts exactly what that recognizer predicts, before any PGF training.

    Args:
        pgf: config of :class:`PriorGuidedFusion`; ``embed_dims`` is set to the pose encoder's
            ``group_channels``.
        share_hands: one PGF module for both hands (default, as the pose encoder shares one hand GCN),
            or one per hand (``pgf.left`` / ``pgf.right``).
        Other arguments: see :class:`SignRecognizer`; ``pose_backbone`` is required.

    Inputs: those of :class:`SignRecognizer` plus, for the first view (the hand keys of
    :mod:`cclslr.structures.inputs`),
        ``hand_crops`` (N, 2, K, 3, S, S) float, normalised; ``hand_kpts`` (N, 2, K, 21, 2) in [0, 1]
        crop coordinates; ``hand_frame_inds`` (N, 2, K) long, positions among the view's T frames;
        ``hand_valid`` (N, 2, K) bool. Axis 1 is (left, right). Without these keys (or with no valid
        crop) the model is the pose-only recognizer.
    """

    def __init__(self, num_classes: int, pose_backbone: dict, pgf: dict = dict(type='PriorGuidedFusion'),
                 share_hands: bool = True, **kwargs):
        super().__init__(num_classes, pose_backbone=pose_backbone, **kwargs)
        width = getattr(self.backbones['pose'], 'group_channels', None)
        if width is None:
            raise ValueError(f'PGFRecognizer: the pose backbone {type(self.backbones["pose"]).__name__} has '
                             'no group_channels / hand_fusion seam (use PoseEncoder)')
        pgf = dict(pgf, embed_dims=width)
        self.share_hands = share_hands
        if share_hands:
            self.pgf = MODELS.build(pgf)
        else:
            self.pgf = nn.ModuleDict({side: MODELS.build(pgf) for side in HAND_SIDES})

    def _pgf_for(self, side: str):
        return self.pgf if self.share_hands else self.pgf[side]

    def _hand_inputs(self, inputs: dict) -> Optional[Dict[str, torch.Tensor]]:
        present = [k for k in HAND_KEYS if k in inputs]
        if not present:
            return None
        if len(present) != len(HAND_KEYS):
            raise KeyError(f'PGFRecognizer: inputs have {present} but lack '
                           f'{sorted(set(HAND_KEYS) - set(present))}; use PackSignInputsWithHands')
        hands = {k: inputs[k][0] for k in HAND_KEYS}
        if hands['hand_valid'].dim() != 3 or hands['hand_valid'].shape[1] != len(HAND_SIDES):
            raise ValueError(f"PGFRecognizer: hand_valid must be (N, 2, K), got "
                             f"{tuple(hands['hand_valid'].shape)}")
        return hands

    def _encode_crops(self, hands: Dict[str, torch.Tensor]) -> Dict[str, Optional[torch.Tensor]]:
        """Run the crop CNN on the valid crops only → per side (N, K, C, h, w) maps (zeros at padding)."""
        crops, valid = hands['hand_crops'], hands['hand_valid'].bool()
        if self.share_hands:  # one CNN batch for both hands
            rows, sides, cols = valid.nonzero(as_tuple=True)
            if rows.numel() == 0:
                return {side: None for side in HAND_SIDES}
            maps = self.pgf.encode_crops(crops[rows, sides, cols])
            full = maps.new_zeros(*valid.shape, *maps.shape[1:])
            full[rows, sides, cols] = maps
            return {side: full[:, i] for i, side in enumerate(HAND_SIDES)}
        return {side: None for side in HAND_SIDES}  # each PGF encodes its own crops

    def encode(self, modality: str, inputs: dict) -> torch.Tensor:
        """The pose encoder with PGF at its ``hand_fusion`` seam when hand inputs are given; RGB, or pose
        without hand inputs, as in :class:`SignRecognizer`."""
        hands = self._hand_inputs(inputs) if modality == 'pose' else None
        if hands is None:
            return super().encode(modality, inputs)
        maps = self._encode_crops(hands)

        def hand_fusion(nodes: torch.Tensor, side: str) -> torch.Tensor:
            i = HAND_SIDES.index(side)
            return self._pgf_for(side)(
                nodes, crops=hands['hand_crops'][:, i], kpts=hands['hand_kpts'][:, i],
                frame_inds=hands['hand_frame_inds'][:, i], valid=hands['hand_valid'][:, i],
                rgb_maps=maps[side])

        return self.encode_view(self.backbones['pose'], 'pose', inputs, hand_fusion=hand_fusion)
