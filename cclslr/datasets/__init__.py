from . import transforms  # noqa: F401  (registers the pipeline transforms)
from .base import BaseISLRDataset
from .list_dataset import SignListDataset
from .msasl import MSASLDataset
from .nmfs_csl import NMFsCSLDataset
from .slr500 import SLR500Dataset
from .unlabelled_concat import UnlabelledConcatDataset
from .wlasl import WLASLDataset

__all__ = ['BaseISLRDataset', 'SignListDataset', 'MSASLDataset', 'NMFsCSLDataset', 'SLR500Dataset',
           'UnlabelledConcatDataset', 'WLASLDataset']
