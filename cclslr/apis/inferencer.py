"""SignInferencer: recognise many clips (a folder, a glob, a list) in batches, with a progress bar and
JSON / CSV output."""
import csv
import glob
import io
import json
import os
import os.path as osp
import time
from typing import Iterable, List, Optional, Union

from cclslr.fileio.atomic import atomic_open
from .inference import ClipPreparer, RecognitionResult, init_recognizer, make_result, predict_scores
from .inputs import VIDEO_EXTENSIONS, parse_inputs


class SignInferencer:
    """Batched inference over many clips.

    Args:
        config, checkpoint, device: as :func:`init_recognizer` (or pass a built ``model=``).
        backend: keypoint extractor for clips without a pose file ('mediapipe', 'mmpose'), or None.
        batch_size: clips per forward pass (the pipeline and the extraction run clip by clip).
        topk: classes kept per clip.
        pose_dir: optional folder of pose files named after the videos (``<stem>.pkl`` / ``.json`` /
            ``.npz`` / ``.npy``); a video with such a file uses it instead of extracting.
        on_error: ``'raise'`` (default) stops at the first clip that fails (unreadable, no person, ...);
            ``'skip'`` leaves it out of the results and records ``(input, error message)`` in
            :attr:`failures`.

    Call it with a folder (its video files, sorted), a glob pattern, a single input or a list of inputs
    (anything :func:`inference_recognizer` takes); it returns one :class:`RecognitionResult` per clip.
    """

    POSE_EXTENSIONS = ('.pkl', '.json', '.npz', '.npy')

    def __init__(self, config=None, checkpoint: Optional[str] = None, device: str = 'cpu', model=None,
                 backend: Optional[str] = None, batch_size: int = 8, topk: int = 5,
                 pose_dir: Optional[str] = None, on_error: str = 'raise', **extractor_options):
        if on_error not in ('raise', 'skip'):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        self.on_error, self.failures = on_error, []
        if model is None:
            if config is None:
                raise ValueError('SignInferencer needs a config (and checkpoint) or a model')
            model = init_recognizer(config, checkpoint, device)
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.model, self.batch_size, self.topk, self.pose_dir = model, batch_size, topk, pose_dir
        self.preparer = ClipPreparer(model, backend, device=device, **extractor_options)

    @staticmethod
    def expand(inputs) -> List:
        """The list of clips: a folder -> its videos (sorted); a glob -> its matches (sorted); a list ->
        itself, each entry expanded the same way when it is a folder or a glob."""
        if isinstance(inputs, (str, os.PathLike)):
            path = str(inputs)
            if osp.isdir(path):
                found = sorted(osp.join(path, f) for f in os.listdir(path)
                               if osp.splitext(f)[1].lower() in VIDEO_EXTENSIONS)
                if not found:
                    raise FileNotFoundError(f'{path}: no video files ({", ".join(VIDEO_EXTENSIONS)})')
                return found
            if any(c in path for c in '*?['):
                found = sorted(glob.glob(path, recursive=True))
                if not found:
                    raise FileNotFoundError(f'{path}: the pattern matches no file')
                return found
            return [path]
        if isinstance(inputs, (list, tuple)) and not _is_one_clip(inputs):
            return [x for item in inputs for x in SignInferencer.expand(item)]
        return [inputs]

    def _with_pose_file(self, item):
        if self.pose_dir is None or not isinstance(item, (str, os.PathLike)):
            return item
        stem = osp.splitext(osp.basename(str(item)))[0]
        for ext in self.POSE_EXTENSIONS:
            cand = osp.join(self.pose_dir, stem + ext)
            if osp.isfile(cand):
                return (str(item), cand)
        return item

    def __call__(self, inputs, progress: bool = True) -> List[RecognitionResult]:
        items = [self._with_pose_file(x) for x in self.expand(inputs)]
        results: List[RecognitionResult] = []
        bar = _progress(len(items), progress)
        try:
            for start in range(0, len(items), self.batch_size):
                chunk = items[start:start + self.batch_size]
                prepared = [p for p in map(self._prepare, chunk) if p is not None]
                bar.update(len(chunk))
                if not prepared:
                    continue
                t0 = time.perf_counter()
                scores = predict_scores(self.model, [p[0] for p in prepared])
                per_clip = (time.perf_counter() - t0) / len(prepared)  # the batch's forward, shared
                for (packed, clip, pose, used, timings), s in zip(prepared, scores):
                    timings = dict(timings, forward=per_clip)
                    results.append(make_result(self.model, s, self.topk, keypoints=pose, source=clip.name,
                                               keypoint_backend=used, timings=timings))
        finally:
            bar.close()
        return results

    def _prepare(self, item):
        try:
            return self.preparer(item)
        except (ValueError, FileNotFoundError) as e:  # the readers' errors name the file
            if self.on_error == 'raise':
                raise
            self.failures.append((item, ' '.join(str(e).split())))
            return None

    def close(self):
        self.preparer.close()

    # ------------------------------------------------------------------ output
    @staticmethod
    def write_json(results: Iterable[RecognitionResult], path: str, scores: bool = False) -> None:
        """A JSON list, one entry per clip: source, top-k ``[{id, gloss, score}]``, timings (and the full
        score vector with ``scores=True``)."""
        rows = []
        for r in results:
            d = r.to_dict()
            if not scores:
                d.pop('scores')
            rows.append(d)
        with atomic_open(path) as f:
            f.write(json.dumps(rows, indent=1).encode())

    @staticmethod
    def write_csv(results: Iterable[RecognitionResult], path: str) -> None:
        """One row per clip: ``source, rank1_id, rank1_gloss, rank1_score, ..., rankK_score``."""
        results = list(results)
        k = max((len(r.topk_ids) for r in results), default=0)
        header = ['source'] + [f'rank{i + 1}_{c}' for i in range(k) for c in ('id', 'gloss', 'score')]
        text = io.StringIO()
        w = csv.writer(text)
        w.writerow(header)
        for r in results:
            row = [r.source]
            for i, g, s in zip(r.topk_ids, r.topk_labels, r.topk_scores):
                row += [int(i), g, f'{float(s):.6f}']
            w.writerow(row)
        with atomic_open(path) as f:
            f.write(text.getvalue().encode())


def _is_one_clip(items: Union[list, tuple]) -> bool:
    """A 2-tuple (video, pose) is one clip, not a list of two clips."""
    if not isinstance(items, tuple) or len(items) != 2:
        return False
    try:
        clip = parse_inputs(items)
    except (ValueError, TypeError, FileNotFoundError):
        return False
    return (clip.video_path is not None or clip.frames is not None) and \
        (clip.pose_path is not None or clip.pose is not None)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm
    return tqdm(total=total, desc='recognising', unit='clip', disable=not enabled or total <= 1)
