"""Two CPU processes (gloo): every rank enqueues the keys of both ranks, in rank order."""
import os

import pytest
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp

BATCH = 3


def _inputs(rank):
    g = torch.Generator().manual_seed(100 + rank)  # different clips on each rank
    return {'rgb': [torch.randn(BATCH, 3, 2, 4, 4, generator=g) for _ in range(2)],
            'pose': [torch.randn(BATCH, 2, 4, 3, generator=g) for _ in range(2)],
            'pose_mask': [torch.ones(BATCH, 2, dtype=torch.bool)] * 2}


def _worker(rank, world_size, init_file, out_dir):
    torch.set_num_threads(1)
    torch_dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=world_size)
    try:
        from ccl_tiny_parts import build_tiny_model
        from cclslr.models.utils import concat_all_gather

        torch.manual_seed(0)  # same initial weights and queues on both ranks, as with a shared seed
        # With the pseudo-label term: its k-means must agree across ranks without communicating.
        model = build_tiny_model(type='CCLSLRPseudoLabel', queue_size=8,
                                 losses=dict(pl=dict(rgb=1.0, pose=0.0)), pseudo_label=dict(num_clusters=3))
        model.eval()  # no dropout: the keys recomputed below equal the enqueued ones
        inputs = _inputs(rank)
        losses = model.loss(inputs)
        own_keys = model.extract_key(inputs)  # no EMA step in between: the keys this step enqueued
        gathered = concat_all_gather(torch.full((2, 1), float(rank)))
        state = {k: v.clone() for k, v in model.state_dict().items() if k.startswith('queue')}
        model.loss(_inputs(rank + 2))  # a second step: k-means over the queue holding both ranks' keys
        centroids = model.kmeans['pose'].centroids.clone()
        torch.save(dict(state=state, centroids=centroids,
                        keys={m: {kind: t for kind, t in d.items()} for m, d in own_keys.items()},
                        losses={k: v.item() for k, v in losses.items()}, gathered=gathered),
                   os.path.join(out_dir, f'rank{rank}.pth'))
        # Both ranks leave together: a rank that tears gloo down while its peer still talks to it
        # aborts the peer ("terminate called without an active exception"; seen once in CI).
        torch_dist.barrier()
    finally:
        torch_dist.destroy_process_group()


def test_two_ranks_enqueue_both_ranks_keys(tmp_path):
    if not torch_dist.is_available() or not torch_dist.is_gloo_available():
        pytest.skip('torch.distributed with gloo is not available')
    mp.spawn(_worker, args=(2, str(tmp_path / 'init'), str(tmp_path)), nprocs=2, join=True)
    res = [torch.load(tmp_path / f'rank{r}.pth', weights_only=True) for r in range(2)]
    assert res[0]['gathered'].flatten().tolist() == [0.0, 0.0, 1.0, 1.0]
    for r in range(2):
        state = res[r]['state']
        assert state['queues.ptr'].item() == 2 * BATCH  # the global batch was written
        for m in ('rgb', 'pose'):
            for kind in ('g', 'f'):
                expected = torch.cat([res[0]['keys'][m][kind], res[1]['keys'][m][kind]])
                written = state[f'queues.{kind}_{m}'][:2 * BATCH]
                assert torch.allclose(written, expected, atol=1e-6), (r, m, kind)
        # Both ranks hold identical queues.
        for name, value in state.items():
            assert torch.equal(value, res[0]['state'][name]), name
    # The second step clustered the same gathered queue on both ranks: identical centroids.
    assert torch.equal(res[0]['centroids'], res[1]['centroids'])
    assert torch.allclose(res[0]['centroids'].norm(dim=1), torch.ones(3))
    # Different data on each rank -> different losses (the ranks really computed separately).
    assert res[0]['losses']['loss_cl_rgb'] != res[1]['losses']['loss_cl_rgb']
