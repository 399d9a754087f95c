from .dist_utils import concat_all_gather
from .queue import enqueue_lockstep

__all__ = ['concat_all_gather', 'enqueue_lockstep']
