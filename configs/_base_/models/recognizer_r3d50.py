# Fine-tuning recognizer, RGB only: the pre-trained R3D-50 query encoder and a linear classifier
# (docs/method.md §7). Its configs use the RGB pipelines (train/test_pipeline_rgb), which read no pose
# file; so the preprocessor asks for RGB alone.
# num_classes and init_from (a CCL-SLR checkpoint) are set by the fine-tuning config.
model = dict(
    type='SignRecognizer',
    num_classes=None,
    rgb_backbone=dict(
        type='RGBEncoder',
        backbone=dict(type='mmaction.ResNet3d', depth=50, pretrained=None, pretrained2d=False,
                      inflate=(1, 1, 1, 1), inflate_style='3x3x3', conv1_kernel=(7, 7, 7),
                      norm_eval=False)),
    rgb_head=dict(dropout=0.5),
    data_preprocessor=dict(
        type='SignDataPreprocessor', modalities=('rgb', ),
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
