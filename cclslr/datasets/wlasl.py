"""WLASL (Li et al., WACV 2020), read from ``WLASL_v0.3.json``."""
import json
from typing import List, Optional, Sequence, Union

from cclslr.registry import DATASETS
from .base import BaseISLRDataset

WLASL_SUBSETS = (100, 300, 1000, 2000)
SPLITS = ('train', 'val', 'test')


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
        with open(self.ann_file) as f:
            glosses = json.load(f)
        if self.subset is not None:
            if len(glosses) < self.subset:
                raise ValueError(f'{self.ann_file}: WLASL{self.subset} needs {self.subset} glosses, '
                                 f'the file has {len(glosses)}')
            glosses = glosses[:self.subset]
        self._metainfo['classes'] = tuple(g['gloss'] for g in glosses)
        samples = []
        for label, entry in enumerate(glosses):
            for inst in entry['instances']:
                if inst['split'] not in self.splits:
                    continue
                start, end = int(inst['frame_start']), int(inst['frame_end'])
                samples.append(dict(
                    video=f'{inst["video_id"]}{self.video_ext}', label=label, sample_id=inst['video_id'],
                    frame_start=max(start - 1, 0), frame_end=end if end > 0 else -1,
                    signer_id=int(inst.get('signer_id', -1))))
        return samples
