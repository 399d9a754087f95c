import math

import pytest
import torch
import torch.nn.functional as F

from cclslr.models.utils import feature_spread


def test_collapsed_rows_give_zero():
    row = F.normalize(torch.randn(1, 16), dim=1)
    assert feature_spread(row.repeat(8, 1)).item() == pytest.approx(0.0, abs=1e-6)
    assert feature_spread(row).item() == 0.0  # a single row has no spread


def test_hand_computed_basis_vectors():
    # Rows e_1..e_4: each channel holds one 1 and three 0s -> std sqrt(3)/4, times sqrt(4) = sqrt(3)/2.
    assert feature_spread(torch.eye(4)).item() == pytest.approx(math.sqrt(3) / 2, rel=1e-6)


def test_uniform_directions_give_about_one_and_a_cone_much_less():
    torch.manual_seed(0)
    uniform = F.normalize(torch.randn(4096, 64), dim=1)
    assert feature_spread(uniform).item() == pytest.approx(1.0, abs=0.03)
    centre = F.normalize(torch.randn(1, 64), dim=1)
    cone = F.normalize(10 * centre + torch.randn(4096, 64), dim=1)  # pairwise cosine about 0.6
    assert feature_spread(cone).item() < 0.7


def test_rejects_non_matrix():
    with pytest.raises(ValueError, match=r'\(N, C\)'):
        feature_spread(torch.randn(2, 3, 4))
