from .ccl_slr import CCLSLR
from .pgf_recognizer import PGFRecognizer
from .recognizer import SignRecognizer

__all__ = ['CCLSLR', 'PGFRecognizer', 'SignRecognizer']
