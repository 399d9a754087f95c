from .formatting import PackSignInputs
from .frame_difference import FrameDifference
from .loading import DecodeFrames, DecordInit, LoadPose
from .motion_mask import MotionMask
from .pose import PoseJointMask, PoseNormalize, PoseRandomAffine, SelectKeypoints
from .score_aware_sampling import PackSignInputsWithHands, ScoreAwareHandSampling  # noqa: F401
from .rgb import (CropToBox, SignCenterCrop, SignColorJitter, SignFlip, SignRandomResizedCrop,
                  SignResize)
from .temporal import PairedTemporalCrop
from .wrappers import MultiView, iter_transforms

__all__ = ['PackSignInputs', 'FrameDifference', 'DecodeFrames', 'DecordInit', 'LoadPose',
           'MotionMask', 'PoseJointMask', 'PoseNormalize', 'PoseRandomAffine', 'SelectKeypoints',
           'CropToBox', 'SignCenterCrop', 'SignColorJitter', 'SignFlip', 'SignRandomResizedCrop',
           'SignResize', 'PairedTemporalCrop', 'MultiView', 'iter_transforms']
