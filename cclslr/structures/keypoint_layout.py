"""Keypoint layouts: COCO-WholeBody 133 points, the 75-point subset CCL-SLR keeps, its groups, their
skeleton edges and the left/right flip pairs (docs/method.md §2, §4): one home for every index.

The 75 points are ordered group by group, in the order of :data:`GROUPS`. Every pose tensor in cclslr
after the ``SelectKeypoints`` transform uses this order, so the pose encoder can slice groups with
:data:`GROUP_SLICES`.
"""
from collections import OrderedDict

NUM_WHOLEBODY = 133

# 0-based indices into the 133 COCO-WholeBody points (docs/method.md §2; matches Uni-Sign's code).
WHOLEBODY_GROUPS = OrderedDict(
    body=[0, 5, 6, 7, 8, 9, 10],                      # nose, shoulders, elbows, wrists (7)
    face=list(range(23, 40)) + [53],                  # jaw contour + nose (18)
    mouth=list(range(83, 91)),                        # inner lips (8)
    left_hand=list(range(91, 112)),                   # 21
    right_hand=list(range(112, 133)),                 # 21
)
GROUPS = tuple(WHOLEBODY_GROUPS)

# Indices of the 75 kept points into the 133, in group order.
KEPT_75 = [i for g in GROUPS for i in WHOLEBODY_GROUPS[g]]

# Slices of each group inside the 75-point layout.
GROUP_SLICES = OrderedDict()
_start = 0
for _g in GROUPS:
    GROUP_SLICES[_g] = slice(_start, _start + len(WHOLEBODY_GROUPS[_g]))
    _start += len(WHOLEBODY_GROUPS[_g])
NUM_KEPT = _start  # 75

# Root point of each group inside the 75 layout, used by the normalisation of docs/method.md §2:
# hands relative to their wrist (first hand point, COCO-WholeBody 91 / 112), face relative to the nose (53).
GROUP_ROOT_75 = dict(
    left_hand=GROUP_SLICES['left_hand'].start,
    right_hand=GROUP_SLICES['right_hand'].start,
    face=GROUP_SLICES['face'].start + 17,
    mouth=GROUP_SLICES['face'].start + 17,
)

# Skeleton edges of each GCN group, in the group's local indices (both hands share the hand graph).
# COCO-WholeBody hand: 0 wrist, then 4 points per finger (thumb, index, middle, ring, little), base to tip.
HAND_EDGES = [(0, 1 + 4 * f) for f in range(5)] + [(1 + 4 * f + i, 2 + 4 * f + i)
                                                   for f in range(5) for i in range(3)]
# Body (7): 0 nose, 1/2 left/right shoulder, 3/4 elbows, 5/6 wrists.
BODY_EDGES = [(0, 1), (0, 2), (1, 2), (1, 3), (3, 5), (2, 4), (4, 6)]
# Face (18): jaw contour 0..16 as a chain, 17 the nose, tied to the chin (8) so that it is not isolated.
FACE_EDGES = [(i, i + 1) for i in range(16)] + [(17, 8)]
# Mouth (8): the inner lips form a ring.
MOUTH_EDGES = [(i, (i + 1) % 8) for i in range(8)]

GROUP_EDGES = dict(hand=HAND_EDGES, body=BODY_EDGES, face=FACE_EDGES, mouth=MOUTH_EDGES)
# Nodes per GCN group (the two hands share one graph).
GROUP_SIZES = dict(hand=len(WHOLEBODY_GROUPS['left_hand']), body=len(WHOLEBODY_GROUPS['body']),
                   face=len(WHOLEBODY_GROUPS['face']), mouth=len(WHOLEBODY_GROUPS['mouth']))

# Left/right pairs of COCO-WholeBody used by horizontal flips (indices into the 133).
_BODY_PAIRS = [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)]
_FEET_PAIRS = [(17, 20), (18, 21), (19, 22)]
_JAW_PAIRS = [(23 + i, 39 - i) for i in range(8)]
_BROW_PAIRS = [(40 + i, 49 - i) for i in range(5)]
_NOSE_PAIRS = [(54 + i, 58 - i) for i in range(2)]
_EYE_PAIRS = [(59, 68), (60, 67), (61, 66), (62, 65), (63, 70), (64, 69)]
_OUTER_LIP_PAIRS = [(71, 77), (72, 76), (73, 75), (78, 82), (79, 81)]
_INNER_LIP_PAIRS = [(83, 87), (84, 86), (88, 90)]
_HAND_PAIRS = [(91 + i, 112 + i) for i in range(21)]
WHOLEBODY_FLIP_PAIRS = (_BODY_PAIRS + _FEET_PAIRS + _JAW_PAIRS + _BROW_PAIRS + _NOSE_PAIRS
                        + _EYE_PAIRS + _OUTER_LIP_PAIRS + _INNER_LIP_PAIRS + _HAND_PAIRS)


def flip_index(num_points: int = NUM_WHOLEBODY, kept=None):
    """Permutation p such that ``flipped[:, j] = pose[:, p[j]]`` swaps left and right.

    Args:
        num_points: 133 for whole-body arrays.
        kept: if given, the list of 133-indices a reduced layout keeps (e.g. :data:`KEPT_75`); the
            permutation is then expressed in that layout. Every kept point's mirror must also be kept.
    """
    perm = list(range(num_points))
    for a, b in WHOLEBODY_FLIP_PAIRS:
        perm[a], perm[b] = b, a
    if kept is None:
        return perm
    pos = {k: i for i, k in enumerate(kept)}
    missing = [k for k in kept if perm[k] not in pos]
    if missing:
        raise ValueError(f'layout keeps points {missing} without their mirror points')
    return [pos[perm[k]] for k in kept]
