"""--cfg-options checks (cclslr/utils/launch.py): documented arguments pass quietly, typos are named."""
import pytest
from mmengine.config import Config

from cclslr.utils.launch import apply_cfg_options


def _cfg():
    return Config(dict(
        model=dict(type='SignRecognizer', num_classes=4,
                   pose_encoder=dict(type='PoseEncoder', d_model=64)),
        train_dataloader=dict(dataset=dict(type='WLASLDataset', ann_file='a.json', subset=100)),
        custom_hooks=[dict(type='KNNEvalHook', dataloader=None)]))


@pytest.mark.parametrize('key', [
    'model.init_from',                 # SignRecognizer's own argument, absent from the config
    'model.pose_encoder.dropout',      # PoseEncoder's
    'train_dataloader.dataset.on_error',  # BaseISLRDataset's, reached through WLASLDataset's **kwargs
    'train_dataloader.dataset.data_root',  # MMEngine BaseDataset's, two **kwargs further up
    'custom_hooks.0.eval_before_train',
])
def test_documented_arguments_do_not_warn(key, capsys):
    cfg = apply_cfg_options(_cfg(), {key: 'x'})
    assert 'check the spelling' not in capsys.readouterr().out
    assert cfg[key.split('.')[0]] is not None


@pytest.mark.parametrize('key, component', [
    ('model.init_fron', 'SignRecognizer'),
    ('model.pose_encoder.dropuot', 'PoseEncoder'),
    ('train_dataloader.dataset.subsett', 'WLASLDataset'),
    ('custom_hooks.0.intreval', 'KNNEvalHook'),
])
def test_typos_still_warn(key, component, capsys):
    apply_cfg_options(_cfg(), {key: 'x'})
    out = capsys.readouterr().out
    assert f'adds a new key "{key}"' in out and component in out and 'check the spelling' in out


def test_unknown_parent_is_an_error():
    with pytest.raises(KeyError, match='no entry "model.rgb_encoder"'):
        apply_cfg_options(_cfg(), {'model.rgb_encoder.depth': 18})
