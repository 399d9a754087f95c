"""cclslr's own MMEngine registries.

Every registry is a child of MMEngine's root registry of the same kind (``parent=``), so that a config
can name MMEngine's built-ins (``type='SGD'``), other OpenMMLab scopes (``type='mmaction.ResNet3d'``) and
cclslr's components side by side. ``locations=`` lists the packages that register into each one, so that
building from a config imports them lazily when the registry is first searched.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'cclslr'

# Runners and loops.
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, scope=SCOPE, locations=['cclslr.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope=SCOPE, locations=['cclslr.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope=SCOPE, locations=['cclslr.engine'])
LOG_PROCESSORS = Registry(
    'log processor', parent=MMENGINE_LOG_PROCESSORS, scope=SCOPE, locations=['cclslr.engine'])

# Data.
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope=SCOPE, locations=['cclslr.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, scope=SCOPE, locations=['cclslr.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, scope=SCOPE, locations=['cclslr.datasets.transforms'])

# Models.
MODELS = Registry('model', parent=MMENGINE_MODELS, scope=SCOPE, locations=['cclslr.models'])
MODEL_WRAPPERS = Registry(
    'model wrapper', parent=MMENGINE_MODEL_WRAPPERS, scope=SCOPE, locations=['cclslr.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, scope=SCOPE,
    locations=['cclslr.models'])

# Optimisation.
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, scope=SCOPE, locations=['cclslr.engine'])
OPTIM_WRAPPERS = Registry(
    'optim wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope=SCOPE, locations=['cclslr.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, scope=SCOPE,
    locations=['cclslr.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, scope=SCOPE, locations=['cclslr.engine'])

# Evaluation.
METRICS = Registry('metric', parent=MMENGINE_METRICS, scope=SCOPE, locations=['cclslr.evaluation'])
EVALUATOR = Registry(
    'evaluator', parent=MMENGINE_EVALUATOR, scope=SCOPE, locations=['cclslr.evaluation'])

# Visualisation: cclslr's SignVisualizer registers here; the backends in use are MMEngine's own
# (LocalVisBackend, TensorboardVisBackend), found through the parent.
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, scope=SCOPE,
                       locations=['cclslr.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, scope=SCOPE,
                       locations=['cclslr.visualization'])

# Misc.
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, scope=SCOPE, locations=['cclslr.datasets'])

# MPM latent codecs (flow, VAE, frame difference) live in their own registry: they are not models
# trained by the Runner but tools used offline by tools/mpm/.
CODECS = Registry('latent codec', scope=SCOPE, locations=['cclslr.mpm'])
