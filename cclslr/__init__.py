"""cclslr: cross-modal consistency learning for isolated sign language recognition (RGB + pose)."""
from .utils.compat import apply_compat
from .version import __version__

# The stand-ins must be in place before anything imports mmaction.models / mmpose.models (also through a
# config's `type='mmaction.ResNet3d'`, which imports mmaction's registry locations lazily).
apply_compat()

__all__ = ['__version__']
