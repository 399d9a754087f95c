from .cls_head import ClsHead
from .projection_head import ProjectionHead

__all__ = ['ClsHead', 'ProjectionHead']
