import pickle
import sys
import types

import pytest
import torch

import cclslr  # noqa: F401
from cclslr.utils import compat
from cclslr.utils.checkpoint import allow_mmengine_checkpoint_globals, load_plain_state_dict


def test_openmmlab_model_packages_import():
    import mmaction.models  # noqa: F401
    import mmpose.models  # noqa: F401
    from mmaction.registry import MODELS
    assert MODELS.get('ResNet3d') is not None


def test_mmcv_ext_standin_raises_only_when_called():
    ext = sys.modules['mmcv._ext']
    if not compat.is_standin(ext):
        pytest.skip('the real compiled mmcv is installed')
    fn = ext.nms  # attribute access works (mmcv.ops checks hasattr at import)
    with pytest.raises(NotImplementedError, match='mmcv-lite'):
        fn(None)
    # MMEngine must still see that compiled mmcv is absent (otherwise it would try to use its ops).
    from mmengine.utils.dl_utils import mmcv_full_available
    assert mmcv_full_available() is False


def test_standins_not_installed_when_real_module_present(monkeypatch):
    real = types.ModuleType('mmcv._ext')
    monkeypatch.setitem(sys.modules, 'mmcv._ext', real)
    installed = compat.apply_compat()
    assert 'mmcv._ext' not in installed
    assert sys.modules['mmcv._ext'] is real


def test_apply_compat_is_idempotent():
    assert compat.apply_compat() == []


def test_plain_state_dict_loads_tensors_and_strips_prefix(tmp_path):
    path = tmp_path / 'w.pth'
    torch.save({'state_dict': {'backbone.w': torch.ones(2), 'head.b': torch.zeros(1)}}, path)
    sd = load_plain_state_dict(str(path), prefix='backbone.')
    assert list(sd) == ['w'] and torch.equal(sd['w'], torch.ones(2))


class _Evil:
    def __reduce__(self):
        return (print, ('arbitrary code ran',))


def test_plain_state_dict_refuses_arbitrary_objects(tmp_path):
    path = tmp_path / 'evil.pth'
    with open(path, 'wb') as f:
        pickle.dump({'w': _Evil()}, f)
    with pytest.raises(RuntimeError, match='evil.pth: refused'):
        load_plain_state_dict(str(path))


def test_plain_state_dict_refuses_urls_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match='only local'):
        load_plain_state_dict('https://example.com/w.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_plain_state_dict(str(tmp_path / 'nope.pth'))


def test_mmengine_checkpoint_loads_weights_only_after_allow_list(tmp_path):
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('compat-test')
    hub.update_scalar('train/loss', 1.5)
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'message_hub': hub.state_dict()}, path)
    allow_mmengine_checkpoint_globals()
    ckpt = torch.load(path, weights_only=True)
    assert ckpt['message_hub']['log_scalars']['train/loss'].current() == 1.5
