"""Generic list-file dataset for a user's own clips: one ``<video> <label>`` line per clip."""
import os.path as osp
from typing import List, Optional, Tuple

from cclslr.registry import DATASETS
from .base import BaseISLRDataset


@DATASETS.register_module()
class SignListDataset(BaseISLRDataset):
    """Clips listed in a text file, one per line: ``<video> [<label>]``, paths relative to
    ``data_prefix['video']``; blank lines and lines starting with ``#`` are ignored.

    A line with only a path takes its label from the first folder of the path when ``label_from_dir``
    (the ``<class>/<video>`` test lists of NMFs-CSL), else -1. ``sample_id`` is the video path without
    extension (it must be unique). Extra columns after the label are ignored.

    Args:
        video_ext: appended to names without an extension (``''`` to keep names as they are).
        label_from_dir: read the label of path-only lines from their first folder name (an integer).
        classes: optional class names (metainfo ``classes``).
    """

    def __init__(self, ann_file: str, video_ext: str = '.mp4', label_from_dir: bool = False,
                 classes: Optional[List[str]] = None, **kwargs):
        self.video_ext, self.label_from_dir = video_ext, label_from_dir
        metainfo = kwargs.pop('metainfo', None) or {}
        if classes is not None:
            metainfo = dict(metainfo, classes=tuple(classes))
        super().__init__(ann_file=ann_file, metainfo=metainfo, **kwargs)

    def parse_line(self, line: str, lineno: int) -> Tuple[str, int]:
        """Return (video path relative to the prefix, label) of one list line."""
        parts = line.split()
        video = parts[0]
        if len(parts) >= 2:
            try:
                return video, int(parts[1])
            except ValueError:
                raise ValueError(f'{self.ann_file}:{lineno}: label {parts[1]!r} is not an integer') from None
        if self.label_from_dir:
            folder = video.replace('\\', '/').split('/')[0]
            if '/' not in video.replace('\\', '/') or not folder.isdigit():
                raise ValueError(f'{self.ann_file}:{lineno}: cannot read a class folder from {video!r}')
            return video, int(folder)
        return video, -1

    def sample_extra(self, video: str) -> dict:
        """Hook for subclasses: extra sample fields derived from the video path (e.g. signer)."""
        return {}

    def load_annotations(self) -> List[dict]:
        samples = []
        try:
            with open(self.ann_file, encoding='utf-8') as f:
                lines = list(f)  # read here, so that a decoding error is reported with the file
        except UnicodeDecodeError as e:  # a binary or corrupt file, or another encoding
            raise ValueError(f'{self.ann_file}: list file is not UTF-8 text ({e})') from e
        for lineno, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            video, label = self.parse_line(line, lineno)
            if self.video_ext and not osp.splitext(video)[1]:
                video += self.video_ext
            samples.append(dict(video=video, label=label, sample_id=osp.splitext(video)[0],
                                **self.sample_extra(video)))
        if not samples:  # MMEngine cannot build an empty dataset and says so without naming the file
            raise ValueError(f'{self.ann_file}: the list file names no clip')
        return samples
