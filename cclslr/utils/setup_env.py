"""Registration entry point, in the OpenMMLab form."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every cclslr package that registers components, and set ``cclslr`` as default scope.

    Args:
        init_default_scope: make ``cclslr`` the current default scope, so that ``type='WLASLDataset'``
            resolves in cclslr's registries. If another scope is current, a new ``cclslr`` scope instance
            is created (with a warning), as MMAction2/MMPretrain do.
    """
    import cclslr.datasets  # noqa: F401
    import cclslr.datasets.transforms  # noqa: F401
    import cclslr.engine  # noqa: F401
    import cclslr.evaluation  # noqa: F401
    import cclslr.models  # noqa: F401
    import cclslr.mpm  # noqa: F401

    if not init_default_scope:
        return
    never_created = (DefaultScope.get_current_instance() is None
                     or not DefaultScope.check_instance_created('cclslr'))
    if never_created:
        DefaultScope.get_instance('cclslr', scope_name='cclslr')
        return
    current = DefaultScope.get_current_instance()
    if current.scope_name != 'cclslr':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "cclslr"; '
                      'register_all_modules forces it to "cclslr".')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'cclslr-{stamp}', scope_name='cclslr')
