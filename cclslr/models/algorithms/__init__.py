from .base import BaseSignModel
from .ccl_slr import CCLSLR
from .ccl_slr_pseudo_label import CCLSLRPseudoLabel
from .pgf_recognizer import PGFRecognizer
from .recognizer import SignRecognizer

__all__ = ['BaseSignModel', 'CCLSLR', 'CCLSLRPseudoLabel', 'PGFRecognizer', 'SignRecognizer']
