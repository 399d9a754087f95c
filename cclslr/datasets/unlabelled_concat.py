"""Pre-training over several datasets at once (the paper uses the four training sets, ~146k clips)."""
import copy
from typing import Callable, List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset, ConcatDataset
from mmengine.logging import MMLogger

from cclslr.registry import DATASETS


@DATASETS.register_module()
class UnlabelledConcatDataset(ConcatDataset):
    """Concatenation of ISLR datasets whose labels are ignored (every label becomes -1).

    Args:
        datasets: dataset configs (or built datasets). Configs get ``unlabelled=True`` and, when
            ``pipeline`` is given, that pipeline, so one pre-training pipeline is written once.
        pipeline: the shared pipeline (optional; otherwise each dataset keeps its own).
        lazy_init: passed to :class:`mmengine.dataset.ConcatDataset`.

    Class lists differ between datasets and are ignored; ``metainfo`` is the first dataset's. Sample ids
    that occur in two datasets are reported (they would share a mask-cache entry): give the datasets a
    ``sample_id_prefix`` to separate them.
    """

    def __init__(self, datasets: Sequence[Union[dict, BaseDataset]],
                 pipeline: Optional[List[Union[dict, Callable]]] = None, lazy_init: bool = False):
        built = []
        for ds in datasets:
            if isinstance(ds, dict):
                ds = copy.deepcopy(ds)
                ds['unlabelled'] = True
                if pipeline is not None:
                    ds['pipeline'] = copy.deepcopy(pipeline)
                ds = DATASETS.build(ds)
            elif hasattr(ds, 'unlabelled'):
                if not ds.unlabelled:
                    raise ValueError(f'UnlabelledConcatDataset: {type(ds).__name__} was built with labels; '
                                     'build it with unlabelled=True or pass its config')
            built.append(ds)
        if not built:
            raise ValueError('UnlabelledConcatDataset: no datasets given')
        keys = sorted({k for ds in built for k in ds.metainfo})
        super().__init__(built, lazy_init=lazy_init, ignore_keys=keys)

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        seen, clashes = set(), 0
        for ds in self.datasets:
            ids = {ds.get_data_info(i)['sample_id'] for i in range(len(ds))}
            clashes += len(ids & seen)
            seen |= ids
        if clashes:
            MMLogger.get_current_instance().warning(
                f'UnlabelledConcatDataset: {clashes} sample ids occur in more than one dataset; '
                'set sample_id_prefix on the datasets so that mask-cache keys stay unique')

    @property
    def num_skipped(self) -> int:
        return sum(getattr(ds, 'num_skipped', 0) for ds in self.datasets)
