"""CCLSLR: queues, EMA, loss terms and their switches, gradients, predict; with tiny encoders."""
import copy

import pytest
import torch
import torch.nn as nn

from cclslr.models.algorithms import CCLSLR
from cclslr.models.losses import info_nce, spm_loss, spm_nce_loss
from cclslr.models.utils import enqueue_lockstep, feature_spread
from cclslr.registry import MODELS

torch.set_num_threads(1)


@MODELS.register_module(force=True)
class TinyRGBEncoderT(nn.Module):
    """(N, 3, T, H, W) -> (N, out_channels): a Linear over the pooled colour."""

    def __init__(self, out_channels: int = 6):
        super().__init__()
        self.out_channels = out_channels
        self.fc = nn.Linear(3, out_channels)

    def forward(self, x):
        return self.fc(x.mean(dim=(2, 3, 4)))


@MODELS.register_module(force=True)
class TinyPoseEncoderT(nn.Module):
    """(N, T, J, 3), (N, T) -> (N, out_channels): masked mean over time, then a Linear."""

    def __init__(self, num_joints: int = 4, out_channels: int = 5):
        super().__init__()
        self.out_channels = out_channels
        self.fc = nn.Linear(num_joints * 3, out_channels)

    def forward(self, pose, mask=None):
        w = torch.ones(pose.shape[:2]) if mask is None else mask.float()
        pooled = (pose * w[..., None, None]).sum(1) / w.sum(1).clamp(min=1)[:, None, None]
        return self.fc(pooled.flatten(1))


def build(queue_size=8, model_type=CCLSLR, **kwargs):
    cfg = dict(rgb_encoder=dict(type='TinyRGBEncoderT'), pose_encoder=dict(type='TinyPoseEncoderT'),
               feat_dim=4, queue_size=queue_size, momentum=0.9, spm_head=dict(type='SPMHead', topk=2))
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = model_type(**cfg)
    model.init_weights()
    return model


def make_inputs(batch=2, seed=1):
    g = torch.Generator().manual_seed(seed)
    return {'rgb': [torch.randn(batch, 3, 2, 4, 4, generator=g) for _ in range(2)],
            'pose': [torch.randn(batch, 3, 4, 3, generator=g) for _ in range(2)],
            'pose_mask': [torch.ones(batch, 3, dtype=torch.bool) for _ in range(2)]}


def test_enqueue_lockstep_wraps_around():
    q_a, q_b = torch.zeros(5, 1), torch.zeros(5, 2)
    ptr = torch.zeros(1, dtype=torch.long)
    for step in range(3):
        ids = torch.tensor([[10.0 * step], [10.0 * step + 1]])
        enqueue_lockstep([q_a, q_b], ptr, [ids, ids.repeat(1, 2)])
    # Steps write slots (0, 1), (2, 3), (4, 0): the last write wraps around and overwrites slot 0.
    assert q_a[:, 0].tolist() == [21.0, 1.0, 10.0, 11.0, 20.0]
    assert torch.equal(q_b, q_a.repeat(1, 2))  # lockstep: same clip in the same slot
    assert ptr.item() == 1
    with pytest.raises(ValueError, match='do not fit'):
        enqueue_lockstep([q_a], ptr, [torch.zeros(6, 1)])
    with pytest.raises(ValueError, match='lockstep'):
        enqueue_lockstep([q_a, torch.zeros(4, 2)], ptr, [torch.zeros(2, 1), torch.zeros(2, 2)])


def test_buffers_and_key_branch():
    model = build()
    names = dict(model.named_buffers())
    for m, d in (('rgb', 6), ('pose', 5)):
        assert names[f'queues.g_{m}'].shape == (8, d) and model.queue('g', m) is names[f'queues.g_{m}']
        assert names[f'queues.f_{m}'].shape == (8, 4)
        assert torch.allclose(names[f'queues.f_{m}'].norm(dim=1), torch.ones(8))
    assert names['queues.ptr'].tolist() == [0]
    # The key branch starts as a copy of the query branch and is out of the optimiser.
    for p_q, p_k in zip(model.encoders['rgb'].parameters(), model.key_encoders['rgb'].parameters()):
        assert torch.equal(p_q, p_k) and not p_k.requires_grad
    trainable = {'.'.join(n.split('.')[:2]) for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'encoders.rgb', 'heads.rgb', 'encoders.pose', 'heads.pose'}
    state = model.state_dict()
    assert 'key_heads.pose.mlp.0.weight' in state and 'queues.g_pose' in state and 'queues.ptr' in state


def test_momentum_update_numbers():
    model = build()
    for p in model.encoders['pose'].parameters():
        nn.init.constant_(p, 1.0)
    for p in model.key_encoders['pose'].parameters():
        nn.init.constant_(p, 0.0)
    model.momentum_update()
    key_pose = model.key_encoders['pose']
    assert all(torch.allclose(p, torch.full_like(p, 0.1)) for p in key_pose.parameters())
    model.momentum_update()  # 0.9 * 0.1 + 0.1 * 1
    assert all(torch.allclose(p, torch.full_like(p, 0.19)) for p in key_pose.parameters())


def test_loss_values_order_and_lockstep_enqueue():
    model = build()
    reference = copy.deepcopy(model)
    inputs = make_inputs()
    losses = model.loss(inputs)
    assert set(losses) == {'loss_cl_rgb', 'loss_cl_pose', 'loss_spm_rgb', 'loss_spm_pose',
                           'loss_cross_r2p', 'loss_cross_p2r', 'spread_f_rgb', 'spread_f_pose'}
    # The spread monitor is logged but not optimised: MMEngine sums only the keys containing "loss".
    total, log_vars = model.parse_losses(losses)
    assert total.item() == pytest.approx(sum(v.item() for k, v in losses.items() if k.startswith('loss')))
    assert 'spread_f_rgb' in log_vars and not losses['spread_f_rgb'].requires_grad

    # Recompute by hand in MoCo's order: queries, EMA, keys, losses vs the queues before enqueue.
    q = reference.extract_query(inputs)
    reference.momentum_update()
    k = reference.extract_key(inputs)
    qf = {m: reference.queue('f', m) for m in ('rgb', 'pose')}
    sim = {m: q[m]['g'] @ reference.queue('g', m).t() for m in ('rgb', 'pose')}
    y = torch.zeros(2, 8)
    for m in ('rgb', 'pose'):  # union of each modality's top-2 slots
        for row in range(2):
            y[row, sim[m][row].argsort(descending=True)[:2]] = 1.0
    expected = {
        'loss_cl_rgb': info_nce(q['rgb']['f'], k['rgb']['f'], qf['rgb']),
        'loss_cl_pose': info_nce(q['pose']['f'], k['pose']['f'], qf['pose']),
        'loss_spm_rgb': spm_loss(q['rgb']['f'], qf['rgb'], y),
        'loss_spm_pose': spm_loss(q['pose']['f'], qf['pose'], y),
        'loss_cross_r2p': info_nce(q['pose']['f'], k['rgb']['f'], qf['rgb']),
        'loss_cross_p2r': info_nce(q['rgb']['f'], k['pose']['f'], qf['pose']),
    }
    for name, value in expected.items():
        assert losses[name].item() == pytest.approx(value.item(), rel=1e-5), name
    for m in ('rgb', 'pose'):
        assert losses[f'spread_f_{m}'].item() == pytest.approx(feature_spread(q[m]['f']).item(), rel=1e-5)
    assert 2 < y.sum(1).min() <= 4  # the union is larger than either top-2 alone here

    # The keys went into slots 0 and 1 of all four queues; the rest is untouched.
    assert model.queues.ptr.item() == 2
    for m in ('rgb', 'pose'):
        for kind in ('g', 'f'):
            assert torch.allclose(model.queue(kind, m)[:2], k[m][kind], atol=1e-6)
            assert torch.equal(model.queue(kind, m)[2:], reference.queue(kind, m)[2:])


def test_softmax_spm_loss_uses_the_key_and_the_mined_slots():
    model = build(spm_head=dict(type='SPMHead', topk=2, loss=dict(type='SPMSoftmaxLoss', temperature=0.2)))
    reference = copy.deepcopy(model)
    inputs = make_inputs()
    losses = model.loss(inputs)
    q = reference.extract_query(inputs)
    reference.momentum_update()
    k = reference.extract_key(inputs)
    y = torch.zeros(2, 8)
    for m in ('rgb', 'pose'):
        sim = q[m]['g'] @ reference.queue('g', m).t()
        for row in range(2):
            y[row, sim[row].argsort(descending=True)[:2]] = 1.0
    for m in ('rgb', 'pose'):
        expected = spm_nce_loss(q[m]['f'], k[m]['f'], reference.queue('f', m), y, 0.2)
        assert losses[f'loss_spm_{m}'].item() == pytest.approx(expected.item(), rel=1e-5)
        assert losses[f'loss_spm_{m}'].item() != pytest.approx(
            spm_loss(q[m]['f'], reference.queue('f', m), y, 0.2).item(), rel=1e-3)


def test_pointer_wraps_in_the_model():
    model = build(queue_size=5)
    for _ in range(3):
        model.loss(make_inputs())
    assert model.queues.ptr.item() == 1  # 3 steps of 2 keys in 5 slots


@pytest.mark.parametrize('losses,modalities,expected', [
    (dict(spm=0, cross=0), ('rgb', 'pose'), {'loss_cl_rgb', 'loss_cl_pose'}),
    (dict(cross=0), ('rgb', 'pose'), {'loss_cl_rgb', 'loss_cl_pose', 'loss_spm_rgb', 'loss_spm_pose'}),
    (dict(cl=0, spm=0), ('rgb', 'pose'), {'loss_cross_r2p', 'loss_cross_p2r'}),
    (dict(cross=0), ('pose',), {'loss_cl_pose', 'loss_spm_pose'}),
    (dict(cross=False, spm=None), ('rgb',), {'loss_cl_rgb'}),
])
def test_switching_terms_off(losses, modalities, expected):
    kwargs = dict(losses=losses)
    if 'rgb' not in modalities:
        kwargs['rgb_encoder'] = None
    if 'pose' not in modalities:
        kwargs['pose_encoder'] = None
    model = build(**kwargs)
    assert model.modalities == modalities
    out = model.loss(make_inputs())
    assert {k for k in out if k.startswith('loss')} == expected
    assert {k for k in out if not k.startswith('loss')} == {f'spread_f_{m}' for m in modalities}
    assert ('rgb' in model.key_encoders) == ('rgb' in modalities)
    assert ('g_pose' in model.queues.names) == ('pose' in modalities)


def test_weights_scale_terms():
    a = build().loss(make_inputs())
    b = build(losses=dict(cl=2.0, spm=0.5)).loss(make_inputs())
    assert b['loss_cl_rgb'].item() == pytest.approx(2 * a['loss_cl_rgb'].item(), rel=1e-5)
    assert b['loss_spm_pose'].item() == pytest.approx(0.5 * a['loss_spm_pose'].item(), rel=1e-5)


def test_config_errors():
    with pytest.raises(ValueError, match='unknown loss term'):
        build(losses=dict(single=1.0))
    with pytest.raises(ValueError, match="'cross' loss needs both"):
        build(rgb_encoder=None)
    with pytest.raises(ValueError, match='rgb_encoder, pose_encoder or both'):
        build(rgb_encoder=None, pose_encoder=None)
    with pytest.raises(ValueError, match='every loss term'):
        build(losses=dict(cl=0, spm=0, cross=0))
    with pytest.raises(KeyError, match='SPMFocalLoss'):
        build(spm_head=dict(type='SPMHead', loss=dict(type='SPMFocalLoss')))
    with pytest.raises(ValueError, match='topk=9 exceeds queue_size=8'):
        build(spm_head=dict(type='SPMHead', topk=9))
    one_view = {k: v[:1] for k, v in make_inputs().items()}
    with pytest.raises(ValueError, match=r"view 1 of 'rgb' requested but the inputs hold 1 view"):
        build().loss(one_view)
    with pytest.raises(TypeError, match='list over views'):
        build().loss({'rgb': torch.zeros(2, 3, 2, 4, 4), 'pose': torch.zeros(2, 3, 4, 3),
                      'pose_mask': torch.ones(2, 3, dtype=torch.bool)})
    with pytest.raises(KeyError, match="lack 'pose_mask'"):
        build().loss({k: v for k, v in make_inputs().items() if k != 'pose_mask'})


def test_gradients_reach_only_the_query_branch():
    model = build()
    losses = model.loss(make_inputs())
    sum(losses.values()).backward()
    for query, key in ((model.encoders, model.key_encoders), (model.heads, model.key_heads)):
        for m in ('rgb', 'pose'):
            grads = [p.grad for p in query[m].parameters()]
            assert all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads), m
            assert all(p.grad is None for p in key[m].parameters())
    assert not any(b.requires_grad for b in model.buffers())


def test_predict_and_tensor_modes():
    model = build().eval()
    inputs = {k: v[:1] for k, v in make_inputs().items()}
    samples = model(inputs, mode='predict')
    assert len(samples) == 2
    assert samples[0].rgb_embedding.shape == (6,) and samples[0].pose_embedding.shape == (5,)
    assert samples[1].pose_projection.shape == (4,)
    assert samples[0].rgb_embedding.norm().item() == pytest.approx(1.0, abs=1e-5)
    out = model(inputs, mode='tensor')
    assert set(out) == {'rgb_embedding', 'pose_embedding', 'rgb_projection', 'pose_projection'}
    assert torch.allclose(out['rgb_embedding'][1], samples[1].rgb_embedding)
    with pytest.raises(ValueError, match='invalid mode'):
        model(inputs, mode='bogus')


def test_per_term_weights():
    out = build(losses=dict(cl=dict(rgb=0), cross=dict(p2r=0.5), spm=dict(pose=2.0))).loss(make_inputs())
    ref = build().loss(make_inputs())
    assert {k for k in out if k.startswith('loss')} == {
        'loss_cl_pose', 'loss_spm_rgb', 'loss_spm_pose', 'loss_cross_r2p', 'loss_cross_p2r'}
    # Untouched terms keep weight 1; the first step's losses do not depend on the other terms.
    assert out['loss_cl_pose'].item() == pytest.approx(ref['loss_cl_pose'].item(), rel=1e-5)
    assert out['loss_cross_p2r'].item() == pytest.approx(0.5 * ref['loss_cross_p2r'].item(), rel=1e-5)
    assert out['loss_spm_pose'].item() == pytest.approx(2 * ref['loss_spm_pose'].item(), rel=1e-5)
    assert out['loss_spm_rgb'].item() == pytest.approx(ref['loss_spm_rgb'].item(), rel=1e-5)
    with pytest.raises(ValueError, match=r"unknown term\(s\) \['depth'\] in losses\['cl'\]"):
        build(losses=dict(cl=dict(depth=1.0)))
    with pytest.raises(ValueError, match=r"unknown term\(s\) \['rgb'\] in losses\['cross'\]"):
        build(losses=dict(cross=dict(rgb=1.0)))


class DotLoss(nn.Module):
    """A stand-in contrastive loss with the InfoNCELoss interface: minus the mean query . key."""

    def forward(self, query, key, queue):
        return -(query * key).sum(1).mean()


def test_contrastive_loss_is_built_from_the_config():
    MODELS.register_module(module=DotLoss, force=True)
    model = build(loss_cl=dict(type='DotLoss'), losses=dict(spm=0))
    reference = copy.deepcopy(model)
    losses = model.loss(make_inputs())
    q = reference.extract_query(make_inputs())
    reference.momentum_update()
    k = reference.extract_key(make_inputs())
    expected = -(q['rgb']['f'] * k['rgb']['f']).sum(1).mean()
    assert losses['loss_cl_rgb'].item() == pytest.approx(expected.item(), rel=1e-5)
    # The cross-modal terms use the same loss module, across modalities.
    assert losses['loss_cross_r2p'].item() == pytest.approx(
        -(q['pose']['f'] * k['rgb']['f']).sum(1).mean().item(), rel=1e-5)
    assert isinstance(model.loss_cl, DotLoss)
