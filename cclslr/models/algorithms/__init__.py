from .ccl_slr import CCLSLR
from .ccl_slr_pseudo_label import CCLSLRPseudoLabel

__all__ = ['CCLSLR', 'CCLSLRPseudoLabel']
