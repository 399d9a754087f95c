from .gcn import GraphConv, GroupGCN
from .pose_encoder import PoseEncoder
from .rgb_encoder import R3D50, RGBEncoder

__all__ = ['GraphConv', 'GroupGCN', 'PoseEncoder', 'RGBEncoder', 'R3D50']
