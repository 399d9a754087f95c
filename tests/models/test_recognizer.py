import pytest
import torch
import torch.nn.functional as F
from mmengine.logging.history_buffer import HistoryBuffer

from cclslr.models.recognizers import SignRecognizer
from cclslr.registry import MODELS
from cclslr.structures import SignDataSample

POSE = dict(type='PoseEncoder', group_channels=8, gcn_channels=(), d_model=8, num_layers=1, num_heads=2,
            dropout=0.0)
RGB = dict(type='RGBEncoder', backbone=dict(type='mmaction.ResNet3dSlowOnly', depth=18, pretrained=None,
                                            pretrained2d=False, lateral=False, conv1_kernel=(1, 7, 7),
                                            inflate=(0, 0, 1, 1), base_channels=8))
NUM_CLASSES = 5


def batch(n=2, t=4):
    torch.manual_seed(1)
    inputs = {'rgb': [torch.randn(n, 3, t, 32, 32)], 'pose': [torch.randn(n, t, 75, 3)],
              'pose_mask': [torch.ones(n, t, dtype=torch.bool)]}
    samples = [SignDataSample().set_gt_label(i % NUM_CLASSES) for i in range(n)]
    return inputs, samples


def build(**kwargs):
    torch.manual_seed(0)
    cfg = dict(type='SignRecognizer', num_classes=NUM_CLASSES, rgb_backbone=RGB, pose_backbone=POSE)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_modes_fused():
    model = build().eval()
    inputs, samples = batch()
    logits = model(inputs, mode='tensor')
    assert set(logits) == {'rgb', 'pose'} and logits['rgb'].shape == (2, NUM_CLASSES)
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_rgb', 'loss_pose', 'top1_rgb', 'top1_pose'}
    labels = torch.tensor([0, 1])
    assert torch.allclose(losses['loss_pose'], F.cross_entropy(logits['pose'], labels), atol=1e-6)
    preds = model(inputs, samples, mode='predict')
    expected = (logits['rgb'] + logits['pose']).softmax(-1)  # prediction = sum of the branch logits
    for ds, score in zip(preds, expected):
        assert torch.allclose(ds.pred_score, score, atol=1e-6)
        assert ds.pred_label.item() == score.argmax().item()
    # mmengine sums only the 'loss' keys
    parsed, log_vars = model.parse_losses(losses)
    assert torch.allclose(parsed, losses['loss_rgb'] + losses['loss_pose'])
    assert 'top1_rgb' in log_vars


def test_single_modality_and_first_view():
    inputs, samples = batch()
    pose_only = build(rgb_backbone=None).eval()
    assert 'rgb' not in pose_only.backbones and pose_only.modalities == ('pose',)
    assert set(pose_only(inputs, samples, mode='loss')) == {'loss_pose', 'top1_pose'}
    rgb_only = build(pose_backbone=None).eval()
    ref = rgb_only({'rgb': inputs['rgb']}, mode='tensor')['rgb']
    two_views = {'rgb': [inputs['rgb'][0], torch.zeros_like(inputs['rgb'][0])]}
    assert torch.allclose(rgb_only(two_views, mode='tensor')['rgb'], ref)
    with pytest.raises(KeyError, match="lack 'rgb'"):
        rgb_only({'pose': inputs['pose']}, mode='tensor')
    with pytest.raises(ValueError, match='at least one'):
        SignRecognizer(NUM_CLASSES)
    with pytest.raises(ValueError, match='rgb_head is given but rgb_backbone is None'):
        build(rgb_backbone=None, rgb_head=dict(dropout=0.5))
    with pytest.raises(TypeError, match='list over views'):
        rgb_only({'rgb': inputs['rgb'][0]}, mode='tensor')


def test_head_options_and_backward():
    model = build(pose_head=dict(dropout=0.5, label_smoothing=0.1), rgb_backbone=None)
    inputs, samples = batch()
    model.eval()
    logits = model(inputs, mode='tensor')['pose']
    loss = model(inputs, samples, mode='loss')['loss_pose']
    assert torch.allclose(loss, F.cross_entropy(logits, torch.tensor([0, 1]), label_smoothing=0.1))
    model.train()
    model(inputs, samples, mode='loss')['loss_pose'].backward()
    assert model.heads['pose'].fc.weight.grad.abs().sum() > 0
    bad = [SignDataSample().set_gt_label(-1), SignDataSample().set_gt_label(0)]
    with pytest.raises(ValueError, match='labels must lie'):
        model(inputs, bad, mode='loss')


def _pretrain_checkpoint(path, pose=POSE, extra=None):
    """A checkpoint as MMEngine's CheckpointHook writes it, from a real CCLSLR model."""
    torch.manual_seed(123)
    algo = MODELS.build(dict(type='CCLSLR', rgb_encoder=RGB, pose_encoder=pose, queue_size=16,
                             feat_dim=8, spm_head=dict(type='SPMHead', topk=2)))
    state = algo.state_dict()
    state.update(extra or {})
    hub = HistoryBuffer()
    hub.update(1.0)
    torch.save({'meta': {'epoch': 1, 'cfg': 'x'}, 'state_dict': state,
                'message_hub': {'log_scalars': {'train/loss': hub}}}, path)
    return state


def test_init_from_pretraining_checkpoint_copies_exactly(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    state = _pretrain_checkpoint(path)
    model = build(init_from=dict(checkpoint=str(path)))

    def check():
        for m in ('rgb', 'pose'):
            theirs = f'encoders.{m}.'
            for k, v in model.backbones[m].state_dict().items():
                assert torch.equal(v, state[theirs + k]), k

    check()
    head_before = model.heads['pose'].fc.weight.clone()
    model.init_weights()  # what MMEngine's Runner calls after building the model
    check()
    assert not torch.equal(model.heads['pose'].fc.weight, head_before)  # heads are (re-)initialised

    # Pose-only fine-tuning from the two-modality checkpoint.
    pose_only = build(rgb_backbone=None, init_from=dict(checkpoint=str(path)))
    proj = state['encoders.pose.manual.proj.weight']
    assert torch.equal(pose_only.backbones['pose'].manual.proj.weight, proj)
    # A bare path is the command-line shorthand (--cfg-options model.init_from=PATH).
    short = build(rgb_backbone=None, init_from=str(path))
    assert torch.equal(short.backbones['pose'].manual.proj.weight, proj)


def test_init_from_mismatch_errors(tmp_path):
    path = tmp_path / 'ckpt.pth'
    _pretrain_checkpoint(path, pose={**POSE, 'group_channels': 12})
    first = r"gcns\.hand\.layers\.0\.linear\.weight: checkpoint \(12, 3\) vs model \(8, 3\)"
    with pytest.raises(RuntimeError, match=r"ckpt\.pth.*shape mismatches: \['" + first):
        build(init_from=dict(checkpoint=str(path)))
    _pretrain_checkpoint(path, extra={'encoders.pose.extra.weight': torch.zeros(1)})
    with pytest.raises(RuntimeError, match=r"unexpected keys: \['extra\.weight'\]"):
        build(init_from=dict(checkpoint=str(path)))
    with pytest.raises(RuntimeError, match='no weights under prefix'):
        build(init_from=dict(checkpoint=str(path), prefix_map={'pose': 'student.'}),
              rgb_backbone=None)
    with pytest.raises(ValueError, match="unknown modality 'pose_backbone'"):
        build(init_from=dict(checkpoint=str(path), prefix_map={'pose_backbone': 'encoders.pose.'}))
    with pytest.raises(ValueError, match='init_from takes'):
        build(init_from=dict(path=str(path)))
    with pytest.raises(FileNotFoundError):
        build(init_from=dict(checkpoint=str(tmp_path / 'missing.pth')))


class _ClipList(torch.utils.data.Dataset):
    """Six packed RGB + pose samples, as PackSignInputs would give them."""

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.items = [dict(inputs={'rgb': [torch.randn(3, 4, 32, 32, generator=g)],
                                   'pose': [torch.randn(4, 75, 3, generator=g)]},
                           data_samples=SignDataSample().set_gt_label(i % 3)) for i in range(6)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def test_runner_keeps_loaded_encoder_and_evaluates(tmp_path):
    from mmengine.runner import Runner
    path = tmp_path / 'pre.pth'
    state = _pretrain_checkpoint(path)
    loader = dict(dataset=_ClipList(), batch_size=3, sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='default_collate'), num_workers=0)
    runner = Runner(
        model=dict(type='SignRecognizer', num_classes=3, rgb_backbone=RGB, pose_backbone=POSE,
                   init_from=dict(checkpoint=str(path)),
                   data_preprocessor=dict(type='SignDataPreprocessor', mean=(0, 0, 0), std=(1, 1, 1))),
        work_dir=str(tmp_path / 'work'), train_dataloader=loader, val_dataloader=loader,
        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1), val_cfg=dict(),
        val_evaluator=dict(type='ISLRAccuracy', topk=(1, 2)),
        # lr 0: the only way the encoder could change is the Runner's init_weights()
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0, momentum=0.9)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1, save_last=False)),
        default_scope='cclslr')
    runner.train()
    for m in ('rgb', 'pose'):
        # parameters only: BN running statistics do move in a training step, even at lr 0
        for k, v in runner.model.backbones[m].named_parameters():
            assert torch.equal(v, state[f'encoders.{m}.' + k]), k
    metrics = runner.val_loop.run()
    assert set(metrics) == {'top1_instance', 'top2_instance', 'top1_class', 'top2_class'}
    assert 0.0 <= metrics['top1_instance'] <= metrics['top2_instance'] <= 100.0
