# Prior-guided fusion on the synthetic demo set, label-scarce (2 clips per class), tiny sizes for a CPU:
# the demo recognizer's pose encoder + PGF with a MobileNetV2 x0.5 crop encoder.
_base_ = ['../_base_/datasets/synthetic_2shot.py', '../_base_/schedules/finetune_adamw_40e.py']
model = dict(
    type='PGFRecognizer',
    num_classes=10,
    pose_backbone=dict(type='PoseEncoder', group_channels=64, gcn_channels=(32, 64), d_model=64,
                       num_layers=1, num_heads=4, dropout=0.0),
    pose_head=dict(dropout=0.3),
    pgf=dict(type='PriorGuidedFusion', num_heads=4, num_points=4,
             crop_encoder=dict(type='CropEncoder', backbone=dict(type='mmaction.MobileNetV2',
                                                                 widen_factor=0.5, pretrained=None))),
    share_hands=True,
    # mean/std are for a whole-frame RGB input, which PGF does not have (the crops have crop_mean/std).
    data_preprocessor=dict(type='PGFDataPreprocessor', modalities=('pose', ),
                           mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_pgf}}))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_pgf}}))
