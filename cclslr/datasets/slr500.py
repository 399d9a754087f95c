"""SLR500 / CSL-500 (Huang et al., AAAI 2018): 500 Chinese signs x 50 signers x 5 repetitions."""
import os
import os.path as osp
import re
from typing import List, Optional, Sequence

from cclslr.registry import DATASETS
from .list_dataset import SignListDataset

_SIGNER = re.compile(r'P(\d+)_')
SLR500_SPLITS = dict(train=tuple(range(1, 37)), test=tuple(range(37, 51)))


@DATASETS.register_module()
class SLR500Dataset(SignListDataset):
    """SLR500, split by signer (1-36 train: 90,000 clips; 37-50 test: 35,000 clips).

    Layout: ``<root>/<class:06d>/P<signer>_<...>_color.avi``. The clips are read either from a list file
    (``ann_file``: ``<class>/<file>`` or ``<file> <label>`` lines) or, with ``ann_file=''``, by listing
    the 500 class folders of ``data_prefix['video']`` (names only; no video is opened). The signer is
    parsed from the ``P<signer>_`` file-name prefix.

    Args:
        split: 'train' or 'test' (signer ranges above), or None to keep every listed clip.
        signers: explicit signer ids to keep instead of ``split``.
        video_suffix: file-name ending of the RGB clips when listing folders (the release also holds depth).
    """

    def __init__(self, ann_file: str = '', split: Optional[str] = 'train',
                 signers: Optional[Sequence[int]] = None, video_suffix: str = '_color.avi', **kwargs):
        if signers is None and split is not None and split not in SLR500_SPLITS:
            raise ValueError(f'SLR500Dataset: split must be one of {tuple(SLR500_SPLITS)} or None, '
                             f'got {split!r}')
        self.signers = set(signers) if signers is not None else (
            set(SLR500_SPLITS[split]) if split is not None else None)
        self.video_suffix = video_suffix
        kwargs.setdefault('label_from_dir', True)
        kwargs.setdefault('video_ext', '')
        super().__init__(ann_file=ann_file, **kwargs)

    def sample_extra(self, video: str) -> dict:
        match = _SIGNER.match(osp.basename(video))
        return dict(signer_id=int(match.group(1)) if match else -1)

    def load_annotations(self) -> List[dict]:
        samples = super().load_annotations() if self.ann_file else self._scan_folders()
        if self.signers is not None:
            samples = [s for s in samples if s['signer_id'] in self.signers]
        if not samples:  # MMEngine cannot build an empty dataset and says so without naming the source
            raise ValueError(f'{self.ann_file or self.data_prefix.get("video")}: no clip of signers '
                             f'{sorted(self.signers) if self.signers is not None else "any"}')
        return samples

    def _scan_folders(self) -> List[dict]:
        root = self.data_prefix.get('video') or ''
        if not osp.isdir(root):
            raise FileNotFoundError(f'SLR500Dataset: video folder {root!r} not found (set data_prefix.video '
                                    'or give an ann_file)')
        samples = []
        for folder in sorted(d for d in os.listdir(root) if d.isdigit()):
            for name in sorted(os.listdir(osp.join(root, folder))):
                if name.endswith(self.video_suffix):
                    video = f'{folder}/{name}'
                    samples.append(dict(video=video, label=int(folder), sample_id=osp.splitext(video)[0],
                                        **self.sample_extra(video)))
        return samples
