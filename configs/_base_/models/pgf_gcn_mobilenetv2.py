# Uni-Sign prior-guided fusion on the CCL-SLR pose encoder (docs/fusion.md). The pose stream is the
# backbone; RGB crops of the hands (MobileNetV2, 4x4 maps) enter through cross-attention and deformable
# sampling on the least confident frames, behind a gate that starts at 0, so training starts exactly from
# the (pre-trained) pose-only model. Its configs use train/test_pipeline_pgf.
# num_classes and init_from (a CCL-SLR checkpoint) are set by the fine-tuning config.
model = dict(
    type='PGFRecognizer',
    num_classes=None,
    pose_backbone=dict(type='PoseEncoder', group_channels=512, d_model=512, num_layers=3, num_heads=8),
    pose_head=dict(dropout=0.5),
    pgf=dict(type='PriorGuidedFusion', num_heads=8, num_points=4,
             crop_encoder=dict(type='CropEncoder',
                               backbone=dict(type='mmaction.MobileNetV2', pretrained=None))),
    share_hands=True,
    # mean/std normalise the whole-frame RGB input, which PGF does not have; the hand crops have their
    # own (crop_mean/crop_std). Kept as the fused recognizer's.
    data_preprocessor=dict(type='PGFDataPreprocessor', modalities=('pose', ),
                           mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
# A batch without any confident-enough hand frame leaves the fusion parameters without gradient.
find_unused_parameters = True
