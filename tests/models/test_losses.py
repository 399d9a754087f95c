"""The contrastive and SPM losses against small examples computed by hand."""
import math

import pytest
import torch

from cclslr.models.losses import (InfoNCELoss, SPMLoss, info_nce, spm_loss, spm_nce_loss, spm_targets,
                                  union_targets)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def test_info_nce_by_hand():
    q = torch.tensor([[1.0, 0.0]])
    k = torch.tensor([[0.6, 0.8]])
    queue = torch.tensor([[0.0, 1.0], [-1.0, 0.0], [0.8, 0.6]])
    tau = 0.07
    # -log(e^{q.k/t} / (e^{q.k/t} + sum_s e^{q.s/t})), q.k = 0.6, q.s = 0, -1, 0.8
    num = math.exp(0.6 / tau)
    expected = -math.log(num / (num + math.exp(0.0) + math.exp(-1.0 / tau) + math.exp(0.8 / tau)))
    assert info_nce(q, k, queue, tau).item() == pytest.approx(expected, rel=1e-5)
    assert InfoNCELoss(tau, loss_weight=2.0)(q, k, queue).item() == pytest.approx(2 * expected, rel=1e-5)


def test_info_nce_averages_over_the_batch():
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    k = torch.tensor([[1.0, 0.0], [0.0, -1.0]])
    queue = torch.tensor([[0.0, 1.0]])
    tau = 0.5
    l0 = -math.log(math.exp(2.0) / (math.exp(2.0) + math.exp(0.0)))
    l1 = -math.log(math.exp(-2.0) / (math.exp(-2.0) + math.exp(2.0)))
    assert info_nce(q, k, queue, tau).item() == pytest.approx((l0 + l1) / 2, rel=1e-5)


def test_info_nce_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match='info_nce'):
        info_nce(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(4, 2))


def test_spm_targets_topk_and_union():
    g_q = torch.tensor([[1.0, 0.0]])
    queue_g = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [-1.0, 0.0]])
    y_rgb = spm_targets(g_q, queue_g, topk=2)
    assert y_rgb.tolist() == [[1.0, 0.0, 1.0, 0.0]]  # similarities 1, 0, 0.6, -1
    y_pose = spm_targets(torch.tensor([[0.0, 1.0]]), queue_g, topk=2)
    assert y_pose.tolist() == [[0.0, 1.0, 1.0, 0.0]]  # similarities 0, 1, 0.8, 0
    # The union keeps a slot mined by either modality, once.
    assert union_targets([y_rgb, y_pose]).tolist() == [[1.0, 1.0, 1.0, 0.0]]
    with pytest.raises(ValueError, match='exceeds the queue size'):
        spm_targets(g_q, queue_g, topk=5)


def test_spm_loss_by_hand():
    f_q = torch.tensor([[1.0, 0.0]])
    queue_f = torch.tensor([[0.0, 1.0], [-1.0, 0.0], [0.8, 0.6]])
    y = torch.tensor([[1.0, 0.0, 1.0]])
    tau = 0.02
    # BCE(sigmoid(z), y) = softplus(z) - y * z with z = q.s / tau; mean over the 3 slots.
    zs = [0.0 / tau, -1.0 / tau, 0.8 / tau]
    expected = sum(_softplus(z) - t * z for z, t in zip(zs, [1.0, 0.0, 1.0])) / 3
    assert spm_loss(f_q, queue_f, y, tau).item() == pytest.approx(expected, rel=1e-5)
    assert SPMLoss(tau)(f_q, None, queue_f, y).item() == pytest.approx(expected, rel=1e-5)
    # The logits reach +-50 here: a naive log(sigmoid) would give inf, the logits form stays finite.
    assert torch.isfinite(spm_loss(f_q, -queue_f, y, tau))
    with pytest.raises(ValueError, match='spm_loss'):
        spm_loss(f_q, queue_f, torch.zeros(1, 4), tau)


def test_spm_nce_loss_by_hand():
    f_q = torch.tensor([[1.0, 0.0]])
    key = torch.tensor([[0.6, 0.8]])
    queue_f = torch.tensor([[0.0, 1.0], [-1.0, 0.0], [0.8, 0.6]])
    y = torch.tensor([[0.0, 0.0, 1.0]])
    tau = 0.5
    # Positives: the own key (q.k = 0.6) and slot 2 (0.8); negatives: slots 0 (0.0) and 1 (-1.0).
    e = {name: math.exp(v / tau) for name, v in dict(k=0.6, s0=0.0, s1=-1.0, s2=0.8).items()}
    expected = -math.log((e['k'] + e['s2']) / sum(e.values()))
    assert spm_nce_loss(f_q, key, queue_f, y, tau).item() == pytest.approx(expected, rel=1e-5)
    # No mined slot: the term is plain InfoNCE.
    none = torch.zeros(1, 3)
    assert spm_nce_loss(f_q, key, queue_f, none, tau).item() == pytest.approx(
        info_nce(f_q, key, queue_f, tau).item(), rel=1e-5)
    # Raising every logit of the row by the same amount leaves it unchanged (the BCE form does not):
    # emulate it with a direction shared by the key and every queue row.
    lift = torch.tensor([[0.0, 0.0, 1.0]])
    pad = lambda x: torch.cat([x, torch.zeros(x.shape[0], 1)], dim=1)  # noqa: E731
    q3 = pad(f_q)
    shifted = spm_nce_loss(q3, pad(key), pad(queue_f), y, tau)
    q_lift = q3 + lift  # q.s rises by 1 for every s that also gets the lift
    assert spm_nce_loss(q_lift, pad(key) + lift, pad(queue_f) + lift, y, tau).item() == pytest.approx(
        shifted.item(), rel=1e-5)
    with pytest.raises(ValueError, match='spm_nce_loss'):
        spm_nce_loss(f_q, key, queue_f, torch.zeros(1, 4), tau)
