"""Report the samples that ``on_error='skip'`` replaced: each once per epoch, then the epoch's count.

With DataLoader workers every worker holds its own copy of the dataset, so what a worker records never
reaches the main process by itself. :class:`~cclslr.datasets.BaseISLRDataset` therefore puts the records
of the samples it had to replace into the replacement sample (metainfo ``bad_samples``: a list of
``{'sample_id', 'path', 'reason'}``); this hook reads them from every batch in the main process.
"""
from typing import Dict, Iterator

from mmengine import dist
from mmengine.hooks import Hook

from cclslr.datasets.base import BAD_SAMPLES_KEY, BaseISLRDataset
from cclslr.registry import HOOKS


def islr_datasets(dataset) -> Iterator[BaseISLRDataset]:
    """The :class:`BaseISLRDataset` inside a (possibly wrapped or concatenated) dataset."""
    if isinstance(dataset, BaseISLRDataset):
        yield dataset
        return
    for inner in getattr(dataset, 'datasets', None) or []:  # ConcatDataset, UnlabelledConcatDataset
        yield from islr_datasets(inner)
    inner = getattr(dataset, 'dataset', None)  # RepeatDataset, ClassBalancedDataset
    if inner is not None and inner is not dataset:
        yield from islr_datasets(inner)


def bad_sample_records(data_batch) -> Iterator[dict]:
    """The bad-sample records carried by the samples of one collated batch."""
    if not isinstance(data_batch, dict):
        return
    samples = data_batch.get('data_samples')
    if samples is not None:
        for sample in samples if isinstance(samples, (list, tuple)) else [samples]:
            yield from (sample.metainfo.get(BAD_SAMPLES_KEY) or []) if hasattr(sample, 'metainfo') else []
    else:  # unpacked pipelines: the dataset put the records in the dict (collated: a list per sample)
        for records in data_batch.get(BAD_SAMPLES_KEY) or []:
            yield from records if isinstance(records, (list, tuple)) else [records]


@HOOKS.register_module()
class BadSampleHook(Hook):
    """Log each bad sample once per epoch (sample id, file, reason) and ``skipped N bad samples this
    epoch`` at the end of every train, val and test epoch.

    Before an epoch starts (before the DataLoader starts its workers) the hook tells the loader's datasets
    that it reports their failures, so the workers do not log them as well. Counts are per epoch and,
    in distributed runs, over all ranks (one small ``all_gather_object`` per epoch); each rank logs the
    samples it met, rank 0 the total. The count line is written whenever a sample was skipped, and also
    with 0 when a dataset of the loader uses ``on_error='skip'``, as a positive statement.
    """

    priority = 'NORMAL'

    def __init__(self):
        self._seen: Dict[str, dict] = {}
        self._skip_mode = False
        self._epoch = ''
        self._runs = {'val': 0, 'test': 0}

    # ------------------------------------------------------------------ shared by the three loops
    def _start(self, runner, loader, mode: str) -> None:
        self._seen = {}
        # MMEngine's logger drops a WARNING whose text it has logged before: name the epoch in the line,
        # or a sample that is bad in every epoch would be reported only in the first.
        if mode == 'train':
            self._epoch = f'train epoch {runner.epoch + 1}'
        else:
            self._runs[mode] += 1
            self._epoch = f'{mode} epoch {self._runs[mode]}'
        datasets = list(islr_datasets(getattr(loader, 'dataset', None)))
        for ds in datasets:
            ds.failures_reported_by_hook = True
        self._skip_mode = any(ds.on_error == 'skip' for ds in datasets)

    def _collect(self, runner, data_batch) -> None:
        for record in bad_sample_records(data_batch):
            sid = record['sample_id']
            if sid in self._seen:
                self._seen[sid]['times'] += 1
                continue
            self._seen[sid] = dict(record, times=1)
            runner.logger.warning(f'bad sample {sid} skipped in {self._epoch} ({record["path"]}): '
                                  f'{record["reason"]}')

    def _end(self, runner) -> None:
        seen = self._seen
        if dist.get_world_size() > 1:
            merged = {}
            for part in dist.all_gather_object(seen):
                for sid, rec in part.items():
                    merged.setdefault(sid, dict(rec, times=0))['times'] += rec['times']
            seen = merged
        if seen or self._skip_mode:
            times = sum(r['times'] for r in seen.values())
            extra = f' ({times} load failures: some were drawn more than once)' if times > len(seen) else ''
            runner.logger.info(f'{self._epoch}: skipped {len(seen)} bad samples this epoch{extra}')
        self._seen = {}

    # ------------------------------------------------------------------ hook points
    def before_train_epoch(self, runner) -> None:
        self._start(runner, runner.train_dataloader, 'train')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._collect(runner, data_batch)

    def after_train_epoch(self, runner) -> None:
        self._end(runner)

    def before_val_epoch(self, runner) -> None:
        self._start(runner, runner.val_dataloader, 'val')

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._collect(runner, data_batch)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._end(runner)

    def before_test_epoch(self, runner) -> None:
        self._start(runner, runner.test_dataloader, 'test')

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._collect(runner, data_batch)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._end(runner)
