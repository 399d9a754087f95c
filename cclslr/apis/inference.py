"""Recognise the sign in one clip: build a recognizer from a config + checkpoint, run the config's test
pipeline on a video / pose file / arrays, return the scores with their gloss names.

The test pipeline of the config is reused unchanged (same frame sampling, resizing and pose normalisation
as ``tools/test.py``). What the pipeline reads from files is supplied here:

* a video path goes to ``DecordInit`` as it is; frames given as an array replace ``DecordInit`` by an
  in-memory reader (:class:`ArrayVideoReader`), so ``DecodeFrames`` reads the array;
* keypoints given as :class:`PoseData` (or extracted on the fly, :mod:`.keypoint_backends`) are written
  to a temporary Uni-Sign pickle that ``LoadPose`` reads, so they are time-aligned, sliced and checked
  by the same code as a dataset's pose files.
"""
import ast
import os
import os.path as osp
import tempfile
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch

from cclslr.fileio import PoseData, read_pose, write_pose
from .inputs import ArrayVideoReader, ClipInputs, parse_inputs
from .keypoint_backends import KeypointExtractor, check_keypoint_source

# Transforms that read the video file / the pose file (the rest of a test pipeline only reshapes).
VIDEO_TRANSFORMS = ('DecordInit', )
POSE_TRANSFORMS = ('LoadPose', )


class CheckpointMismatchError(ValueError):
    """The checkpoint's weights do not fit the model the config builds."""


def _load_config(config, cfg_options: Optional[dict] = None):
    from mmengine.config import Config
    if isinstance(config, (str, os.PathLike)):
        if not osp.isfile(config):
            raise FileNotFoundError(f'{config}: config file not found')
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a path or an mmengine Config, got {type(config).__name__}')
    else:
        config = config.copy()
    if cfg_options:
        config.merge_from_dict(cfg_options)
    return config


def _config_dataset_meta(cfg) -> dict:
    """``metainfo`` given in the config's test (else train) dataset, plus the config's
    ``keypoint_source`` when it sets one."""
    meta = {}
    for loader in ('test_dataloader', 'train_dataloader'):
        ds = (cfg.get(loader) or {}).get('dataset') or {}
        if ds.get('metainfo'):
            meta = dict(ds['metainfo'])
            break
    if cfg.get('keypoint_source') is not None:
        meta.setdefault('keypoint_source', cfg.keypoint_source)
    return meta


def recorded_keypoint_source(cfg_text) -> Optional[str]:
    """``keypoint_source = '...'`` of the config text an MMEngine checkpoint keeps (``meta['cfg']``), read
    with ``ast`` (a checkpoint's config is never executed)."""
    if not isinstance(cfg_text, str):
        return None
    try:
        tree = ast.parse(cfg_text)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == 'keypoint_source'
                                                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            return value if isinstance(value, str) else None
    return None


def init_recognizer(config, checkpoint: Optional[str] = None, device: str = 'cpu',
                    cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the recognizer of ``config`` and load ``checkpoint`` into it, weights-only.

    Args:
        config: a config path or an ``mmengine.Config`` (a fine-tuning config: ``SignRecognizer`` or
            ``PGFRecognizer``).
        checkpoint: an MMEngine checkpoint of that config (``tools/train.py`` output) or a plain state
            dict; None keeps the random initialisation. Loaded with ``weights_only=True``
            (``cclslr.utils.checkpoint``): a file holding code is refused with an error naming it.
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``...
        cfg_options: ``--cfg-options``-style overrides.

    Returns:
        the model in eval mode, with ``cfg`` (the config), ``dataset_meta`` (the checkpoint's, with
        ``classes``: the gloss names; else the config dataset's ``metainfo``) and ``keypoint_source``
        (the checkpoint's ``dataset_meta`` entry, else the ``keypoint_source`` of the config it was
        trained with, else that of ``config``; None when unknown).

    Raises:
        FileNotFoundError for a missing config or checkpoint; :class:`CheckpointMismatchError` naming
        both files when the weights do not fit the model (missing/unexpected keys, shapes).
    """
    from cclslr.registry import MODELS
    from cclslr.utils import register_all_modules
    from cclslr.utils.checkpoint import allow_mmengine_checkpoint_globals, load_local_weights_only
    register_all_modules(init_default_scope=False)
    cfg = _load_config(config, cfg_options)
    cfg_name = config if isinstance(config, (str, os.PathLike)) else (getattr(config, 'filename', None)
                                                                        or '<config>')
    model_cfg = cfg.model.copy()
    if checkpoint is not None:
        model_cfg.pop('init_from', None)  # the checkpoint holds every weight; no pre-training file needed
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'cclslr')):
        model = MODELS.build(model_cfg)
    dataset_meta = _config_dataset_meta(cfg)
    if checkpoint is not None:
        allow_mmengine_checkpoint_globals()
        ckpt = load_local_weights_only(str(checkpoint), map_location='cpu')
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
        if not isinstance(state, dict):
            raise CheckpointMismatchError(f'{checkpoint}: not a checkpoint (no state dict inside)')
        state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
        _load_strict(model, state, checkpoint, cfg_name)
        meta = ckpt.get('meta') or {}
        # What the checkpoint says wins over the config given now (it is what the weights saw).
        recorded = recorded_keypoint_source(meta.get('cfg'))
        dataset_meta.update(meta.get('dataset_meta') or {})
        if recorded is not None and 'keypoint_source' not in (meta.get('dataset_meta') or {}):
            dataset_meta['keypoint_source'] = recorded
    classes = dataset_meta.get('classes')
    num_classes = getattr(model, 'num_classes', None)
    # Fewer names than outputs is legitimate (a 10-way head trained on a 4-class set): the rest are
    # named by their id. More names than outputs means another model's checkpoint.
    if classes is not None and num_classes is not None and len(classes) > num_classes:
        raise CheckpointMismatchError(f'{checkpoint}: dataset_meta has {len(classes)} class names but the '
                                      f'model of {cfg_name} predicts {num_classes} classes')
    model.cfg = cfg
    model.dataset_meta = dataset_meta
    model.keypoint_source = dataset_meta.get('keypoint_source')
    model.to(device)
    model.eval()
    return model


def _load_strict(model: torch.nn.Module, state: dict, checkpoint, cfg_name) -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = [f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}'
              for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or shapes:
        raise CheckpointMismatchError(
            f'{checkpoint} does not match the model of {cfg_name}: {len(missing)} missing keys '
            f'{missing[:3]}, {len(unexpected)} unexpected keys {unexpected[:3]}, {len(shapes)} shape '
            f'mismatches {shapes[:3]}')
    model.load_state_dict(state, strict=True)


@dataclass
class RecognitionResult:
    """What :func:`inference_recognizer` returns for one clip.

    Attributes:
        scores: float32 (num_classes,) softmax of the summed branch logits (``pred_score``).
        topk_ids: int (k,) class ids, best first; topk_labels: their gloss names; topk_scores: (k,).
        keypoints: the whole-clip :class:`PoseData` the model read (from the file or extracted), or None
            for an RGB-only model.
        source: the video or pose path ('<array>' for arrays); keypoint_backend: 'file', 'mediapipe',
            'mmpose' or None; timings: seconds spent on ``keypoints``, ``pipeline`` (decoding + test
            transforms) and ``forward`` (data preprocessor + model).
    """
    scores: np.ndarray
    topk_ids: np.ndarray
    topk_labels: List[str]
    topk_scores: np.ndarray
    keypoints: Optional[PoseData] = None
    source: str = ''
    keypoint_backend: Optional[str] = None
    timings: Dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready: source, top-k (id, gloss, score), timings; the full score vector as a list."""
        return dict(source=self.source, keypoint_backend=self.keypoint_backend,
                    topk=[dict(id=int(i), gloss=g, score=float(s))
                          for i, g, s in zip(self.topk_ids, self.topk_labels, self.topk_scores)],
                    timings={k: round(v, 4) for k, v in self.timings.items()},
                    scores=[float(s) for s in self.scores])


def test_pipeline_cfg(cfg) -> list:
    """The transform configs of the config's test dataset (``test_dataloader.dataset.pipeline``)."""
    ds = cfg.test_dataloader.dataset
    while 'pipeline' not in ds and 'dataset' in ds:  # dataset wrappers
        ds = ds.dataset
    return list(ds.pipeline)


def pipeline_needs(cfg) -> Dict[str, bool]:
    """Which inputs the test pipeline reads: ``{'video': bool, 'pose': bool}``."""
    types = [t['type'].split('.')[-1] for t in test_pipeline_cfg(cfg)]
    return dict(video=any(t in VIDEO_TRANSFORMS for t in types),
                pose=any(t in POSE_TRANSFORMS for t in types))


class ClipPreparer:
    """Runs keypoint extraction (when needed) and the config's test pipeline for one clip at a time.

    Args:
        model: from :func:`init_recognizer`.
        backend: keypoint extractor for clips without a pose ('mediapipe', 'mmpose'); None = the pose
            must be given. extractor_options: passed to :class:`KeypointExtractor`.
    """

    def __init__(self, model, backend: Optional[str] = None, **extractor_options):
        from mmengine.dataset import Compose
        from mmengine.registry import DefaultScope
        self.model = model
        cfg = model.cfg
        self.needs = pipeline_needs(cfg)
        steps = test_pipeline_cfg(cfg)
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'cclslr')):
            self.full = Compose(steps)
            # For frame arrays: the same pipeline without DecordInit (the reader is supplied).
            self.no_decord = Compose([t for t in steps if t['type'].split('.')[-1] not in VIDEO_TRANSFORMS])
        self.backend = backend
        self._extractor_options = extractor_options
        self._extractor = None
        self.tmpdir = tempfile.TemporaryDirectory(prefix='cclslr_infer_')

    @property
    def extractor(self) -> KeypointExtractor:
        if self._extractor is None:
            self._extractor = KeypointExtractor(self.backend, **self._extractor_options)
        return self._extractor

    def close(self):
        if self._extractor is not None:
            self._extractor.close()
        self.tmpdir.cleanup()

    def _pose_for(self, clip: ClipInputs, timings: dict):
        """(pose path for LoadPose, PoseData, backend name)."""
        if clip.pose_path is not None:
            return clip.pose_path, read_pose(clip.pose_path), 'file'
        if clip.pose is not None:
            pose, used = clip.pose, 'file'
        else:
            if self.backend is None:
                raise ValueError(f'{clip.name}: this model reads keypoints: give a pose file, or a keypoint '
                                 "backend ('mediapipe' or 'mmpose') to extract them")
            check_keypoint_source(self.model.keypoint_source, self.backend)
            t0 = time.perf_counter()
            pose = (self.extractor.from_video(clip.video_path) if clip.video_path is not None
                    else self.extractor.from_frames(clip.frames, fps=clip.fps))
            timings['keypoints'] = time.perf_counter() - t0
            used = self.backend
            from .keypoint_backends import no_person_found
            if no_person_found(pose):
                raise NoPersonError(f'{clip.name}: no person found (the {self.backend} backend detected no '
                                    f'body keypoint in any of its {pose.num_frames} frames)')
        if pose.unit != 'normalized':
            if pose.image_size is None:
                raise ValueError(f'{clip.name}: pixel keypoints without an image size cannot be normalised')
            pose = PoseData(pose.keypoints / np.asarray(pose.image_size, np.float32), pose.scores,
                            'normalized', pose.image_size, pose.fps)
        path = osp.join(self.tmpdir.name, 'pose.pkl')
        write_pose(path, pose, 'unisign')
        return path, pose, used

    def __call__(self, inputs, sample_id: Optional[str] = None):
        """Returns (packed sample of the test pipeline, :class:`ClipInputs`, PoseData or None, backend
        or None, timings)."""
        clip = parse_inputs(inputs)
        timings = {'keypoints': 0.0}
        if self.needs['video'] and clip.video_path is None and clip.frames is None:
            raise ValueError(f'{clip.name}: this model reads the video (RGB branch or hand crops): give the '
                             'video file or its frames too')
        if self.needs['pose'] and clip.pose_path is None and clip.pose is None and clip.video_path is None \
                and clip.frames is None:
            raise ValueError('no input given')
        pose_path = pose = used = None
        if self.needs['pose']:
            pose_path, pose, used = self._pose_for(clip, timings)
        results = dict(video_path=clip.video_path or clip.pose_path or '<array>', pose_path=pose_path,
                       label=-1, frame_start=0, frame_end=-1, signer_id=-1,
                       sample_id=sample_id or osp.splitext(osp.basename(clip.name))[0])
        t0 = time.perf_counter()
        if clip.frames is not None and self.needs['video']:
            reader = ArrayVideoReader(clip.frames, clip.fps or (pose.fps if pose is not None and pose.fps
                                                                 else 30.0))
            results.update(video_reader=reader, video_num_frames=len(reader), total_frames=len(reader),
                           clip_offset=0, avg_fps=reader.get_avg_fps())
            packed = self.no_decord(results)
        else:
            packed = self.full(results)
        timings['pipeline'] = time.perf_counter() - t0
        return packed, clip, pose, used, timings


class NoPersonError(ValueError):
    """The keypoint extractor found nobody in the clip."""


def collate_fn(cfg):
    """The collate function of the config's test loader (as the Runner picks it; default pseudo_collate)."""
    from mmengine.registry import FUNCTIONS
    spec = (cfg.get('test_dataloader') or {}).get('collate_fn') or dict(type='pseudo_collate')
    fn = spec['type'] if isinstance(spec, dict) else spec
    return FUNCTIONS.get(fn) if isinstance(fn, str) else fn


@torch.no_grad()
def predict_scores(model, packed: Sequence[dict]) -> np.ndarray:
    """(N, num_classes) float32 ``pred_score`` of packed samples, through the model's ``test_step`` (its
    data preprocessor, then ``predict``), batched as the config's test loader batches."""
    batch = collate_fn(model.cfg)(list(packed))
    samples = model.test_step(batch)
    return torch.stack([s.pred_score.float().cpu() for s in samples]).numpy()


def class_names(model) -> List[str]:
    """Gloss names of the model's classes (``dataset_meta['classes']``; class ids as text for the classes
    it does not name)."""
    classes = [str(c) for c in (getattr(model, 'dataset_meta', None) or {}).get('classes') or ()]
    return classes + [str(i) for i in range(len(classes), model.num_classes)]


def make_result(model, scores: np.ndarray, topk: int, **kwargs) -> RecognitionResult:
    """:class:`RecognitionResult` of one (num_classes,) score vector."""
    names = class_names(model)
    k = min(topk, len(scores))
    ids = np.argsort(-scores, kind='stable')[:k]
    return RecognitionResult(scores=scores, topk_ids=ids, topk_labels=[names[i] for i in ids],
                             topk_scores=scores[ids], **kwargs)


def inference_recognizer(model, inputs: Union[str, np.ndarray, PoseData, tuple, dict], topk: int = 5,
                         backend: Optional[str] = None, **extractor_options) -> RecognitionResult:
    """Recognise the sign of one clip.

    Args:
        model: from :func:`init_recognizer`.
        inputs: a video path; a pose-file path (pose-only models); uint8 (T, H, W, 3) RGB frames; a
            :class:`PoseData`; a pair ``(video path or frames, pose path or PoseData)``; or a dict with
            ``video`` / ``frames`` / ``fps`` / ``pose``.
        topk: how many classes to return.
        backend: extract keypoints with ``'mediapipe'`` or ``'mmpose'`` when the model reads a pose and
            none is given (warns when the checkpoint was trained on another ``keypoint_source``).
        extractor_options: for :class:`KeypointExtractor` (``mmpose_checkpoint=...``).

    Returns:
        :class:`RecognitionResult`.
    """
    prep = ClipPreparer(model, backend, **extractor_options)
    try:
        packed, clip, pose, used, timings = prep(inputs)
        t0 = time.perf_counter()
        scores = predict_scores(model, [packed])[0]
        timings['forward'] = time.perf_counter() - t0
    finally:
        prep.close()
    return make_result(model, scores, topk, keypoints=pose, source=clip.name, keypoint_backend=used,
                       timings=timings)
