from .accuracy import ISLRAccuracy

__all__ = ['ISLRAccuracy']
