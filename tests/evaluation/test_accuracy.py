import pytest
import torch
from mmengine.evaluator import Evaluator

from cclslr.evaluation.metrics import ISLRAccuracy
from cclslr.registry import METRICS
from cclslr.structures import SignDataSample


def sample(scores, label):
    return SignDataSample().set_gt_label(label).set_pred_score(torch.tensor(scores, dtype=torch.float32))


# 6 classes; classes 4 and 5 never appear in the split (ignored by per-class accuracy, not counted as 0).
SAMPLES = [
    ([0.9, 0.05, 0.02, 0.01, 0.01, 0.01], 0),   # class 0: ranked 1st
    ([0.5, 0.3, 0.1, 0.05, 0.04, 0.01], 1),     # class 1: ranked 2nd
    ([0.1, 0.7, 0.1, 0.05, 0.04, 0.01], 1),     # class 1: ranked 1st
    ([0.3, 0.25, 0.2, 0.0, 0.1, 0.15], 3),      # class 3: ranked 6th (misses top-5)
    ([0.4, 0.3, 0.2, 0.05, 0.04, 0.01], 2),     # class 2: ranked 3rd
]


def run_metric(metric, samples, batch_size=2):
    evaluator = Evaluator(metric)
    for i in range(0, len(samples), batch_size):
        evaluator.process([sample(s, y) for s, y in samples[i:i + batch_size]])
    return evaluator.evaluate(len(samples))


def test_hand_computed_top1_top5_instance_and_class():
    res = run_metric(METRICS.build(dict(type='ISLRAccuracy', topk=(1, 5))), SAMPLES)
    # instance: top-1 hits clips 0, 2 -> 2/5; top-5 hits all but clip 3 -> 4/5
    assert res['top1_instance'] == pytest.approx(40.0)
    assert res['top5_instance'] == pytest.approx(80.0)
    # classes present: 0, 1, 2, 3 (4 and 5 absent, ignored)
    # top-1 per class: c0 1, c1 1/2, c2 0, c3 0 -> 1.5/4
    assert res['top1_class'] == pytest.approx(37.5)
    # top-5 per class: c0 1, c1 1, c2 1, c3 0 -> 3/4 (would be 3/6 = 50 if absent classes counted as 0)
    assert res['top5_class'] == pytest.approx(75.0)


def test_instance_only_and_single_k():
    res = run_metric(ISLRAccuracy(topk=2, per_class=False), SAMPLES)
    assert res == {'top2_instance': pytest.approx(60.0)}  # clips 0, 1, 2


def test_k_larger_than_classes_and_prefix():
    samples = [([0.2, 0.8], 0), ([0.6, 0.4], 0)]
    res = run_metric(ISLRAccuracy(topk=(1, 5), prefix='wlasl'), samples)
    assert res['wlasl/top1_instance'] == pytest.approx(50.0)
    assert res['wlasl/top5_instance'] == pytest.approx(100.0)


def test_accepts_plain_dicts_and_rejects_bad_samples():
    metric = ISLRAccuracy(topk=(1,))
    metric.process(None, [{'pred_score': torch.tensor([0.1, 0.9]), 'gt_label': torch.tensor([1])}])
    assert metric.compute_metrics(metric.results) == {'top1_instance': 100.0, 'top1_class': 100.0}
    with pytest.raises(ValueError, match='label -1'):
        metric.process(None, [{'pred_score': torch.tensor([0.1, 0.9]), 'gt_label': torch.tensor([-1])}])
    with pytest.raises(KeyError, match='pred_score'):
        metric.process(None, [{'gt_label': torch.tensor([0])}])
    with pytest.raises(ValueError, match='positive'):
        ISLRAccuracy(topk=(0,))
