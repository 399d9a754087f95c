"""Models: importing the subpackages registers their components in cclslr's MODELS."""
from . import algorithms  # noqa: F401
from . import backbones  # noqa: F401
from . import data_preprocessors  # noqa: F401
from . import fusion  # noqa: F401
from . import heads  # noqa: F401
from . import losses  # noqa: F401
from . import recognizers  # noqa: F401
from . import utils  # noqa: F401
