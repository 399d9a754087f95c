# Pose-only fine-tuning on your own clips (keypoints from tools/data/extract_keypoints.py), from the
# pose-only pre-training of cclslr-pose_tiny_1xb6-20e_real-clips.py:
#   python tools/train.py configs/examples/recognizer_tiny-pose_1xb6-30e_real-clips.py \
#       --cfg-options model.init_from=work_dirs/cclslr-pose_tiny_1xb6-20e_real-clips/epoch_20.pth
# As shipped it reads the 18 real WLASL clips of ../shared/data/videos, one per gloss: it trains and
# evaluates on the same 18 clips (a check that the whole path runs, not a benchmark). For your data set
# data_root, ann_file / val_ann_file (your train and test lists) and CLASSES.
_base_ = ['../_base_/schedules/finetune_adamw_40e.py']

data_root = 'data/real_clips'
ann_file = '{{fileDirname}}/real_clips_wlasl18.txt'
val_ann_file = ann_file
CLASSES = ['afraid', 'agreement', 'answer', 'dry', 'enter', 'finish', 'government', 'grandfather', 'her',
           'insurance', 'manager', 'meat', 'no', 'paper', 'sleep', 'we', 'woman', 'work']
clip_len = 16
# The backend the pose files came from (the inference API warns when it extracts with another one).
keypoint_source = 'mediapipe'

model = dict(
    type='SignRecognizer',
    num_classes=len(CLASSES),
    pose_backbone=dict(type='PoseEncoder', group_channels=64, gcn_channels=(32, 64), d_model=64,
                       num_layers=1, num_heads=4, dropout=0.0),
    pose_head=dict(dropout=0.3),
    init_from=None,  # the pre-training checkpoint (command above); None = from scratch
    data_preprocessor=dict(type='SignDataPreprocessor', modalities=('pose', )))

train_pipeline = [
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=clip_len, min_ratio=0.5),
    dict(type='SignFlip', prob=0.5),
    dict(type='PoseNormalize'),
    dict(type='PoseRandomAffine'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputs', modalities=('pose', )),
]
test_pipeline = [
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=clip_len, test_mode=True),
    dict(type='PoseNormalize'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputs', modalities=('pose', )),
]
_clips = dict(type='SignListDataset', classes=CLASSES,
              data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'))
_loader = dict(num_workers=0, collate_fn=dict(type='default_collate'))
train_dataloader = dict(_loader, batch_size=6, sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(_clips, ann_file=ann_file, pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(
    _loader, batch_size=6, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_clips, ann_file=val_ann_file, test_mode=True, pipeline=test_pipeline))
val_evaluator = test_evaluator = dict(type='ISLRAccuracy', topk=(1, 5))

param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=30, eta_min=1e-5)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=30, val_interval=10)
default_hooks = dict(logger=dict(type='LoggerHook', interval=3),
                     checkpoint=dict(type='AtomicCheckpointHook', interval=30, max_keep_ckpts=1))
