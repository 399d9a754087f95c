from .cls_head import ClsHead
from .projection_head import ProjectionHead
from .spm_head import SPMHead

__all__ = ['ClsHead', 'ProjectionHead', 'SPMHead']
