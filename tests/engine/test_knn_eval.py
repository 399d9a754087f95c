"""k-NN top-1, retrieval recall@1, knn_evaluate and the KNNEvalHook."""
import math
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate
from torch.utils.data import DataLoader

from ccl_tiny_parts import TinyTwoViewDataset, build_tiny_model
from cclslr.engine.hooks import KNNEvalHook
from cclslr.evaluation import knn_evaluate, knn_top1, retrieval_recall_at1


def test_knn_top1_leave_one_out_by_hand():
    bank = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [0.8, 0.2]])
    labels = torch.tensor([0, 0, 1, 1, 1])
    # 1-NN leave-one-out: 0->1 (0 ok), 1->0 (0 ok), 2->3 (1 ok), 3->2 (1 ok), 4->1 (0, wrong): 4/5
    assert knn_top1(bank, labels, k=1) == pytest.approx(80.0)
    # With k=4 every other clip votes; clip 0's votes: class 0 from clip 1, class 1 from clips 2, 3, 4
    # weighted by exp(cos / T): class 0 weight exp(cos(0,1)/T) beats the sum for class 1 at T=0.07.
    cos = torch.nn.functional.normalize(bank, dim=1) @ torch.nn.functional.normalize(bank, dim=1).t()
    w0 = math.exp(cos[0, 1] / 0.07)
    w1 = sum(math.exp(cos[0, j] / 0.07) for j in (2, 3, 4))
    assert w0 > w1
    # A query split against the bank.
    query = torch.tensor([[0.0, 1.0], [1.0, 0.05]])
    assert knn_top1(bank, labels, query, torch.tensor([1, 1]), k=1) == pytest.approx(50.0)


def test_retrieval_recall_at1():
    source = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    target = torch.tensor([[0.9, 0.1], [0.6, 0.8], [0.1, 0.9]])
    # nearest targets: 0 -> 0 (hit), 1 -> 2 (miss), 2 -> 1 (miss)
    assert retrieval_recall_at1(source, target) == pytest.approx(100.0 / 3)
    assert retrieval_recall_at1(target, target) == pytest.approx(100.0)


def loader(num=9):
    return DataLoader(TinyTwoViewDataset(num=num, views=1), batch_size=4, collate_fn=default_collate)


def test_knn_evaluate_keys_ranges_and_no_side_effects():
    torch.manual_seed(0)
    model = build_tiny_model()
    model.train()
    random.seed(3)
    np.random.seed(3)
    torch.manual_seed(3)
    metrics = knn_evaluate(model, loader(), k=3)
    assert set(metrics) == {'top1_rgb', 'top1_pose', 'top1_fused', 'recall1_pose2rgb', 'recall1_rgb2pose'}
    assert all(0.0 <= v <= 100.0 for v in metrics.values())
    # The tiny clips are separable by their means: even random linear encoders find the class.
    assert metrics['top1_fused'] > 50.0
    # Mode and every RNG are left as found (evaluating must not change the course of training).
    assert model.training
    assert random.random() == random.Random(3).random()
    np_expected = np.random.RandomState(3).rand()
    assert np.random.rand() == np_expected
    assert torch.equal(torch.rand(3), torch.rand(3, generator=torch.Generator().manual_seed(3)))

    with_query = knn_evaluate(model, loader(9), loader(6), k=1)
    assert set(with_query) == set(metrics)


def test_knn_evaluate_single_modality_and_unlabelled():
    model = build_tiny_model(rgb_encoder=None, losses=dict(cross=0))
    assert set(knn_evaluate(model, loader(), k=1)) == {'top1_pose'}


class _FakeRunner:
    """The parts of a Runner that KNNEvalHook uses."""

    def __init__(self, model, epoch, iter_, max_iters):
        from mmengine.logging import MessageHub, MMLogger
        from mmengine.visualization import Visualizer
        self.model, self.epoch, self.iter, self.max_iters = model, epoch, iter_, max_iters
        self.seed = 0
        self.message_hub = MessageHub.get_instance('knn-test')
        self.logger = MMLogger.get_instance('knn-test')
        self.visualizer = Visualizer.get_instance('knn-test')


def test_hook_interval_and_logging():
    model = build_tiny_model()
    hook = KNNEvalHook(loader(), interval=2, by_epoch=False, k=1)
    runner = _FakeRunner(model, 0, 0, max_iters=5)
    hook.before_train(runner)
    assert hook.last_metrics == {}
    calls = []
    for it in range(5):
        runner.iter = it
        hook.last_metrics = {}
        hook.after_train_iter(runner, it)
        calls.append(bool(hook.last_metrics))
    # every_n_train_iters looks at iter + 1: evaluations after iterations 2, 4 and the last (5).
    assert calls == [False, True, False, True, True]
    assert set(hook.last_metrics) == {'knn/top1_rgb', 'knn/top1_pose', 'knn/top1_fused',
                                      'knn/recall1_pose2rgb', 'knn/recall1_rgb2pose'}
    assert runner.message_hub.get_scalar('knn/top1_pose').current() == hook.last_metrics['knn/top1_pose']
    with pytest.raises(ValueError, match='interval'):
        KNNEvalHook(loader(), interval=0)


def _epoch_runner(tmp_path, hook_cfg: dict, max_epochs: int = 3):
    from mmengine.runner import Runner
    cfg = dict(
        model=dict(type='CCLSLR', rgb_encoder=dict(type='TinyRGBEncoderE'),
                   pose_encoder=dict(type='TinyPoseEncoderE'), feat_dim=4, queue_size=12, momentum=0.9,
                   spm_head=dict(type='SPMHead', topk=2),
                   data_preprocessor=dict(type='SignDataPreprocessor', mean=(0, 0, 0), std=(1, 1, 1))),
        work_dir=str(tmp_path),
        experiment_name=f'knn_{tmp_path.name}',
        train_dataloader=dict(dataset=dict(type='TinyTwoViewDataset', num=8),
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='default_collate'), batch_size=4, num_workers=0),
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=100)),
        custom_hooks=[dict(type='KNNEvalHook', dataloader=loader(), k=1, **hook_cfg)],
        randomness=dict(seed=0), default_scope='cclslr', log_level='INFO')
    return Runner(**cfg)


def _knn_lines(runner):
    import re
    log = open(runner.logger.handlers[-1].baseFilename).read()
    return re.findall(r'k-NN eval \(epoch (\d+), iter (\d+)\)', log)


def test_hook_names_the_epoch_of_its_checkpoint(tmp_path):
    """After epoch N the log says "epoch N, iter <iterations done>", as the checkpoint epoch_N.pth does
    (it said N - 1: MMEngine counts the epoch only after the after_train_epoch hooks)."""
    runner = _epoch_runner(tmp_path, dict(interval=1, eval_before_train=True))
    runner.train()
    assert sorted(p.name for p in tmp_path.glob('epoch_*.pth')) == ['epoch_1.pth', 'epoch_2.pth',
                                                                    'epoch_3.pth']
    # Before training: nothing done; then 2 iterations (8 clips / 4) per epoch.
    assert _knn_lines(runner) == [('0', '0'), ('1', '2'), ('2', '4'), ('3', '6')]


def test_hook_by_iteration_counts_done_iterations(tmp_path):
    runner = _epoch_runner(tmp_path, dict(interval=4, by_epoch=False), max_epochs=3)
    runner.train()
    # Evaluated after the 4th iteration and at the end (the 6th), in epochs 2 and 3.
    assert _knn_lines(runner) == [('2', '4'), ('3', '6')]
