"""INCLUDE and INCLUDE-50 (Sridhar et al., ACM MM 2020): Indian signs, 263 / 50 glosses, 4,292 clips."""
import os.path as osp
from typing import Dict, List, Sequence, Set

from cclslr.registry import DATASETS
from .base import BaseISLRDataset
from .wlasl import load_json


def gloss_key(folder: str) -> str:
    """The label-map key of a ``<n>. <Gloss>`` folder: its letters, lower-cased.

    The publisher's label maps are written this way: '63. Winter' -> 'winter', '16. train ticket' ->
    'trainticket', '42. T-Shirt' -> 'tshirt', '46. you (plural)' -> 'youplural'; the two folders without
    a number ('Second (Number)', 'Ex. Monsoon') follow the same rule ('secondnumber', 'exmonsoon').
    """
    return ''.join(c for c in folder if c.isalpha()).lower()


def read_path_list(path: str) -> List[tuple]:
    """``(line number, relative path)`` of the non-blank lines of a UTF-8 list file. Only the line end
    is stripped: the paths hold spaces and dots."""
    try:
        with open(path, encoding='utf-8') as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError as e:
        raise ValueError(f'{path}: list file is not UTF-8 text ({e})') from e
    return [(i, line) for i, line in enumerate(lines, 1) if line.strip()]


@DATASETS.register_module()
class INCLUDEDataset(BaseISLRDataset):
    """INCLUDE / INCLUDE-50 from the publisher's path lists and label maps.

    A list file (``include_{train,val,test}.txt``: 3,127 / 348 / 817 lines; ``include50_*``: 689 / 77 /
    192) holds one video path per line relative to ``data_prefix['video']``, e.g.
    ``Seasons/63. Winter/MVI_4997.MOV``: category, ``<n>. <Gloss>`` folder, file (27 lines of INCLUDE
    and 15 of INCLUDE-50 have one more folder, ``Extra/``, before the file). The gloss is the second
    folder, matched to the label map (``label_map_include.json``, 263 glosses, or
    ``label_map_include50.json``, 50; ``{gloss: id}``) by :func:`gloss_key`; a gloss not in the map is
    an error naming the line. ``sample_id`` = the path without its extension; no signer is given
    (``signer_id = -1``); the clip is the whole file; pose files are the video paths with ``pose_ext``.

    Args:
        ann_file: a list file as above.
        label_map_file: the label map (``metainfo['classes']`` = its glosses in id order).
        exclude_lists: list files whose paths are left out (the INCLUDE-50 lists share clips with the
            INCLUDE ones: 145 of INCLUDE-50's 192 test clips are in INCLUDE's train list).
        kwargs: see :class:`BaseISLRDataset` (``data_prefix``, ``pose_ext``, ``pipeline``, ...).
    """

    def __init__(self, ann_file: str, label_map_file: str, exclude_lists: Sequence[str] = (), **kwargs):
        self.label_map_file, self.exclude_lists = label_map_file, list(exclude_lists)
        super().__init__(ann_file=ann_file, **kwargs)

    def _read_label_map(self) -> Dict[str, int]:
        labels = load_json(self.label_map_file)
        if not isinstance(labels, dict) or not all(type(v) is int for v in labels.values()) \
                or sorted(labels.values()) != list(range(len(labels))):
            raise ValueError(f'{self.label_map_file}: expected {{gloss: id}} with ids 0..N-1')
        self._metainfo['classes'] = tuple(sorted(labels, key=labels.get))
        return labels

    def load_annotations(self) -> List[dict]:
        labels = self._read_label_map()
        excluded: Set[str] = set()
        for path in self.exclude_lists:
            if not osp.exists(path):
                raise FileNotFoundError(f'{type(self).__name__}: exclude list {path} not found')
            excluded.update(line for _, line in read_path_list(path))
        samples = []
        for lineno, video in read_path_list(self.ann_file):
            parts = video.split('/')
            if len(parts) < 3 or not all(parts):
                raise ValueError(f'{self.ann_file}:{lineno}: expected "<category>/<n>. <Gloss>/<file>", '
                                 f'got {video!r}')
            key = gloss_key(parts[1])
            if key not in labels:
                raise ValueError(f'{self.ann_file}:{lineno}: gloss folder {parts[1]!r} (key {key!r}) is not '
                                 f'in {self.label_map_file}')
            if video not in excluded:
                samples.append(dict(video=video, label=labels[key], sample_id=osp.splitext(video)[0]))
        if not samples:  # MMEngine cannot build an empty dataset and says so without naming the file
            raise ValueError(f'{self.ann_file}: the list file names no clip (after exclusions)')
        return samples
