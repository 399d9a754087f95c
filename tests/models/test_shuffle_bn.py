"""ShuffleBN: the key encoder's BatchNorm sees shuffled groups, the keys come back in their clips' rows."""
import copy
import os
import sys

import pytest
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
import torch.nn as nn

from cclslr.models.utils import ShuffleBN, batch_norms
from cclslr.registry import MODELS

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'engine'))
from ccl_tiny_parts import build_tiny_model  # noqa: E402

BATCH = 4  # per rank in the two-process test; the one-process form sees 2 * BATCH


@MODELS.register_module(force=True)
class TinyBNEncoder(nn.Module):
    """(N, 3, T, H, W) -> (N, 4): a 1x1x1 conv, BatchNorm3d, global mean (batch-coupled in train mode)."""

    def __init__(self, out_channels: int = 4):
        super().__init__()
        self.out_channels = out_channels
        self.conv = nn.Conv3d(3, out_channels, 1)
        self.bn = nn.BatchNorm3d(out_channels)

    def forward(self, x):
        return self.bn(self.conv(x)).mean(dim=(2, 3, 4)) + self.conv(x).amax(dim=(2, 3, 4))


def _clips(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    # Per-clip offsets so that group statistics really differ between groups.
    return torch.randn(n, 3, 2, 3, 3, generator=g) + torch.arange(n, dtype=torch.float)[:, None, None, None,
                                                                                           None]


def _inputs(n, seed):
    g = torch.Generator().manual_seed(seed)
    return {'rgb': [_clips(n, seed) for _ in range(2)],
            'pose': [torch.randn(n, 2, 4, 3, generator=g) for _ in range(2)],
            'pose_mask': [torch.ones(n, 2, dtype=torch.bool)] * 2}


def _model(**kwargs):
    torch.manual_seed(0)
    return build_tiny_model(rgb_encoder=dict(type='TinyBNEncoder'), queue_size=16, **kwargs)


def test_config_errors():
    with pytest.raises(ValueError, match='num_splits'):
        ShuffleBN(num_splits=0)
    encoder = TinyBNEncoder().train()
    with pytest.raises(ValueError, match='drop_last'):
        ShuffleBN(num_splits=4)(encoder, _clips(3))


def test_encoders_without_batch_norm_are_called_directly():
    linear = nn.Linear(3, 2)
    x = torch.randn(5, 3)
    state = torch.get_rng_state()
    assert torch.equal(ShuffleBN(num_splits=2)(linear, x), linear(x))
    assert torch.equal(torch.get_rng_state(), state)  # no permutation drawn
    model = _model()
    assert batch_norms(model.key_encoders['rgb']) and not batch_norms(model.key_encoders['pose'])


def test_eval_mode_keys_equal_unshuffled_keys():
    """With BN on running stats the shuffle must be invisible: row i is clip i."""
    inputs = _inputs(6, seed=1)
    on, off = _model(), _model(shuffle_bn=None)
    assert off.shuffle_bn is None and on.shuffle_bn.num_splits == 2
    on.eval()
    off.eval()
    keys_on, keys_off = on.extract_key(inputs), off.extract_key(inputs)
    for m in ('rgb', 'pose'):
        for kind in ('g', 'f'):
            assert torch.equal(keys_on[m][kind], keys_off[m][kind]), (m, kind)


def test_train_mode_groups_are_normalised_from_their_own_clips():
    encoder = TinyBNEncoder().train()
    x = _clips(8)
    reference = copy.deepcopy(encoder)
    torch.manual_seed(3)
    perm = torch.randperm(8)
    torch.manual_seed(3)
    out = ShuffleBN(num_splits=2)(encoder, x)
    assert out.shape == (8, 4)
    with torch.no_grad():
        for group in perm.tensor_split(2):
            expected = copy.deepcopy(reference)(x[group])  # BN statistics of these 4 clips only
            assert torch.allclose(out[group], expected, atol=1e-6)
        full = copy.deepcopy(reference)(x)
    # Normalised over the whole batch, the keys differ: the groups really had their own statistics.
    assert (out - full).abs().max() > 1e-2
    # Running stats: one update per step, to the mean of the groups' updates (MoCo's SplitBatchNorm).
    bn, m = reference.bn, reference.bn.momentum
    conv = reference.conv(x).detach()
    means = [conv[g].mean(dim=(0, 2, 3, 4)) for g in perm.tensor_split(2)]
    vars_ = [conv[g].transpose(0, 1).flatten(1).var(dim=1, unbiased=True) for g in perm.tensor_split(2)]
    assert torch.allclose(encoder.bn.running_mean, (1 - m) * bn.running_mean + m * torch.stack(means).mean(0),
                          atol=1e-6)
    assert torch.allclose(encoder.bn.running_var, (1 - m) * bn.running_var + m * torch.stack(vars_).mean(0),
                          atol=1e-5)
    assert encoder.bn.num_batches_tracked.item() == 1


def _worker(rank, world_size, init_file, out_dir):
    torch.set_num_threads(1)
    torch_dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=world_size)
    try:
        model = _model()  # seeds 0: same weights, queues and RNG stream on both ranks
        model.train()  # BN on batch statistics: the shuffle matters
        model.loss(_inputs(BATCH, seed=10 + rank))
        torch.save({k: v.clone() for k, v in model.state_dict().items() if k.startswith('queues')},
                   os.path.join(out_dir, f'rank{rank}.pth'))
        torch_dist.barrier()
    finally:
        torch_dist.destroy_process_group()


def test_two_ranks_enqueue_the_keys_of_the_one_process_form(tmp_path):
    if not torch_dist.is_available() or not torch_dist.is_gloo_available():
        pytest.skip('torch.distributed with gloo is not available')
    mp.spawn(_worker, args=(2, str(tmp_path / 'init'), str(tmp_path)), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f'rank{r}.pth', weights_only=True) for r in range(2)]

    # One process, the same global batch (rank 0's clips, then rank 1's) in 2 groups, the same seed.
    parts = [_inputs(BATCH, seed=10 + r) for r in range(2)]
    inputs = {k: [torch.cat([parts[0][k][v], parts[1][k][v]]) for v in range(2)] for k in parts[0]}
    single = _model(shuffle_bn=dict(type='ShuffleBN', num_splits=2))
    single.train()
    single.loss(inputs)
    unshuffled = _model(shuffle_bn=None)
    unshuffled.train()
    unshuffled.loss(inputs)
    expected = {k: v for k, v in single.state_dict().items() if k.startswith('queues')}
    for r in range(2):
        assert ranks[r]['queues.ptr'].item() == 2 * BATCH
        for name, value in expected.items():
            assert torch.allclose(ranks[r][name], value, atol=1e-5), (r, name)
    # Against the unshuffled one-process keys the RGB keys differ (other BN groups), the pose keys do not.
    plain = unshuffled.state_dict()
    assert not torch.allclose(plain['queues.g_rgb'][:2 * BATCH], expected['queues.g_rgb'][:2 * BATCH],
                              atol=1e-3)
    assert torch.allclose(plain['queues.g_pose'], expected['queues.g_pose'], atol=1e-6)
