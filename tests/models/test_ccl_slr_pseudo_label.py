"""CCLSLRPseudoLabel: the cross-modal pseudo-label term (beyond the paper) on top of CCLSLR."""
import copy

import pytest
import torch

from test_ccl_slr import build as build_ccl_slr
from test_ccl_slr import make_inputs

from cclslr.models.algorithms import CCLSLR, CCLSLRPseudoLabel

torch.set_num_threads(1)


def build(**kwargs):
    return build_ccl_slr(model_type=CCLSLRPseudoLabel, **kwargs)


def test_the_paper_model_has_no_pseudo_label_term():
    with pytest.raises(ValueError, match="unknown loss term 'pl'"):
        build_ccl_slr(losses=dict(pl=1.0))
    model = build(losses=dict(pl=0))
    assert isinstance(model, CCLSLR) and model.pl_modalities == ()
    assert not any(n.startswith(('pl_heads', 'kmeans')) for n in model.state_dict())


def test_pseudo_label_term_values_and_gradients():
    cfg = dict(losses=dict(pl=dict(rgb=1.0, pose=0.0)),
               pseudo_label=dict(num_clusters=3, temperature=0.5, seed=0))
    model = build(**cfg)
    assert model.pl_modalities == ('rgb',)
    assert model.pl_heads['rgb'].out_features == 3 and model.kmeans['pose'].centroids.shape == (3, 5)
    reference = copy.deepcopy(model)
    inputs = make_inputs(batch=4)
    losses = model.loss(inputs)
    assert {'loss_pl_rgb', 'pl_clusters_rgb'} <= set(losses) and 'loss_pl_pose' not in losses

    # By hand: k-means of the pose g queue before the step, the pose *keys* assigned to it, CE of the
    # RGB query's linear classifier at temperature 0.5.
    q = reference.extract_query(inputs)
    reference.momentum_update()
    k = reference.extract_key(inputs)
    bank = reference.queue('g', 'pose')
    reference.kmeans['pose'].update(bank)
    targets = reference.kmeans['pose'].assign(k['pose']['g'])
    expected = torch.nn.functional.cross_entropy(reference.pl_heads['rgb'](q['rgb']['g']) / 0.5, targets)
    assert losses['loss_pl_rgb'].item() == pytest.approx(expected.item(), rel=1e-5)
    assert losses['pl_clusters_rgb'].item() == targets.unique().numel()
    assert torch.equal(model.kmeans['pose'].centroids, reference.kmeans['pose'].centroids)

    # Only the RGB query encoder and the classifier learn from it; the pose side and keys do not.
    model.zero_grad()
    losses = model.loss(inputs)
    losses['loss_pl_rgb'].backward()
    assert model.pl_heads['rgb'].weight.grad.abs().sum() > 0
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.encoders['rgb'].parameters())
    assert all(p.grad is None for p in model.encoders['pose'].parameters())
    assert all(p.grad is None for p in model.key_encoders['rgb'].parameters())
    # The centroids are state: saved with the checkpoint.
    state = model.state_dict()
    assert 'kmeans.pose.centroids' in state and 'pl_heads.rgb.weight' in state


def test_pseudo_label_only_rgb_objective():
    # RGB taught only by the pose clusters: none of its contrastive terms computed.
    model = build(losses=dict(cl=dict(rgb=0), spm=dict(rgb=0), cross=dict(p2r=0), pl=dict(rgb=1, pose=0)),
                  pseudo_label=dict(num_clusters=2))
    out = model.loss(make_inputs(batch=4))
    assert {k for k in out if k.startswith('loss')} == {'loss_cl_pose', 'loss_spm_pose', 'loss_cross_r2p',
                                                        'loss_pl_rgb'}


def test_pseudo_label_config_errors():
    with pytest.raises(ValueError, match="'pl' loss needs both encoders"):
        build(pose_encoder=None, losses=dict(cross=0, pl=1.0))
    with pytest.raises(ValueError, match=r"unknown pseudo_label option\(s\) \['clusters'\]"):
        build(losses=dict(pl=1.0), pseudo_label=dict(clusters=4))
    with pytest.raises(ValueError, match='num_clusters=9 exceeds queue_size=8'):
        build(losses=dict(pl=1.0), pseudo_label=dict(num_clusters=9))
    with pytest.raises(ValueError, match='temperature must be > 0'):
        build(losses=dict(pl=1.0), pseudo_label=dict(temperature=0))
