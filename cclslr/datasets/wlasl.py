"""WLASL (Li et al., WACV 2020), read from ``WLASL_v0.3.json``."""
import json
from typing import List, Optional, Sequence, Union

from cclslr.registry import DATASETS
from .base import BaseISLRDataset

WLASL_SUBSETS = (100, 300, 1000, 2000)
SPLITS = ('train', 'val', 'test')


def load_json(path: str):
    """Parse an annotation json; a broken file is a ValueError naming it."""
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except ValueError as e:  # JSONDecodeError and UnicodeDecodeError
        raise ValueError(f'{path}: unreadable annotation json ({type(e).__name__}: {e})') from e


def field(entry, key: str, kind: type):
    """``entry[key]``, which must be of type ``kind`` (bool is no int: a flipped json value is no label).

    Raises KeyError / TypeError; the loaders add the file and the entry to the message."""
    if not isinstance(entry, dict):
        raise TypeError(f'expected an object, got {type(entry).__name__}')
    value = entry[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f'{key} must be {kind.__name__}, got {value!r}')
    return value


def parse_splits(split: Union[str, Sequence[str]], name: str) -> List[str]:
    splits = [split] if isinstance(split, str) else list(split)
    bad = [s for s in splits if s not in SPLITS]
    if bad or not splits:
        raise ValueError(f'{name}: split must be one of {SPLITS} or a list of them, got {split!r}')
    return splits


@DATASETS.register_module()
class WLASLDataset(BaseISLRDataset):
    """WLASL-N: the first N glosses of ``WLASL_v0.3.json``; label = gloss position in the file.

    ``frame_start`` is 1-based in the json and ``frame_end`` is 1-based inclusive or -1 (end of file):
    they become the 0-based [start, end) range of the sample contract. The json is the source of truth
    (the ``nslt_*.json`` files hold ids that are in no version of it). Videos are ``<video_id>.mp4``.

    Args:
        subset: 100, 300, 1000, 2000, or None (all glosses of the file: used by synthetic sets).
        split: 'train', 'val', 'test' or a list of them (e.g. ``['train', 'val']``).
        video_ext: extension of the video files.
        kwargs: see :class:`BaseISLRDataset` (``ann_file``, ``data_prefix``, ``pipeline``, ``on_error``...).
    """

    def __init__(self, ann_file: str, subset: Optional[int] = 2000,
                 split: Union[str, Sequence[str]] = 'train', video_ext: str = '.mp4', **kwargs):
        if subset is not None and subset not in WLASL_SUBSETS:
            raise ValueError(f'WLASLDataset: subset must be one of {WLASL_SUBSETS} or None, got {subset!r}')
        self.subset = subset
        self.splits = parse_splits(split, 'WLASLDataset')
        self.video_ext = video_ext
        super().__init__(ann_file=ann_file, **kwargs)

    def load_annotations(self) -> List[dict]:
        glosses = load_json(self.ann_file)
        if not isinstance(glosses, list):
            raise ValueError(f'{self.ann_file}: WLASL json must be a list of glosses, got '
                             f'{type(glosses).__name__}')
        if self.subset is not None:
            if len(glosses) < self.subset:
                raise ValueError(f'{self.ann_file}: WLASL{self.subset} needs {self.subset} glosses, '
                                 f'the file has {len(glosses)}')
            glosses = glosses[:self.subset]
        classes, samples = [], []
        for label, entry in enumerate(glosses):
            where = f'gloss {label}'
            try:
                classes.append(field(entry, 'gloss', str))
                for j, inst in enumerate(field(entry, 'instances', list)):
                    where = f'gloss {label} instance {j}'
                    if field(inst, 'split', str) not in self.splits:
                        continue
                    start, end = field(inst, 'frame_start', int), field(inst, 'frame_end', int)
                    video_id = field(inst, 'video_id', str)
                    signer = field(inst, 'signer_id', int) if 'signer_id' in inst else -1
                    samples.append(dict(
                        video=f'{video_id}{self.video_ext}', label=label, sample_id=video_id,
                        frame_start=max(start - 1, 0), frame_end=end if end > 0 else -1, signer_id=signer))
            except (KeyError, TypeError) as e:
                raise ValueError(f'{self.ann_file}: {where}: {type(e).__name__}: {e}') from e
        self._metainfo['classes'] = tuple(classes)
        if not samples:  # MMEngine cannot build an empty dataset and says so without naming the file
            raise ValueError(f'{self.ann_file}: no instance of split {self.splits} in the file')
        return samples
