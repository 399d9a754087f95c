from .sign_data_sample import SignDataSample

__all__ = ['SignDataSample']
