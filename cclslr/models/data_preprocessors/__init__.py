from .sign_data_preprocessor import SignDataPreprocessor

__all__ = ['SignDataPreprocessor']
