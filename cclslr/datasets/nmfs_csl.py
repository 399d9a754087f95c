"""NMFs-CSL (Hu et al., TOMM 2021): Chinese isolated signs with non-manual features, 1067 classes."""
from cclslr.registry import DATASETS
from .list_dataset import SignListDataset


@DATASETS.register_module()
class NMFsCSLDataset(SignListDataset):
    """NMFs-CSL from its list files (no public copy exists; the layout follows public loaders):

    * train list: ``<video> <label>`` lines (25,608 clips);
    * test list: ``<class>/<video>`` lines, label = the class folder (6,402 clips).

    Both forms are accepted in any file. Paths are relative to ``data_prefix['video']``.
    """

    def __init__(self, ann_file: str, video_ext: str = '.mp4', **kwargs):
        kwargs.setdefault('label_from_dir', True)
        super().__init__(ann_file=ann_file, video_ext=video_ext, **kwargs)
