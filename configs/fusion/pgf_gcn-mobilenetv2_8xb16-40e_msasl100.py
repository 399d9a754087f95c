# msasl100: Uni-Sign prior-guided fusion on the CCL-SLR pose encoder (see docs/fusion.md). The pose
# stream is the backbone; RGB crops of the hands (MobileNetV2, 4x4 maps) enter through cross-attention and
# deformable sampling on the least confident frames, behind a gate that starts at 0, so training starts
# exactly from the (pre-trained) pose-only model.
_base_ = ['../finetune/recognizer_r3d50-gcn_8xb16-40e_msasl100.py']
model = dict(
    type='PGFRecognizer',
    rgb_backbone=None,
    rgb_head=None,
    pgf=dict(type='PriorGuidedFusion', num_heads=8, num_points=4,
             crop_encoder=dict(type='CropEncoder',
                               backbone=dict(type='mmaction.MobileNetV2', pretrained=None))),
    share_hands=True,
    data_preprocessor=dict(type='PGFDataPreprocessor', modalities=('pose', )))
# A batch without any confident-enough hand frame leaves the fusion parameters without gradient.
find_unused_parameters = True
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_pgf}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_pgf}}))
test_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_pgf}}))
