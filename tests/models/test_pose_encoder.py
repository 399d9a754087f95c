import pytest
import torch

from cclslr.structures.keypoint_layout import GROUP_SLICES
from cclslr.models.backbones import GroupGCN, PoseEncoder
from cclslr.models.backbones.gcn import normalized_adjacency
from cclslr.structures.keypoint_layout import GROUP_EDGES, GROUP_SIZES
from cclslr.registry import MODELS

TINY = dict(group_channels=16, gcn_channels=(8,), d_model=16, num_layers=1, num_heads=2, dropout=0.0)


def tiny_encoder(**kwargs):
    torch.manual_seed(0)
    enc = PoseEncoder(**{**TINY, **kwargs})
    # One training-mode pass fills the input normalisation's running statistics: in eval mode every clip
    # is then encoded independently of the rest of its batch.
    with torch.no_grad():
        enc.train()(torch.randn(4, 6, 75, 3))
    return enc.eval()


def test_input_norm_uses_valid_frames_only_and_balances_channel_scales():
    from cclslr.models.backbones.pose_encoder import MaskedDataNorm
    torch.manual_seed(0)
    norm = MaskedDataNorm(3, eps=1e-9).train()
    x = torch.randn(2, 5, 75, 3) * torch.tensor([0.1, 0.2, 1.0]) + torch.tensor([0.0, 0.0, 0.8])
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    padded = x.clone()
    padded[0, 3:] = 1e6  # padding must not move the statistics
    out = norm(padded, mask)
    assert torch.equal(out[0, 3:], torch.zeros(2, 75, 3))
    valid = out[mask]
    body = GROUP_SLICES['body']
    # Body points have their own statistics: zero mean, unit variance over the 8 valid frames.
    assert torch.allclose(valid[:, body].mean(0), torch.zeros(7, 3), atol=1e-5)
    assert torch.allclose(valid[:, body].std(0, unbiased=False), torch.ones(7, 3), atol=2e-3)
    # Left and right hand point i share statistics: normalised jointly over both hands' 16 values.
    lh, rh = GROUP_SLICES['left_hand'], GROUP_SLICES['right_hand']
    both = torch.cat([valid[:, lh], valid[:, rh]], 0)
    assert torch.allclose(both.mean(0), torch.zeros(21, 3), atol=1e-5)
    assert torch.allclose(both.std(0, unbiased=False), torch.ones(21, 3), atol=2e-3)
    assert int(norm.num_batches_tracked) == 1
    norm.eval()  # running statistics now: the first batch's, copied
    xb = x[mask][:, body]
    expected = (xb - xb.mean(0)) / torch.sqrt(xb.var(0) + 1e-9)  # running variance is the unbiased one
    assert torch.allclose(norm(x, mask)[mask][:, body], expected, atol=1e-4)


def test_shapes_and_registry():
    enc = MODELS.build(dict(type='PoseEncoder', **TINY)).eval()
    assert enc.out_channels == 32
    out = enc(torch.randn(3, 5, 75, 3), torch.ones(3, 5, dtype=torch.bool))
    assert out.shape == (3, 32)
    assert enc(torch.randn(2, 4, 75, 3)).shape == (2, 32)  # mask=None: all frames valid


def test_four_gcn_modules_and_graphs():
    enc = tiny_encoder()
    assert sorted(enc.gcns) == ['body', 'face', 'hand', 'mouth']
    for name, size in GROUP_SIZES.items():
        adj = normalized_adjacency(size, GROUP_EDGES[name])
        # Natural skeletons are connected trees/chains/rings: every node has a neighbour.
        assert ((adj > 0).sum(1) >= 2).all(), name
    assert len(HAND := GROUP_EDGES['hand']) == 20 and (0, 17) in HAND and (19, 20) in HAND
    assert len(GROUP_EDGES['mouth']) == 8 and (7, 0) in GROUP_EDGES['mouth']


def test_padding_with_garbage_is_masked_out():
    enc = tiny_encoder()
    pose = torch.randn(2, 6, 75, 3)
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]], dtype=torch.bool)
    ref = enc(pose, mask)
    garbage = pose.clone()
    garbage[1, 4:] = float('nan')
    garbage[1, 5, :10] = 1e6
    extra = torch.full((2, 3, 75, 3), 7.0)  # extra padded frames at the end, masked
    padded = torch.cat([garbage, extra], 1)
    padded_mask = torch.cat([mask, torch.zeros(2, 3, dtype=torch.bool)], 1)
    out = enc(padded, padded_mask)
    assert torch.allclose(out, ref, atol=1e-5)
    # Same result as the clip cut to its valid frames.
    assert torch.allclose(enc(pose[1:, :4]), ref[1:], atol=1e-5)


def test_all_invalid_clip_gives_zeros_not_nan():
    enc = tiny_encoder()
    pose = torch.randn(2, 4, 75, 3)
    mask = torch.tensor([[0, 0, 0, 0], [1, 1, 0, 1]], dtype=torch.bool)
    out = enc(pose, mask)
    assert torch.isfinite(out).all()
    assert torch.equal(out[0], torch.zeros(32))
    assert out[1].abs().sum() > 0
    enc.train()
    out = enc(pose, mask)
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in enc.parameters() if p.grad is not None)


def test_hands_share_one_gcn():
    enc = tiny_encoder()
    hand_params = sum(p.numel() for p in enc.gcns['hand'].parameters())
    total_gcn = sum(p.numel() for p in enc.gcns.parameters())
    assert total_gcn == sum(sum(p.numel() for p in m.parameters()) for m in enc.gcns.values())
    assert hand_params > 0
    pose = torch.randn(1, 3, 75, 3)
    swapped = pose.clone()
    lh, rh = GROUP_SLICES['left_hand'], GROUP_SLICES['right_hand']
    swapped[:, :, lh], swapped[:, :, rh] = pose[:, :, rh], pose[:, :, lh]
    a, b = enc.group_features(pose), enc.group_features(swapped)
    # The same weights encode both hands: swapping the hands swaps their features exactly.
    assert torch.allclose(a['left_hand'], b['right_hand'], atol=1e-6)
    assert torch.allclose(a['right_hand'], b['left_hand'], atol=1e-6)
    assert not torch.allclose(a['left_hand'], a['right_hand'])


def test_mirror_left_hand_negates_x_only():
    enc = tiny_encoder(mirror_left_hand=True)
    pose = torch.randn(1, 2, 75, 3)
    mirrored = pose.clone()
    lh, rh = GROUP_SLICES['left_hand'], GROUP_SLICES['right_hand']
    mirrored[:, :, rh] = pose[:, :, lh] * torch.tensor([-1.0, 1.0, 1.0])
    f = enc.group_features(mirrored)
    assert torch.allclose(f['left_hand'], f['right_hand'], atol=1e-6)


def test_hand_fusion_seam():
    enc = tiny_encoder()
    pose = torch.randn(2, 3, 75, 3)
    seen = []

    def fusion(nodes, side):
        seen.append((side, tuple(nodes.shape)))
        return nodes * 0 if side == 'left' else nodes

    feats = enc.group_features(pose, hand_fusion=fusion)
    assert seen == [('left', (2, 3, 21, 16)), ('right', (2, 3, 21, 16))]
    assert torch.equal(feats['left_hand'], torch.zeros(2, 3, 16))
    out = enc(pose, hand_fusion=fusion)
    assert torch.allclose(out, enc.temporal_encode(feats), atol=1e-6)
    assert not torch.allclose(out, enc(pose))
    with pytest.raises(ValueError, match='hand_fusion returned shape'):
        enc(pose, hand_fusion=lambda nodes, side: nodes[..., :3])


def test_learnable_adjacency_gets_gradient():
    enc = tiny_encoder()
    enc.train()
    enc(torch.randn(2, 3, 75, 3)).pow(2).sum().backward()
    refine = enc.gcns['hand'].layers[0].refine
    assert refine.grad is not None and refine.grad.abs().sum() > 0
    assert GroupGCN('body', learnable_adjacency=False).layers[0].refine is None


def test_learnable_position_encoding_and_order_sensitivity():
    enc = tiny_encoder(pos_encoding='learnable', max_len=8)
    pose = torch.randn(1, 4, 75, 3)
    assert not torch.allclose(enc(pose), enc(pose.flip(1)), atol=1e-4)  # time order matters
    with pytest.raises(ValueError, match='max_len'):
        enc(torch.randn(1, 9, 75, 3))


def test_bad_inputs_raise_clear_errors():
    enc = tiny_encoder()
    with pytest.raises(ValueError, match=r'\(N, T, 75, 3\)'):
        enc(torch.randn(1, 4, 133, 3))
    with pytest.raises(ValueError, match='mask of shape'):
        enc(torch.randn(1, 4, 75, 3), torch.ones(1, 5, dtype=torch.bool))
    bad = torch.randn(1, 4, 75, 3)
    bad[0, 1, 3, 0] = float('nan')
    with pytest.raises(ValueError, match='NaN'):
        enc(bad)
    with pytest.raises(ValueError, match='pos_encoding'):
        PoseEncoder(**{**TINY, 'pos_encoding': 'rope'})


def test_full_size_defaults():
    enc = PoseEncoder()
    assert enc.out_channels == 1024 and enc.group_channels == 512
    assert len(enc.manual.encoder.layers) == 3 and len(enc.non_manual.encoder.layers) == 3
    assert enc.manual.encoder.layers[0].self_attn.num_heads == 8
    assert enc.manual.proj.in_features == 1536 and enc.non_manual.proj.in_features == 1024
    n_params = sum(p.numel() for p in enc.parameters())
    assert 21.5e6 < n_params < 21.8e6  # documented in docs/models.md: 21.62 M


def test_input_norm_with_one_valid_frame_keeps_running_statistics():
    from cclslr.models.backbones.pose_encoder import MaskedDataNorm
    norm = MaskedDataNorm(3).train()
    mask = torch.tensor([[1, 0, 0]], dtype=torch.bool)
    out = norm(torch.randn(1, 3, 75, 3), mask)
    assert torch.isfinite(out).all()
    assert int(norm.num_batches_tracked) == 0  # one frame carries no statistics: nothing was recorded
    assert torch.equal(norm.running_var, torch.ones_like(norm.running_var))
