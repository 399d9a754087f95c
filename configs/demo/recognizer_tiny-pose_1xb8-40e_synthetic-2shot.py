# The demo's pose-only row: the 2-shot fine-tuning of recognizer_tiny_1xb8-40e_synthetic-2shot.py with its
# pose branch alone (the demo pre-training's 1-block pose encoder); no video decoded.
_base_ = ['../_base_/datasets/synthetic_2shot.py', '../_base_/schedules/finetune_adamw_40e.py']
model = dict(
    type='SignRecognizer',
    num_classes=10,
    pose_backbone=dict(type='PoseEncoder', group_channels=64, gcn_channels=(32, 64), d_model=64,
                       num_layers=1, num_heads=4, dropout=0.0),
    pose_head=dict(dropout=0.3),
    # The batch has no RGB: the preprocessor asks for pose alone (its RGB mean/std are unused).
    data_preprocessor=dict(
        type='SignDataPreprocessor', modalities=('pose', ),
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
train_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_pose}}))  # no augmentation (see base)
val_dataloader = test_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_pose}}))
