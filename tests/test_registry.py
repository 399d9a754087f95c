import pytest
from mmengine.registry import MODELS as MMENGINE_MODELS

from cclslr import registry


@pytest.mark.parametrize('name', ['RUNNERS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS', 'DATASETS', 'DATA_SAMPLERS',
                                  'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
                                  'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
                                  'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
                                  'FUNCTIONS'])
def test_child_registries_have_parent_scope_and_locations(name):
    reg = getattr(registry, name)
    assert reg.scope == 'cclslr'
    assert reg.parent is not None and reg.parent.scope == 'mmengine'
    assert reg._locations and all(loc.startswith('cclslr') for loc in reg._locations)


@pytest.mark.parametrize('name', ['VISUALIZERS', 'VISBACKENDS'])
def test_visualisation_registries_resolve_mmengine_builtins_under_the_cclslr_scope(name):
    import mmengine.visualization  # noqa: F401  (registers MMEngine's visualizers and backends)
    from mmengine.registry import DefaultScope
    reg = getattr(registry, name)
    assert reg.scope == 'cclslr' and reg.parent.scope == 'mmengine'
    with DefaultScope.overwrite_default_scope('cclslr'):
        assert reg.get('Visualizer' if name == 'VISUALIZERS' else 'LocalVisBackend') is not None


def test_mmengine_builtins_resolve_through_parent():
    import torch
    opt = registry.OPTIMIZERS.build(dict(type='SGD', lr=0.1, params=[torch.nn.Parameter(torch.ones(1))]))
    assert isinstance(opt, torch.optim.SGD)


def test_cross_scope_mmaction_backbone_builds():
    import torch
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('cclslr'):
        net = registry.MODELS.build(dict(type='mmaction.ResNet3dSlowOnly', depth=18, pretrained=None,
                                         base_channels=8, in_channels=3))
    out = net(torch.zeros(1, 3, 4, 32, 32))
    assert out.shape[:2] == (1, 64)
    assert registry.MODELS.parent is MMENGINE_MODELS


def test_register_all_modules_sets_default_scope():
    from mmengine.registry import DefaultScope

    from cclslr.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'cclslr'
