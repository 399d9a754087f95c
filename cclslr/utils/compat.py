"""Stand-ins for the known breakages of the OpenMMLab stack (see docs/install.md).

Each stand-in is installed into ``sys.modules`` only when the real module is missing, and must be in place
before ``mmaction.models`` / ``mmpose.models`` are imported. :func:`apply_compat` is idempotent and is
called by ``import cclslr``.

1. ``mmcv._ext`` (mmcv-lite has no compiled ops): a module whose every function raises
   ``NotImplementedError`` when *called*, so that importing files that mention ``mmcv.ops`` works and
   only models that really run those ops fail, with a message that says how to get them.
2. ``mmaction.models.localizers.drn`` (missing from the mmaction2 1.2.0 wheel, upstream issue #2714).
3. ``mmpose.visualization.simcc_vis`` (imports torchvision, which does not import beside torch 2.13).
"""
import importlib.machinery
import importlib.util
import os.path as osp
import sys
import types

_STANDIN_ATTR = '__cclslr_standin__'


def _standin(name: str, reason: str, getattr_fn=None, **attrs) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__doc__ = f'cclslr stand-in: {reason}'
    setattr(mod, _STANDIN_ATTR, reason)
    mod.__path__ = []  # a package, so that submodule imports resolve to further stand-ins if needed
    # A spec without a loader: importlib.util.find_spec() works on it, and pkgutil.find_loader() returns
    # None, so MMEngine's mmcv_full_available() still (rightly) reports that compiled mmcv is absent.
    mod.__spec__ = importlib.machinery.ModuleSpec(name, loader=None, is_package=True)
    if getattr_fn is not None:
        mod.__getattr__ = getattr_fn
    for key, value in attrs.items():
        setattr(mod, key, value)
    sys.modules[name] = mod
    return mod


def is_standin(module: types.ModuleType) -> bool:
    """Whether ``module`` is one of cclslr's stand-ins rather than the real thing."""
    return hasattr(module, _STANDIN_ATTR)


def _package_dir(name: str):
    """Directory of an installed top-level package without importing it (``None`` if absent)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def _mmcv_ext_missing() -> bool:
    if 'mmcv._ext' in sys.modules:
        return False
    mmcv_dir = _package_dir('mmcv')
    if mmcv_dir is None:
        return False  # no mmcv at all: nothing imports mmcv.ops
    return importlib.util.find_spec('mmcv._ext') is None


def _mmcv_ext_getattr(fn_name):
    if fn_name.startswith('__'):
        raise AttributeError(fn_name)

    def _unavailable(*args, **kwargs):
        raise NotImplementedError(
            f'mmcv op `{fn_name}` needs the compiled mmcv (mmcv-lite is installed). Build it with '
            '`MMCV_WITH_OPS=1 MAX_JOBS=2 pip install --no-build-isolation --no-deps mmcv==2.1.0` '
            '(about 17 minutes on 2 cores), or choose a model that does not use mmcv.ops.')

    _unavailable.__name__ = fn_name
    return _unavailable


def apply_compat() -> list:
    """Install the stand-ins that are needed here. Returns the names of those installed now."""
    installed = []
    if _mmcv_ext_missing():
        _standin('mmcv._ext', 'mmcv-lite has no compiled ops', getattr_fn=_mmcv_ext_getattr)
        installed.append('mmcv._ext')

    mmaction_dir = _package_dir('mmaction')
    drn = 'mmaction.models.localizers.drn'
    if (mmaction_dir is not None and drn not in sys.modules
            and not osp.isdir(osp.join(mmaction_dir, 'models', 'localizers', 'drn'))):
        # mmaction/models/localizers/__init__.py does `from .drn.drn import DRN`.
        _standin(drn, 'missing from the mmaction2 1.2.0 release (#2714)')
        _standin(drn + '.drn', 'missing from the mmaction2 1.2.0 release (#2714)',
                 DRN=type('DRN', (), {'__doc__': 'unavailable: missing from mmaction2 1.2.0'}))
        installed.append(drn)

    simcc = 'mmpose.visualization.simcc_vis'
    if (_package_dir('mmpose') is not None and simcc not in sys.modules
            and importlib.util.find_spec('torchvision') is None):
        class SimCCVisualizer:
            """Unavailable: mmpose's SimCC visualiser needs torchvision."""

            def __init__(self, *args, **kwargs):
                raise NotImplementedError('SimCCVisualizer needs torchvision, which is not installed')

        _standin(simcc, 'needs torchvision', SimCCVisualizer=SimCCVisualizer)
        installed.append(simcc)
    return installed
