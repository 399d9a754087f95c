# The demo's RGB-only row: the 2-shot fine-tuning of recognizer_tiny_1xb8-40e_synthetic-2shot.py with its
# RGB branch alone (the demo pre-training's R3D-18 at 16 channels, on frame differences); no pose file read.
_base_ = ['../_base_/datasets/synthetic_2shot.py', '../_base_/schedules/finetune_adamw_40e.py']
model = dict(
    type='SignRecognizer',
    num_classes=10,
    rgb_head=dict(dropout=0.3),
    rgb_backbone=dict(type='RGBEncoder', backbone=dict(
        type='mmaction.ResNet3d', depth=18, pretrained=None, pretrained2d=False, base_channels=16,
        inflate=(1, 1, 1, 1), inflate_style='3x3x3', conv1_kernel=(3, 7, 7), conv1_stride_t=1,
        pool1_stride_t=1, norm_eval=False)),
    data_preprocessor=dict(
        type='SignDataPreprocessor', modalities=('rgb', ),
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
train_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_rgb}}))  # no augmentation (see base)
val_dataloader = test_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_rgb}}))
