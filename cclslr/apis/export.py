"""ONNX export of a fine-tuned recognizer, its check against PyTorch, and inference with ONNX Runtime.

The exported graph is the network after the data preprocessor: it takes the model inputs of
:mod:`cclslr.structures.inputs` for one view as plain tensors and returns the summed branch logits
(``(N, num_classes)``, before the softmax). The clip length and frame size are fixed by the config's test
pipeline; the batch axis is dynamic. Pre-processing (the test pipeline, then the data preprocessor's
normalisation) stays in Python, shared with the PyTorch path, so both see the same numbers.
"""
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from cclslr.fileio import PoseData
from cclslr.structures import HAND_KEYS
from .inference import ClipPreparer, collate_fn

# Input tensors of the exported graph, in this order, where the model reads them.
INPUT_ORDER = ('rgb', 'pose', 'pose_mask') + HAND_KEYS


class ExportError(RuntimeError):
    """The model (or one of its operators) cannot be exported to ONNX."""


class LogitsGraph(nn.Module):
    """``forward(*tensors) -> (N, num_classes)`` summed logits of a recognizer, for tracing.

    Args:
        model: a ``SignRecognizer`` / ``PGFRecognizer``.
        names: the input names, a subset of :data:`INPUT_ORDER` in that order.
    """

    def __init__(self, model: nn.Module, names: Sequence[str]):
        super().__init__()
        self.model, self.names = model, tuple(names)

    def forward(self, *tensors):
        inputs = {k: [t] for k, t in zip(self.names, tensors)}
        logits = self.model._forward(inputs)
        return torch.stack(list(logits.values())).sum(0)


def example_batch(model, batch_size: int = 1, seed: int = 0) -> Dict[str, torch.Tensor]:
    """Model inputs (one view, plain tensors) of ``batch_size`` random clips run through the config's test
    pipeline and the data preprocessor: their shapes are the exported graph's (clip length, frame size,
    keypoints, hand crops)."""
    rng = np.random.default_rng(seed)
    prep = ClipPreparer(model)
    try:
        packed = []
        for _ in range(batch_size):
            t, h, w = 48, 96, 128
            frames = rng.integers(0, 256, (t, h, w, 3), dtype=np.uint8)
            kpts = np.clip(0.5 + 0.1 * rng.standard_normal((t, 133, 2)), 0, 1).astype(np.float32)
            scores = rng.uniform(0.4, 1.0, (t, 133)).astype(np.float32)
            packed.append(prep(dict(frames=frames, fps=25.0, pose=PoseData(kpts, scores, 'normalized',
                                                                             (w, h), 25.0)))[0])
    finally:
        prep.close()
    return model_inputs(model, packed)


def model_inputs(model, packed: List[dict]) -> Dict[str, torch.Tensor]:
    """Collate packed samples and run the data preprocessor: ``{name: tensor}`` of the first view."""
    with torch.no_grad():
        data = model.data_preprocessor(collate_fn(model.cfg)(list(packed)), False)
    return {k: data['inputs'][k][0] for k in INPUT_ORDER if k in data['inputs']}


def export_onnx(model, out: str, opset: int = 17) -> Tuple[List[str], Dict[str, torch.Tensor]]:
    """Export ``model`` (from :func:`init_recognizer`) to ``out``.

    Returns:
        (input names, the example inputs used for tracing).

    Raises:
        ExportError naming the operator or module that does not export.
    """
    model = model.cpu().eval()
    untrained = [name for name, m in model.named_modules() if type(m).__name__ == 'MaskedDataNorm'
                 and int(m.num_batches_tracked) == 0]
    if untrained:
        # Without running statistics the norm uses each clip's own (masked) statistics, computed with
        # index_add_ over repeated indices: ONNX cannot export that, and a trained model never needs it.
        raise ExportError(f'{type(model).__name__}: {", ".join(untrained)} has no running statistics (an '
                          'untrained model); its per-clip statistics use index_add_ with duplicated indices, '
                          'which ONNX does not export: export a trained checkpoint')
    example = example_batch(model, batch_size=2)
    names = list(example)
    graph = LogitsGraph(model, names).eval()
    dynamic = {n: {0: 'batch'} for n in names}
    dynamic['logits'] = {0: 'batch'}
    # nn.TransformerEncoderLayer's inference fast path is one fused aten op that ONNX has no symbol for;
    # the regular path computes the same function from exportable ops.
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # Shape checks in the models become constants of the fixed-size graph: that is intended.
            warnings.simplefilter('ignore', torch.jit.TracerWarning)
            torch.onnx.export(graph, tuple(example[n] for n in names), out, input_names=names,
                              output_names=['logits'], dynamic_axes=dynamic, opset_version=opset,
                              dynamo=False, do_constant_folding=True)
    except Exception as e:  # the TorchScript exporter names the unsupported aten op in its message
        message = ' '.join(str(e).split()).split(' [Caused by')[0][:300]
        raise ExportError(f'{type(model).__name__} does not export to ONNX (opset {opset}): '
                          f'{type(e).__name__}: {message}') from e
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return names, example


class OnnxRecognizer:
    """Scores of packed samples through an exported graph in ONNX Runtime (CPU).

    Args:
        model: the PyTorch recognizer of the same config (its data preprocessor and class names are used;
            its network is not run).
        onnx_path: the exported file.
        num_threads: ONNX Runtime intra-op threads (0 = its default).
    """

    def __init__(self, model, onnx_path: str, num_threads: int = 0):
        import onnxruntime as ort
        if not osp.isfile(onnx_path):
            raise FileNotFoundError(f'{onnx_path}: ONNX model not found')
        opts = ort.SessionOptions()
        if num_threads:
            opts.intra_op_num_threads = num_threads
        self.session = ort.InferenceSession(onnx_path, opts, providers=['CPUExecutionProvider'])
        self.model = model
        self.names = [i.name for i in self.session.get_inputs()]
        out_shape = self.session.get_outputs()[0].shape
        if out_shape[-1] != getattr(model, 'num_classes', out_shape[-1]):
            raise ValueError(f'{onnx_path}: the ONNX model predicts {out_shape[-1]} classes, the config '
                             f'{model.num_classes}')

    def logits(self, inputs: Dict[str, torch.Tensor]) -> np.ndarray:
        """(N, num_classes) logits of preprocessed inputs (``model_inputs``)."""
        missing = [n for n in self.names if n not in inputs]
        if missing:
            raise ValueError(f'the ONNX model needs inputs {missing} that this config\'s pipeline does not '
                             'make (exported from another config?)')
        feed = {n: inputs[n].cpu().numpy() for n in self.names}
        return self.session.run(None, feed)[0]

    def predict_scores(self, packed: Sequence[dict]) -> np.ndarray:
        """(N, num_classes) softmax scores, as ``predict_scores`` of the PyTorch model."""
        logits = self.logits(model_inputs(self.model, packed)).astype(np.float64)
        e = np.exp(logits - logits.max(-1, keepdims=True))
        return (e / e.sum(-1, keepdims=True)).astype(np.float32)


def check_onnx(model, onnx_path: str, inputs: Optional[Dict[str, torch.Tensor]] = None) -> float:
    """Max abs difference between PyTorch's and ONNX Runtime's logits on ``inputs`` (default: a fresh
    random batch of 3, another batch size than the export's)."""
    inputs = example_batch(model, batch_size=3, seed=1) if inputs is None else inputs
    ort_model = OnnxRecognizer(model, onnx_path)
    names = ort_model.names
    with torch.no_grad():
        ref = LogitsGraph(model, names)(*(inputs[n] for n in names)).numpy()
    return float(np.abs(ort_model.logits(inputs) - ref).max())
