from .shared_frames import SharedFrames
from .sign_data_sample import SignDataSample

__all__ = ['SharedFrames', 'SignDataSample']
