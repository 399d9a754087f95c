# Fine-tuning recognizer, fused (docs/method.md §7): the two pre-trained query encoders, a linear classifier
# per branch, cross-entropy per branch, prediction = sum of the branch logits.
# num_classes and init_from (a CCL-SLR checkpoint) are set by the fine-tuning config.
model = dict(
    type='SignRecognizer',
    num_classes=None,
    rgb_backbone=dict(
        type='RGBEncoder',
        backbone=dict(type='mmaction.ResNet3d', depth=50, pretrained=None, pretrained2d=False,
                      inflate=(1, 1, 1, 1), inflate_style='3x3x3', conv1_kernel=(7, 7, 7),
                      norm_eval=False)),
    pose_backbone=dict(type='PoseEncoder', group_channels=512, d_model=512, num_layers=3, num_heads=8),
    rgb_head=dict(dropout=0.5),
    pose_head=dict(dropout=0.5),
    data_preprocessor=dict(
        type='SignDataPreprocessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
