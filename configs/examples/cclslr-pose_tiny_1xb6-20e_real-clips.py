# Pose-only CCL-SLR pre-training on your own clips: keypoints from tools/data/extract_keypoints.py
# (MediaPipe or MMPose), no video decoded. CCL-SLR with only its pose encoder: the per-modality
# contrastive term L_cl alone (SPM off as in the demo; the cross-modal term needs RGB). The demo's tiny
# pose encoder, 16 frames. As shipped it reads the 18 real WLASL clips of ../shared/data/videos
# (docs/keypoints.md "From your videos to a trained model"); for your data set data_root and ann_file.
#   python tools/train.py configs/examples/cclslr-pose_tiny_1xb6-20e_real-clips.py
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/real_clips'  # <data_root>/poses/<video name>.pkl; the videos are not read
ann_file = '{{fileDirname}}/real_clips_wlasl18.txt'  # "<video> <label>" lines (labels unused here)
clip_len = 16
# The backend the pose files came from (the inference API warns when it extracts with another one).
keypoint_source = 'mediapipe'

model = dict(
    type='CCLSLR',
    pose_encoder=dict(type='PoseEncoder', group_channels=64, gcn_channels=(32, 64), d_model=64,
                      num_layers=1, num_heads=4, dropout=0.0),
    feat_dim=64,
    queue_size=36,  # 6 batches of keys: 2 epochs of these 18 clips
    momentum=0.99,
    loss_cl=dict(type='InfoNCELoss', temperature=0.07),
    spm_head=dict(type='SPMHead', topk=5, loss=dict(type='SPMLoss', temperature=0.02)),
    losses=dict(cl=1.0, spm=0.0, cross=0.0),
    data_preprocessor=dict(type='SignDataPreprocessor', modalities=('pose', )))

_view = [
    dict(type='PairedTemporalCrop', clip_len=clip_len, min_ratio=0.5),
    dict(type='SignFlip', prob=0.5),
    dict(type='PoseNormalize'),
    dict(type='PoseRandomAffine'),
    dict(type='PoseJointMask'),
    dict(type='SelectKeypoints'),
]
train_dataloader = dict(
    batch_size=6,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    drop_last=True,
    dataset=dict(type='SignListDataset', ann_file=ann_file, unlabelled=True,
                 data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'),
                 pipeline=[dict(type='LoadPose'), dict(type='MultiView', num_views=2, transforms=_view),
                           dict(type='PackSignInputs', modalities=('pose', ))]))

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=20, eta_min=1e-5)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=3),
    checkpoint=dict(type='AtomicCheckpointHook', interval=20, max_keep_ckpts=1))
