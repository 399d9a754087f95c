# Fine-tuning recognizer, pose only: the pre-trained GCN + Transformer query encoder and a linear
# classifier (docs/method.md §7). Its configs use the pose pipelines (train/test_pipeline_pose), which
# decode no video; so the preprocessor asks for pose alone (its RGB mean/std are unused).
# num_classes and init_from (a CCL-SLR checkpoint) are set by the fine-tuning config.
model = dict(
    type='SignRecognizer',
    num_classes=None,
    pose_backbone=dict(type='PoseEncoder', group_channels=512, d_model=512, num_layers=3, num_heads=8),
    pose_head=dict(dropout=0.5),
    data_preprocessor=dict(type='SignDataPreprocessor', modalities=('pose', ),
                           mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
