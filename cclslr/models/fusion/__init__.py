from .crop_encoder import CropEncoder
from .data_preprocessor import PGFDataPreprocessor
from .pgf import DeformableSampling, PositionEmbedding, PriorGuidedFusion

__all__ = ['CropEncoder', 'PGFDataPreprocessor', 'DeformableSampling', 'PositionEmbedding',
           'PriorGuidedFusion']
