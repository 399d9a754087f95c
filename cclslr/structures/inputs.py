"""The model-input contract, from the packer to the models (one home for its names).

Per sample, written by ``PackSignInputs`` (every key always a list over the clip's V views: V = 2 for
pre-training's query and key views, 1 for fine-tuning and testing)::

    inputs = {'rgb': [uint8 (3, T, H, W)] * V,       # frames, channels first
              'pose': [float32 (T, J, 3)] * V}        # (x, y, score) of the J kept keypoints

``PackSignInputsWithHands`` adds the score-aware hand inputs, hands in :data:`HAND_SIDES` order::

              'hand_crops': [uint8 (2, K, 3, S, S)] * V, 'hand_kpts': [float32 (2, K, 21, 2)] * V,
              'hand_frame_inds': [int64 (2, K)] * V, 'hand_valid': [bool (2, K)] * V

Per batch, made by ``SignDataPreprocessor`` (``PGFDataPreprocessor`` for the hand keys), the models'
``inputs`` (again always a list over views)::

    {'rgb': [float (N, 3, T, H, W)] * V,              # (x - mean) / std
     'pose': [float (N, T_max, J, 3)] * V,            # shorter sequences zero-padded at the end
     'pose_mask': [bool (N, T_max)] * V}              # True = a real frame; made here, where padding is

The mask is made once, by the data preprocessor, because that is where sequences of different lengths
meet; nothing upstream writes one.
"""
from typing import Sequence, Tuple

MODALITIES = ('rgb', 'pose')
HAND_SIDES = ('left', 'right')
HAND_KEYS = ('hand_crops', 'hand_kpts', 'hand_frame_inds', 'hand_valid')


def check_modalities(modalities: Sequence[str], owner: str) -> Tuple[str, ...]:
    """``modalities`` as a tuple in :data:`MODALITIES` order; ValueError naming ``owner`` if it is empty
    or holds an unknown name."""
    bad = [m for m in modalities if m not in MODALITIES]
    if bad or not modalities:
        raise ValueError(f'{owner}: modalities must be a non-empty subset of {MODALITIES}, got '
                         f'{tuple(modalities)}')
    return tuple(m for m in MODALITIES if m in modalities)
