from .inputs import HAND_KEYS, HAND_SIDES, MODALITIES, check_modalities
from .shared_frames import SharedFrames
from .sign_data_sample import SignDataSample

__all__ = ['HAND_KEYS', 'HAND_SIDES', 'MODALITIES', 'SharedFrames', 'SignDataSample', 'check_modalities']
