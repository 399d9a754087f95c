from . import transforms  # noqa: F401  (registers the pipeline transforms)
from .autsl import AUTSLDataset
from .base import BaseISLRDataset
from .gislr import GISLRDataset
from .include import INCLUDEDataset
from .list_dataset import SignListDataset
from .msasl import MSASLDataset
from .nmfs_csl import NMFsCSLDataset
from .slr500 import SLR500Dataset
from .unlabelled_concat import UnlabelledConcatDataset
from .wlasl import WLASLDataset

__all__ = ['AUTSLDataset', 'BaseISLRDataset', 'GISLRDataset', 'INCLUDEDataset', 'SignListDataset',
           'MSASLDataset', 'NMFsCSLDataset', 'SLR500Dataset', 'UnlabelledConcatDataset', 'WLASLDataset']
