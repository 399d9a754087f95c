"""OnlineKMeans: recovers separated groups, keeps its cluster indices between steps, is deterministic."""
import pytest
import torch
import torch.nn.functional as F

from cclslr.models.utils import OnlineKMeans


def groups(n_per=6, dim=8, seed=0, offset=None):
    """Three tight groups around orthogonal directions plus a large shared component (a 'cone')."""
    g = torch.Generator().manual_seed(seed)
    common = torch.zeros(dim)
    common[-1] = 10.0 if offset is None else offset
    rows, labels = [], []
    for k in range(3):
        centre = torch.zeros(dim)
        centre[k] = 1.0
        rows.append(common + centre + 0.05 * torch.randn(n_per, dim, generator=g))
        labels += [k] * n_per
    return F.normalize(torch.cat(rows), dim=1), torch.tensor(labels)


def fit_assign(km, bank, rows):
    """One update on ``bank``, then the clusters of ``rows``."""
    km.update(bank)
    return km.assign(rows)


def same_partition(a, b):
    """True when two labelings group the items identically (up to renaming)."""
    return torch.equal(a[:, None] == a[None], b[:, None] == b[None])


def test_recovers_groups_inside_a_cone():
    x, labels = groups()
    assert (x @ x.t()).min() > 0.98  # raw rows all nearly parallel: centring is what separates them
    km = OnlineKMeans(3, 8, iters=10, seed=0)
    assign = fit_assign(km, x, x)
    assert same_partition(assign, labels)
    assert torch.allclose(km.centroids.norm(dim=1), torch.ones(3))
    assert bool(km.initialised)


def test_warm_start_keeps_indices():
    x, labels = groups()
    km = OnlineKMeans(3, 8, iters=10, seed=0)
    first = fit_assign(km, x, x)
    # Next step: the same groups in another order, new noise and a changed common part; cluster k still
    # means the same group (a fresh initialisation on these rows names the groups differently).
    y, _ = groups(seed=1, offset=12.0)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(1))
    y = y[perm]
    assert torch.equal(fit_assign(km, y, y), first[perm])
    fresh = OnlineKMeans(3, 8, iters=10, seed=0)
    renamed = fit_assign(fresh, y, y)
    assert same_partition(renamed, first[perm]) and not torch.equal(renamed, first[perm])


def test_empty_clusters_are_reseeded():
    # Centroids drawn from random rows (MoCo's initial queue) are all far from the real keys, which sit in
    # one small region: without re-seeding, the first centroid to be nearest takes every row.
    x, labels = groups()
    km = OnlineKMeans(3, 8, iters=10, seed=0)
    km.update(F.normalize(torch.randn(18, 8, generator=torch.Generator().manual_seed(7)), dim=1))
    assign = fit_assign(km, x, x)
    assert assign.unique().numel() == 3 and same_partition(assign, labels)
    # More clusters than groups: every cluster ends up with rows (the spare ones split a group).
    km5 = OnlineKMeans(5, 8, iters=10, seed=0)
    assign5 = fit_assign(km5, x, x)
    assert assign5.unique().numel() == 5
    assert all(len(labels[assign5 == k].unique()) == 1 for k in range(5))  # still pure


def test_deterministic_and_state_dict():
    x, _ = groups()
    a, b = OnlineKMeans(3, 8, seed=5), OnlineKMeans(3, 8, seed=5)
    a.update(x)
    b.update(x)
    assert torch.equal(a.centroids, b.centroids)
    c = OnlineKMeans(3, 8, seed=5)
    c.load_state_dict(a.state_dict())  # resumed: continues from the saved centroids, not a new draw
    assert bool(c.initialised) and torch.equal(c.centroids, a.centroids)


def test_errors():
    with pytest.raises(ValueError, match='num_clusters'):
        OnlineKMeans(1, 4)
    with pytest.raises(ValueError, match='iters'):
        OnlineKMeans(3, 4, iters=0)
    km = OnlineKMeans(3, 4)
    with pytest.raises(RuntimeError, match='before update'):
        km.assign(torch.randn(2, 4))
    with pytest.raises(ValueError, match=r'\(N, 4\)'):
        km.update(torch.randn(5, 3))
    with pytest.raises(ValueError, match='2 rows for 3 clusters'):
        km.update(torch.randn(2, 4))
