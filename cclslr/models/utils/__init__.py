from .dist_utils import concat_all_gather
from .online_kmeans import OnlineKMeans
from .queue import LockstepQueues, enqueue_lockstep
from .shuffle_bn import ShuffleBN, batch_norms
from .spread import feature_spread

__all__ = ['LockstepQueues', 'OnlineKMeans', 'ShuffleBN', 'batch_norms', 'concat_all_gather',
           'enqueue_lockstep', 'feature_spread']
