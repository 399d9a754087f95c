"""Inference: from a user's video (or pose file, or arrays) to glosses; ONNX export lives in ``export.py``."""
from .inference import (CheckpointMismatchError, NoPersonError, RecognitionResult, inference_recognizer,
                        init_recognizer)
from .inferencer import SignInferencer
from .keypoint_backends import BACKENDS, KeypointExtractor, KeypointSourceWarning

__all__ = ['BACKENDS', 'CheckpointMismatchError', 'KeypointExtractor', 'KeypointSourceWarning',
           'NoPersonError', 'RecognitionResult', 'SignInferencer', 'inference_recognizer', 'init_recognizer']
