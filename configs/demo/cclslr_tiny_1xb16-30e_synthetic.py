# CCL-SLR pre-training on the synthetic demo set (tools/data/make_synthetic_signs.py), sized to run on
# one CPU in a few minutes: the same algorithm and pipeline as the paper's config, with small encoders
# (R3D-18 at 16 base channels, a 1-block pose encoder), 16 frames at 64x64, a queue of 128, AdamW and a
# milder temporal crop (see below). Two departures from the paper (docs/method.md, "Beyond the
# paper"): the RGB encoder sees frame differences (FrameDifference) and the SPM term is off. With RGB
# frames the small RGB encoder learns the signers' rooms and clothes instead of the signs; with the SPM
# term's sigmoid BCE the projections collapse into a cone at this scale. The paper-size configs keep
# both as the paper has them.
#   python tools/data/make_synthetic_signs.py data/synthetic_demo && python tools/train.py THIS_CONFIG
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/synthetic_demo'
clip_len = 16
img_size = 64

model = dict(
    type='CCLSLR',
    rgb_encoder=dict(
        type='RGBEncoder',
        backbone=dict(type='mmaction.ResNet3d', depth=18, pretrained=None, pretrained2d=False,
                      base_channels=16, inflate=(1, 1, 1, 1), inflate_style='3x3x3',
                      conv1_kernel=(3, 7, 7), conv1_stride_t=1, pool1_stride_t=1, norm_eval=False)),
    pose_encoder=dict(type='PoseEncoder', group_channels=64, gcn_channels=(32, 64), d_model=64,
                      num_layers=1, num_heads=4, dropout=0.0),
    feat_dim=64,
    # 8 batches of keys, 8/9 of an epoch: many queries still meet their own key of the previous epoch
    # as a negative; smaller queues did not do better (docs/notes/demo_experiments.md).
    queue_size=128,
    momentum=0.99,
    loss_cl=dict(type='InfoNCELoss', temperature=0.07),
    spm_head=dict(type='SPMHead', topk=5, loss=dict(type='SPMLoss', temperature=0.02)),
    # The paper's terms without SPM: at this scale its sigmoid BCE collapses the projections into a cone
    # (docs/notes/demo_experiments.md). Its head stays configured for `--cfg-options model.losses.spm=1`.
    losses=dict(cl=1.0, spm=0.0, cross=1.0),
    # The R3D-18's BatchNorm3d in the key encoder normalises 2 shuffled groups of 8 clips on their own
    # (MoCo's SplitBatchNorm): 8 clips per group, the paper's per-GPU batch.
    shuffle_bn=dict(type='ShuffleBN', num_splits=2),
    data_preprocessor=dict(
        type='SignDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))

_view = [
    # The synthetic signs are short and cyclic: a crop of half the clip can show another part of the
    # movement than its partner view, so the two views of one clip stop looking alike. The paper's
    # l = 0.1 suits long real clips with idle frames; the demo keeps at least 80% of the clip.
    dict(type='PairedTemporalCrop', clip_len=clip_len, min_ratio=0.8),
    dict(type='DecodeFrames'),
    dict(type='MotionMask', cache_root=f'{data_root}/mpm_masks', prob=0.2, on_missing='pass'),
    dict(type='SignRandomResizedCrop', size=img_size, area_range=(0.5, 1.0)),
    dict(type='SignFlip', prob=0.5),
    dict(type='SignColorJitter'),
    # Last RGB step, after MPM, crop, flip and jitter: static background and clothes cancel out.
    dict(type='FrameDifference'),
    dict(type='PoseNormalize'),
    dict(type='PoseRandomAffine'),
    dict(type='PoseJointMask'),
    dict(type='SelectKeypoints'),
]
pretrain_pipeline = [
    dict(type='DecordInit'),
    dict(type='LoadPose'),
    dict(type='MultiView', num_views=2, transforms=_view),
    dict(type='PackSignInputs', modalities=('rgb', 'pose')),
]
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=clip_len, test_mode=True),
    dict(type='DecodeFrames'),
    dict(type='SignResize', scale=img_size, keep_ratio=True),  # short side; aspect kept
    dict(type='SignCenterCrop', size=img_size),
    dict(type='FrameDifference'),
    dict(type='PoseNormalize'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputs', modalities=('rgb', 'pose')),
]
_synthetic = dict(
    type='WLASLDataset', ann_file=f'{data_root}/WLASL_v0.3.json', subset=None,
    data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'))

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    drop_last=True,
    dataset=dict(_synthetic, split='train', unlabelled=True, pipeline=pretrain_pipeline))

# AdamW rather than the paper's SGD: at these tiny sizes and ~300 iterations, SGD at lr 0.02 drives the
# Transformer pose encoder to collapse (the MoCo loss rises to log(N); docs/notes/demo_experiments.md),
# while AdamW at 1e-3 learns. The paper-size configs keep the paper's SGD schedule.
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=30, eta_min=1e-5)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=30)

# k-NN top-1 (memory bank: the labelled training clips; queries: the test signers) and cross-modal
# retrieval, before training and every 10 epochs.
_knn_loader = dict(batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                   collate_fn=dict(type='default_collate'))
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='KNNEvalHook', interval=10, k=10, eval_before_train=True,
         dataloader=dict(_knn_loader, dataset=dict(_synthetic, split='train', pipeline=test_pipeline)),
         query_dataloader=dict(_knn_loader, dataset=dict(_synthetic, split='test',
                                                         pipeline=test_pipeline))),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='AtomicCheckpointHook', interval=10, max_keep_ckpts=1))
