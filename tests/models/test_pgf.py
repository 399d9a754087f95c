"""Prior-guided fusion (docs/method.md §10): zero-gate identity, write-back at sampled frames only, sampling
coordinates, and the PGF recognizer matching the pose-only recognizer at initialisation."""
import copy

import pytest
import torch

from cclslr.registry import MODELS
from cclslr.utils import register_all_modules

register_all_modules()
torch.set_num_threads(1)

TINY_CNN = dict(type='CropEncoder', backbone=dict(type='mmaction.MobileNetV2', widen_factor=0.25,
                                                  pretrained=None), probe_size=32)
TINY_PGF = dict(type='PriorGuidedFusion', embed_dims=16, num_heads=2, num_points=2, crop_encoder=TINY_CNN)
TINY_POSE = dict(type='PoseEncoder', group_channels=16, gcn_channels=(8,), d_model=16, num_layers=1,
                 num_heads=2, dropout=0.0)


def _hand_batch(n=2, t=6, k=2, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    inds = torch.stack([torch.randperm(t, generator=g)[:k].sort().values for _ in range(n)])
    valid = torch.ones(n, k, dtype=torch.bool)
    valid[-1, -1] = False
    return dict(crops=torch.randn(n, k, 3, size, size, generator=g),
                kpts=torch.rand(n, k, 21, 2, generator=g), frame_inds=inds, valid=valid)


def test_zero_gate_is_identity_and_writes_back_only_at_sampled_frames():
    pgf = MODELS.build(TINY_PGF)
    nodes = torch.randn(2, 6, 21, 16)
    hands = _hand_batch()
    assert torch.equal(pgf(nodes, **hands), nodes)
    with torch.no_grad():
        pgf.gate.fill_(0.5)
    out = pgf(nodes, **hands)
    changed = (out - nodes).abs().flatten(2).amax(-1) > 1e-6      # (N, T)
    expected = torch.zeros(2, 6, dtype=torch.bool)
    for n in range(2):
        expected[n, hands['frame_inds'][n][hands['valid'][n]]] = True
    assert torch.equal(changed, expected)


def test_gate_learns_from_zero():
    pgf = MODELS.build(TINY_PGF)
    nodes = torch.randn(2, 6, 21, 16)
    pgf(nodes, **_hand_batch()).pow(2).sum().backward()
    assert pgf.gate.grad.abs().sum() > 0          # the gate moves at step 0 ...
    assert pgf.crop_encoder.proj[0].weight.grad.abs().sum() == 0  # ... the rest only once g != 0
    opt = torch.optim.SGD(pgf.parameters(), lr=0.1)
    opt.step()
    opt.zero_grad()
    pgf(nodes, **_hand_batch()).pow(2).sum().backward()
    assert pgf.crop_encoder.proj[0].weight.grad.abs().sum() > 0


def test_deformable_sampling_reads_the_map_at_the_keypoint():
    from cclslr.models.fusion.pgf import DeformableSampling
    ds = DeformableSampling(dims=4, num_heads=1, num_points=2)
    with torch.no_grad():
        ds.offsets.bias.zero_()                   # sample exactly at the keypoint
        for lin in (ds.value_proj, ds.out_proj):
            lin.weight.copy_(torch.eye(4))
            lin.bias.zero_()
    fmap = torch.zeros(1, 4, 4, 4)
    fmap[0, :, 1, 2] = torch.tensor([1., 2., 3., 4.])  # row 1, column 2
    # Cell (row 1, col 2) has its centre at x = 2.5 / 4, y = 1.5 / 4; the next cell right is empty.
    ref = torch.tensor([[[2.5 / 4, 1.5 / 4], [3.5 / 4, 1.5 / 4], [3.0 / 4, 1.5 / 4]]])
    out = ds(torch.randn(1, 3, 4), ref, fmap)
    torch.testing.assert_close(out[0, 0], torch.tensor([1., 2., 3., 4.]))
    torch.testing.assert_close(out[0, 1], torch.zeros(4))
    torch.testing.assert_close(out[0, 2], torch.tensor([.5, 1., 1.5, 2.]))


def test_pgf_rejects_bad_inputs():
    pgf = MODELS.build(TINY_PGF)
    hands = _hand_batch()
    with pytest.raises(ValueError, match='channels'):
        pgf(torch.randn(2, 6, 21, 8), **hands)
    bad = dict(hands, frame_inds=hands['frame_inds'] + 10)
    with pytest.raises(ValueError, match='out of range'):
        pgf(torch.randn(2, 6, 21, 16), **bad)
    with pytest.raises(ValueError, match='mismatched'):
        pgf(torch.randn(2, 6, 21, 16), **dict(hands, kpts=hands['kpts'][:1]))


def test_crop_encoder_map_size_with_resnet():
    resnet = dict(type='mmaction.ResNet', depth=18, pretrained=None)
    enc = MODELS.build(dict(type='CropEncoder', backbone=resnet, embed_dims=24, map_size=4, probe_size=64))
    assert enc(torch.randn(2, 3, 64, 64)).shape == (2, 24, 4, 4)
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        enc(torch.randn(2, 1, 64, 64))


def _inputs(n=3, t=6, k=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    hands = [_hand_batch(n, t, k, seed=seed + s) for s in range(2)]
    return dict(pose=[torch.randn(n, t, 75, 3, generator=g)], pose_mask=[torch.ones(n, t, dtype=torch.bool)],
                hand_crops=[torch.stack([h['crops'] for h in hands], 1)],
                hand_kpts=[torch.stack([h['kpts'] for h in hands], 1)],
                hand_frame_inds=[torch.stack([h['frame_inds'] for h in hands], 1)],
                hand_valid=[torch.stack([h['valid'] for h in hands], 1)])


@pytest.mark.parametrize('share_hands', [True, False])
def test_pgf_recognizer_equals_pose_only_at_init(share_hands):
    from cclslr.structures import SignDataSample
    torch.manual_seed(0)
    pose_only = MODELS.build(dict(type='SignRecognizer', num_classes=5, pose_backbone=TINY_POSE))
    pgf = MODELS.build(dict(type='PGFRecognizer', num_classes=5, pose_backbone=TINY_POSE,
                            pgf=dict(TINY_PGF), share_hands=share_hands))
    result = pgf.load_state_dict(pose_only.state_dict(), strict=False)
    assert not result.unexpected_keys and all(k.startswith('pgf.') for k in result.missing_keys)
    pose_only.eval()
    pgf.eval()
    inputs = _inputs()
    torch.testing.assert_close(pgf(inputs)['pose'], pose_only(inputs)['pose'], rtol=0, atol=0)
    samples = [SignDataSample().set_gt_label(i) for i in range(3)]
    loss_a = pgf(inputs, copy.deepcopy(samples), mode='loss')['loss_pose']
    loss_b = pose_only(inputs, copy.deepcopy(samples), mode='loss')['loss_pose']
    assert loss_a.item() == loss_b.item()
    # After PGF training steps (gate open) the two differ — the fusion path is live.
    pgf.train()
    opt = torch.optim.SGD(pgf.parameters(), lr=0.5)
    for _ in range(2):
        opt.zero_grad()
        pgf(inputs, copy.deepcopy(samples), mode='loss')['loss_pose'].backward()
        opt.step()
    pgf.eval()
    assert not torch.allclose(pgf(inputs)['pose'], pose_only(inputs)['pose'])
    # Without hand inputs the model is the pose-only path.
    no_hands = dict(pose=inputs['pose'], pose_mask=inputs['pose_mask'])
    assert pgf(no_hands)['pose'].shape == (3, 5)


def test_pgf_recognizer_needs_all_hand_keys():
    pgf = MODELS.build(dict(type='PGFRecognizer', num_classes=5, pose_backbone=TINY_POSE, pgf=dict(TINY_PGF)))
    inputs = _inputs()
    del inputs['hand_valid']
    with pytest.raises(KeyError, match='hand_valid'):
        pgf(inputs)
