from .pgf_recognizer import PGFRecognizer
from .sign_recognizer import SignRecognizer

__all__ = ['PGFRecognizer', 'SignRecognizer']
