from .checkpoint import allow_mmengine_checkpoint_globals, load_plain_state_dict
from .compat import apply_compat, is_standin
from .setup_env import register_all_modules

__all__ = ['apply_compat', 'is_standin', 'register_all_modules', 'allow_mmengine_checkpoint_globals',
           'load_plain_state_dict']
