"""Kaggle GISLR ("Isolated Sign Language Recognition", asl-signs) landmark files, format name
``'gislr_parquet'``, extension ``.parquet``.

One row per landmark: columns ``frame``, ``row_id`` (``"<frame>-<type>-<index>"``), ``type``,
``landmark_index``, ``x``, ``y``, ``z``; 543 rows per frame in the order face (468), left_hand (21), pose
(33), right_hand (21), landmark_index 0..n-1 within each type; x, y in 0-1 of the (unknown) frame size;
NaN = not detected. Read with ``pyarrow.parquet.read_table`` and converted with the MediaPipe mapping of
:mod:`.mediapipe` (the zero-as-missing rule included).

Row ``t`` of the result is the ``t``-th frame present in the file, in file order: GISLR frame numbers
start anywhere (the clip's place in the recording). Frames must be strictly increasing; a frame number
missing in the middle (a gap) is kept out (the frames stay in order, nothing is interpolated) and warned
about, naming the file.
"""
import warnings

import numpy as np

from ..pose_files import PoseData, register_pose_reader
from .mediapipe import LAYOUTS, PART_SIZES, landmarks_to_pose

COLUMNS = ('frame', 'type', 'landmark_index', 'x', 'y', 'z')
ROWS_PER_FRAME = sum(PART_SIZES.values())  # 543
_TYPES = LAYOUTS['kaggle_543']
# The (type, landmark_index) every row of a frame must have, in order.
_EXPECTED_TYPE = np.concatenate([np.full(PART_SIZES[t], i) for i, t in enumerate(_TYPES)])
_EXPECTED_INDEX = np.concatenate([np.arange(PART_SIZES[t]) for t in _TYPES])


@register_pose_reader('gislr_parquet', extensions=('.parquet',))
def read_gislr_parquet(path: str, zero_as_missing: bool = True) -> PoseData:
    """Read a GISLR landmark parquet file (see the module docstring) -> :class:`PoseData` (T, 133),
    'normalized', no image size."""
    import pyarrow.parquet as pq  # imported here: only parquet files need it
    table = pq.read_table(path)
    absent = [c for c in COLUMNS if c not in table.column_names]
    if absent:
        raise ValueError(f'{path}: not a GISLR landmark file: no column(s) {absent} (has '
                         f'{table.column_names})')
    n = table.num_rows
    if n % ROWS_PER_FRAME:
        raise ValueError(f'{path}: {n} rows is not a whole number of frames of {ROWS_PER_FRAME} landmarks')
    num_frames = n // ROWS_PER_FRAME

    def numbers(name, kind):
        if kind is not float and table.column(name).null_count:  # nulls would become arbitrary integers
            raise ValueError(f'{path}: column {name!r} has {table.column(name).null_count} empty values')
        try:
            col = table.column(name).to_numpy(zero_copy_only=False)
            return col.astype(kind) if kind is not float else col.astype(np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f'{path}: column {name!r} is not numeric ({table.schema.field(name).type}: {e})')

    frame = numbers('frame', np.int64).reshape(num_frames, ROWS_PER_FRAME)
    index = numbers('landmark_index', np.int64).reshape(num_frames, ROWS_PER_FRAME)
    types = np.asarray(table.column('type').to_pylist(), dtype=object).reshape(num_frames, ROWS_PER_FRAME)
    code = {t: i for i, t in enumerate(_TYPES)}
    type_idx = np.vectorize(lambda t: code.get(t, -1), otypes=[np.int64])(types) if n else types
    for t in range(num_frames):
        if (frame[t] != frame[t, 0]).any():
            raise ValueError(f'{path}: frame {t} (rows {t * ROWS_PER_FRAME}-{(t + 1) * ROWS_PER_FRAME - 1}) '
                             f'mixes frame numbers {sorted(set(frame[t].tolist()))[:4]}: rows must come '
                             f'{ROWS_PER_FRAME} per frame')
        bad = np.flatnonzero((type_idx[t] != _EXPECTED_TYPE) | (index[t] != _EXPECTED_INDEX))
        if len(bad):
            r = bad[0]
            raise ValueError(f'{path}: frame {frame[t, 0]}, row {t * ROWS_PER_FRAME + r}: got '
                             f'({types[t, r]}, {index[t, r]}), expected ({_TYPES[_EXPECTED_TYPE[r]]}, '
                             f'{_EXPECTED_INDEX[r]}) (order face, left_hand, pose, right_hand; '
                             'landmark_index 0..n-1)')
    numbers_of_frames = frame[:, 0]
    step = np.diff(numbers_of_frames)
    if (step <= 0).any():
        t = int(np.flatnonzero(step <= 0)[0])
        raise ValueError(f'{path}: frames not in increasing order (frame {numbers_of_frames[t + 1]} after '
                         f'{numbers_of_frames[t]})')
    if (step > 1).any():
        warnings.warn(f'{path}: {int((step - 1).sum())} frame numbers missing between {numbers_of_frames[0]} '
                      f'and {numbers_of_frames[-1]}; the {num_frames} present frames are kept in order')
    xyz = np.stack([numbers(c, float) for c in 'xyz'], -1).reshape(num_frames, ROWS_PER_FRAME, 3)
    parts, start = {}, 0
    for t in _TYPES:
        parts[t] = xyz[:, start:start + PART_SIZES[t]]
        start += PART_SIZES[t]
    return landmarks_to_pose(path, parts, zero_as_missing)
