"""GISLR: Google's Isolated Sign Language Recognition (Kaggle 2023, the asl-signs set), landmarks only."""
from typing import List, Sequence

from cclslr.registry import DATASETS
from .autsl import read_csv_rows
from .base import BaseISLRDataset
from .wlasl import load_json

GISLR_SPLITS = ('train', 'val', 'all')
GISLR_COLUMNS = ('path', 'participant_id', 'sequence_id', 'sign')
# No official split exists (the Kaggle test set is hidden). The default holds out the four highest of
# the 21 participant ids (about a fifth of the signers): deterministic, and a signer is never in both.
GISLR_VAL_PARTICIPANTS = (53618, 55372, 61333, 62590)


@DATASETS.register_module()
class GISLRDataset(BaseISLRDataset):
    """GISLR from its ``train.csv`` (header ``path,participant_id,sequence_id,sign``; 94,477 rows over
    21 participants in the full file) and ``sign_to_prediction_index_map.json`` (250 signs -> label).

    There is no video: each sample has ``video_path=''`` and ``pose_path = data_prefix['pose']/<path>``
    (a ``.parquet`` landmark file: frame, row_id, type, landmark_index, x, y, z; read by ``LoadPose``);
    use the pose-only pipelines. ``signer_id = participant_id``, ``sample_id = sequence_id``; the clip is
    the whole file.

    Args:
        ann_file: the ``train.csv`` file.
        sign_map_file: ``sign_to_prediction_index_map.json`` (``metainfo['classes']`` in label order).
        split: 'train' (participants not in ``val_participants``), 'val' (those) or 'all'.
        val_participants: the held-out participant ids (default ``GISLR_VAL_PARTICIPANTS``).
        kwargs: see :class:`BaseISLRDataset`; ``data_prefix`` takes only ``pose``.
    """

    def __init__(self, ann_file: str, sign_map_file: str, split: str = 'train',
                 val_participants: Sequence[int] = GISLR_VAL_PARTICIPANTS, **kwargs):
        if split not in GISLR_SPLITS:
            raise ValueError(f'GISLRDataset: split must be one of {GISLR_SPLITS}, got {split!r}')
        prefix = kwargs.get('data_prefix') or {}
        if 'video' in prefix or 'pose' not in prefix:
            raise ValueError('GISLRDataset: GISLR has no video; set data_prefix=dict(pose=<folder of '
                             f'the csv paths>) only, got data_prefix={prefix!r}')
        if not all(isinstance(p, int) and not isinstance(p, bool) for p in val_participants):
            raise TypeError(f'GISLRDataset: val_participants must be integer ids, got {val_participants!r}')
        self.sign_map_file, self.split = sign_map_file, split
        self.val_participants = frozenset(val_participants)
        super().__init__(ann_file=ann_file, **kwargs)

    def _read_sign_map(self) -> dict:
        signs = load_json(self.sign_map_file)
        if not isinstance(signs, dict) or not all(type(v) is int for v in signs.values()) \
                or sorted(signs.values()) != list(range(len(signs))):
            raise ValueError(f'{self.sign_map_file}: expected {{sign: index}} with indices 0..N-1')
        self._metainfo['classes'] = tuple(sorted(signs, key=signs.get))
        return signs

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        for info in data_list:  # not the data_root folder that MMEngine joins to the base's '' prefix
            info['video_path'] = ''
        return data_list

    def load_annotations(self) -> List[dict]:
        signs = self._read_sign_map()
        rows = read_csv_rows(self.ann_file)
        if not rows or tuple(v.strip() for v in rows[0][1]) != GISLR_COLUMNS:
            raise ValueError(f'{self.ann_file}: expected the header "{",".join(GISLR_COLUMNS)}" on line 1')
        samples = []
        for lineno, row in rows[1:]:
            row = [v.strip() for v in row]
            if len(row) != 4 or not row[0] or not row[1].isdigit() or not row[2].isdigit():
                raise ValueError(f'{self.ann_file}:{lineno}: expected "<path>,<participant id>,<sequence id>,'
                                 f'<sign>", got {",".join(row)!r}')
            path, participant, sequence, sign = row
            if sign not in signs:
                raise ValueError(f'{self.ann_file}:{lineno}: sign {sign!r} is not in {self.sign_map_file}')
            held_out = int(participant) in self.val_participants
            if self.split != 'all' and held_out != (self.split == 'val'):
                continue
            samples.append(dict(video='', pose=path, label=signs[sign], signer_id=int(participant),
                                sample_id=sequence))
        if not samples:  # MMEngine cannot build an empty dataset and says so without naming the file
            raise ValueError(f'{self.ann_file}: no row of split {self.split!r} (val participants '
                             f'{sorted(self.val_participants)})')
        return samples
