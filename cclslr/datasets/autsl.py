"""AUTSL (Sincan & Keles, IEEE Access 2020; ChaLearn LAP 2021): Turkish signs, 226 classes, 43 signers."""
import csv
import re
from typing import Dict, List, Optional, Tuple

from cclslr.registry import DATASETS
from .base import BaseISLRDataset

GLOSS_LANGUAGES = ('en', 'tr')
_NAME = re.compile(r'signer(\d+)_sample(\d+)')


def read_csv_rows(path: str) -> List[Tuple[int, List[str]]]:
    """The non-blank rows of a UTF-8 csv file as ``(line number, fields)``; undecodable text is a
    ValueError naming the file (a BOM is dropped: spreadsheet exports add one)."""
    try:
        with open(path, encoding='utf-8-sig', newline='') as f:
            reader = csv.reader(f)
            return [(reader.line_num, row) for row in reader if any(v.strip() for v in row)]
    except (UnicodeDecodeError, csv.Error) as e:
        raise ValueError(f'{path}: not a UTF-8 csv file ({type(e).__name__}: {e})') from e


def read_autsl_classes(path: str, language: str = 'en') -> Tuple[str, ...]:
    """Gloss names of ``SignList_ClassId_TR_EN.csv`` (header ``ClassId,TR,EN``), indexed by class id.

    Args:
        path: the class list.
        language: 'en' (English glosses, e.g. 'sister') or 'tr' (Turkish, e.g. 'abla').

    Returns:
        One name per class id 0..N-1 (the ids must be exactly these, in any order).
    """
    rows = read_csv_rows(path)
    if not rows or [v.strip() for v in rows[0][1]] != ['ClassId', 'TR', 'EN']:
        raise ValueError(f'{path}: expected the header "ClassId,TR,EN" on line 1')
    names: Dict[int, str] = {}
    column = 1 if language == 'tr' else 2
    for lineno, row in rows[1:]:
        if len(row) != 3 or not row[0].strip().isdigit() or not row[column].strip():
            raise ValueError(f'{path}:{lineno}: expected "<class id>,<TR gloss>,<EN gloss>", got {row!r}')
        class_id = int(row[0])
        if class_id in names:
            raise ValueError(f'{path}:{lineno}: class id {class_id} is listed twice')
        names[class_id] = row[column].strip()
    if not names:
        raise ValueError(f'{path}: the class list names no class')
    if sorted(names) != list(range(len(names))):
        missing = sorted(set(range(max(names) + 1)) - set(names))[:5]
        raise ValueError(f'{path}: class ids must be 0..{len(names) - 1}; missing e.g. {missing}')
    return tuple(names[i] for i in range(len(names)))


@DATASETS.register_module()
class AUTSLDataset(BaseISLRDataset):
    """AUTSL from its label files: ``train_labels.csv`` (28,142 clips, 31 signers) and ``val_gt.csv``
    (4,418 clips, 6 other signers), no header, one ``signer<S>_sample<N>,<class id>`` line per clip.

    Each clip is a whole file (frame range [0, -1)): the RGB video ``<name><video_suffix>`` (the release
    also holds ``<name>_depth.mp4``), the pose file ``<name><pose_ext>``; ``signer_id = S`` (so a
    signer-independent split can be checked), ``sample_id = <name>``.

    Args:
        ann_file: a label file as above.
        class_file: ``SignList_ClassId_TR_EN.csv``: gives ``metainfo['classes']`` and bounds the labels.
            ``None``: no class names, labels are not checked.
        gloss_language: which name of the class file is the gloss, 'en' (default) or 'tr'.
        video_suffix: file-name ending of the RGB clips.
        kwargs: see :class:`BaseISLRDataset` (``data_prefix``, ``pose_ext``, ``pipeline``, ...).
    """

    def __init__(self, ann_file: str, class_file: Optional[str] = None, gloss_language: str = 'en',
                 video_suffix: str = '_color.mp4', **kwargs):
        if gloss_language not in GLOSS_LANGUAGES:
            raise ValueError(f'AUTSLDataset: gloss_language must be one of {GLOSS_LANGUAGES}, '
                             f'got {gloss_language!r}')
        self.class_file, self.gloss_language, self.video_suffix = class_file, gloss_language, video_suffix
        super().__init__(ann_file=ann_file, **kwargs)

    def load_annotations(self) -> List[dict]:
        classes = None
        if self.class_file:
            classes = read_autsl_classes(self.class_file, self.gloss_language)
            self._metainfo['classes'] = classes
        samples = []
        for lineno, row in read_csv_rows(self.ann_file):
            match = _NAME.fullmatch(row[0].strip()) if len(row) == 2 else None
            label = row[1].strip() if match else ''
            if not label.isdigit():
                raise ValueError(f'{self.ann_file}:{lineno}: expected "signer<S>_sample<N>,<class id>", '
                                 f'got {",".join(row)!r}')
            if classes is not None and int(label) >= len(classes):
                raise ValueError(f'{self.ann_file}:{lineno}: class id {label} is not in {self.class_file} '
                                 f'({len(classes)} classes)')
            name = match.group(0)
            samples.append(dict(video=name + self.video_suffix, pose=name + self.pose_ext, label=int(label),
                                signer_id=int(match.group(1)), sample_id=name))
        if not samples:  # MMEngine cannot build an empty dataset and says so without naming the file
            raise ValueError(f'{self.ann_file}: the label file names no clip')
        return samples
