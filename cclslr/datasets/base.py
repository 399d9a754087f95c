"""The shared ISLR dataset base: every benchmark differs only in how it reads its annotations.

A sample (``data_list`` entry) follows the contract of docs/architecture.md::

    video_path (str), pose_path (str | None), label (int, -1 = unknown), frame_start (0-based, inclusive),
    frame_end (0-based, exclusive, -1 = end of file), signer_id (int, -1 = unknown),
    sample_id (str, unique; the mask-cache key), optionally box ([x0, y0, x1, y1] in 0-1), width and
    height (the video's frame size), pose_frame_offset (the video frame of the pose file's first frame;
    cclslr/datasets/transforms/loading.py).

Building a dataset never opens a video (benchmarks hold 100k clips): a missing or corrupt file is found
when the sample is loaded by the pipeline, or by ``tools/data/check_dataset.py``.
"""
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger

from cclslr.fileio.video_encode import INDEX_NAME, prepared_file_name, read_index
from .prepared import to_prepared

ON_ERROR_MODES = ('raise', 'skip')


class BaseISLRDataset(BaseDataset):
    """Base class of the isolated-sign datasets.

    Subclasses implement :meth:`load_annotations`, returning dicts with ``video`` (file name relative to
    ``data_prefix['video']``), ``pose`` (optional, relative to ``data_prefix['pose']``; default: the video
    name with ``pose_ext``), ``label``, ``frame_start``, ``frame_end``, ``signer_id``, ``sample_id`` and
    optional ``box``, ``width``, ``height``, ``pose_frame_offset``; the base joins the prefixes and checks
    the contract.

    Args:
        ann_file: annotation file (json or list file).
        data_prefix: ``dict(video=..., pose=...)``; without ``pose`` samples get ``pose_path=None``.
            ``prepared=<folder>`` reads the videos prepared there by ``tools/data/prepare_videos.py``
            instead of the originals, with frame indices, pose offset and keypoint geometry adjusted
            (``cclslr/datasets/prepared.py``, docs/prepare_videos.md). A sample without one is an error,
            or with ``on_error='skip'`` a bad sample (its prepared file is missing).
        pipeline: transforms (configs or callables).
        test_mode: evaluation mode (bad samples are then replaced deterministically by the next one).
        on_error: ``'raise'`` (default) re-raises a sample's loading error, which names the file;
            ``'skip'`` records it in :attr:`bad_samples`, returns another sample carrying the record
            (``{'sample_id', 'path', 'reason'}`` in its metainfo ``bad_samples``, so that it reaches the
            main process from a DataLoader worker) and logs it, unless :class:`BadSampleHook` does
            (it logs each bad sample once per epoch and the epoch's count).
        unlabelled: set every label to -1 (pre-training).
        pose_ext: extension of the pose files named after the videos.
        max_refetch: how many other samples to try after a failure before giving up.
        sample_id_prefix: prepended to every ``sample_id`` (keeps ids unique when datasets are mixed).
        num_per_class: keep at most this many labelled clips per class (label-scarce fine-tuning), chosen
            at random with ``subset_seed``, in file order. ``None`` keeps everything.
        subset_seed: seed of that choice (the same seed always keeps the same clips).
        kwargs: passed to :class:`mmengine.dataset.BaseDataset` (``data_root``, ``indices``, ...).
    """

    def __init__(self,
                 ann_file: str = '',
                 data_prefix: Optional[dict] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 on_error: str = 'raise',
                 unlabelled: bool = False,
                 pose_ext: str = '.pkl',
                 max_refetch: int = 100,
                 sample_id_prefix: str = '',
                 num_per_class: Optional[int] = None,
                 subset_seed: int = 0,
                 **kwargs):
        if on_error not in ON_ERROR_MODES:
            raise ValueError(f'{type(self).__name__}: on_error must be one of {ON_ERROR_MODES}, '
                             f'got {on_error!r}')
        data_prefix = dict(video='') if data_prefix is None else dict(data_prefix)
        unknown = set(data_prefix) - {'video', 'pose', 'prepared'}
        if unknown:
            raise KeyError(f'{type(self).__name__}: unknown data_prefix keys {sorted(unknown)}; '
                           'expected "video" and optionally "pose" and "prepared"')
        data_prefix.setdefault('video', '')
        self.on_error = on_error
        self.unlabelled = unlabelled
        self.pose_ext = pose_ext
        self.sample_id_prefix = sample_id_prefix
        if num_per_class is not None and num_per_class < 1:
            raise ValueError(f'{type(self).__name__}: num_per_class must be >= 1 or None, '
                             f'got {num_per_class}')
        self.num_per_class, self.subset_seed = num_per_class, subset_seed
        self.bad_samples: List[dict] = []
        # Set by BadSampleHook (engine/hooks/bad_sample_hook.py) before the workers start.
        self.failures_reported_by_hook = False
        self._logged_bad_ids = set()
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, pipeline=list(pipeline),
                         test_mode=test_mode, max_refetch=max_refetch, **kwargs)

    # ------------------------------------------------------------------ annotations
    def load_annotations(self) -> List[dict]:
        """Read ``self.ann_file``; return raw sample dicts (see the class docstring)."""
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        if self.ann_file and not osp.exists(self.ann_file):
            raise FileNotFoundError(f'{type(self).__name__}: annotation file {self.ann_file} not found')
        video_root = self.data_prefix.get('video') or ''
        pose_root = self.data_prefix.get('pose')
        data_list, seen = [], set()
        for raw in self.load_annotations():
            sample_id = self.sample_id_prefix + str(raw['sample_id'])
            if sample_id in seen:
                raise ValueError(f'{self.ann_file}: duplicate sample_id {sample_id!r}')
            seen.add(sample_id)
            pose = raw.get('pose') or osp.splitext(raw['video'])[0] + self.pose_ext
            info = dict(
                video_path=osp.join(video_root, raw['video']),
                pose_path=osp.join(pose_root, pose) if pose_root is not None else None,
                label=-1 if self.unlabelled else int(raw.get('label', -1)),
                frame_start=int(raw.get('frame_start', 0)),
                frame_end=int(raw.get('frame_end', -1)),
                signer_id=int(raw.get('signer_id', -1)),
                sample_id=sample_id)
            start, end = info['frame_start'], info['frame_end']
            if start < 0 or (end != -1 and end <= start):
                raise ValueError(f'{self.ann_file}: sample {sample_id!r} has an empty frame range '
                                 f'[{info["frame_start"]}, {info["frame_end"]})')
            for key in ('box', 'crop_to_box', 'width', 'height', 'pose_frame_offset'):
                if raw.get(key) is not None:
                    info[key] = raw[key]
            data_list.append(info)
        if self.num_per_class is not None:
            data_list = self._keep_per_class(data_list)
        if self.data_prefix.get('prepared'):
            data_list = self._use_prepared(data_list, self.data_prefix['prepared'])
        return data_list

    def _use_prepared(self, data_list: List[dict], root: str) -> List[dict]:
        """The samples reading the prepared videos of ``root`` (one index file; no video is opened)."""
        index = read_index(root)
        missing = [d['sample_id'] for d in data_list if d['sample_id'] not in index]
        message = (f'{osp.join(root, INDEX_NAME)}: {len(missing)} of {len(data_list)} samples of '
                   f'{self.ann_file} have no prepared video (e.g. {missing[:3]})')
        if missing and self.on_error == 'raise':
            raise ValueError(f'{message}: run tools/data/prepare_videos.py on this config and split, or '
                             "skip them with on_error='skip'")
        if missing:  # 'skip': they fail to load (file not found, naming the file) and are skipped, counted
            MMLogger.get_current_instance().warning(f'{message}: they will be skipped as bad samples')
        return [to_prepared(d, index[d['sample_id']], root) if d['sample_id'] in index
                else dict(d, video_path=osp.join(root, prepared_file_name(d['sample_id'])))
                for d in data_list]

    def _keep_per_class(self, data_list: List[dict]) -> List[dict]:
        if any(d['label'] < 0 for d in data_list):
            raise ValueError(f'{type(self).__name__}: num_per_class needs labelled samples ({self.ann_file})')
        rng = np.random.default_rng(self.subset_seed)
        by_class = {}
        for i, d in enumerate(data_list):
            by_class.setdefault(d['label'], []).append(i)
        keep = set()
        for label in sorted(by_class):
            idx = by_class[label]
            keep.update(rng.permutation(idx)[:self.num_per_class].tolist())
        return [d for i, d in enumerate(data_list) if i in keep]

    # ------------------------------------------------------------------ loading with error policy
    @property
    def num_skipped(self) -> int:
        """Number of samples that failed to load (in this process; each DataLoader worker counts its own)."""
        return len(self.bad_samples)

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        info['dataset'] = type(self).__name__
        return info

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        rng = np.random.default_rng()
        failures = []  # this call's failures: they travel with the returned sample (attach_bad_samples)
        for attempt in range(self.max_refetch + 1):
            try:
                data = self.prepare_data(idx)
            except Exception as e:  # noqa: BLE001 - the policy decides what happens to any loading error
                if self.on_error == 'raise':
                    raise
                failures.append(self._record_failure(idx, e))
                # Test mode must stay deterministic; training draws another random clip, as MMEngine does.
                idx = (idx + 1) % len(self) if self.test_mode else int(rng.integers(len(self)))
                continue
            if data is None:
                raise RuntimeError(f'{type(self).__name__}: pipeline returned None for sample {idx}')
            if failures:
                attach_bad_samples(data, failures)
            return data
        raise RuntimeError(f'{type(self).__name__}: {self.max_refetch + 1} samples in a row failed to load; '
                           f'last errors: {[b["reason"] for b in self.bad_samples[-3:]]}')

    def _record_failure(self, idx: int, error: Exception) -> dict:
        info = self.get_data_info(idx)
        reason = f'{type(error).__name__}: {error}'
        record = dict(sample_id=info['sample_id'], path=_failed_path(info, str(error)), reason=reason)
        self.bad_samples.append(dict(record, index=idx, video_path=info['video_path']))
        # A DataLoader worker is a separate process: without BadSampleHook in the main process (which
        # switches this off and logs each sample once per epoch), the worker's own log is the only report.
        # Once per sample id per process, so a bad clip drawn again as a replacement is not logged twice.
        if not self.failures_reported_by_hook and record['sample_id'] not in self._logged_bad_ids:
            self._logged_bad_ids.add(record['sample_id'])
            MMLogger.get_current_instance().warning(
                f'{type(self).__name__}: skipping sample {record["sample_id"]} ({record["path"]}): {reason}')
        return record


BAD_SAMPLES_KEY = 'bad_samples'


def _failed_path(info: dict, message: str) -> str:
    """The file the error is about: of the sample's video and pose file, the one its message names first
    (the readers start their messages with the file); the video when it names neither."""
    named = [(message.find(p), p) for p in (info['video_path'], info.get('pose_path')) if p and p in message]
    return min(named)[1] if named else info['video_path']


def attach_bad_samples(data, records: List[dict]) -> None:
    """Put ``records`` (``{'sample_id', 'path', 'reason'}``) in the returned sample, so that they reach
    the main process from a DataLoader worker: in the data sample's metainfo when the pipeline packed
    one (``PackSignInputs``), else as ``data['bad_samples']``."""
    sample = data.get('data_samples') if isinstance(data, dict) else None
    if hasattr(sample, 'set_metainfo'):
        sample.set_metainfo({BAD_SAMPLES_KEY: list(records)})
    elif isinstance(data, dict):
        data[BAD_SAMPLES_KEY] = list(records)
