# Prior-guided fusion on the synthetic demo set, label-scarce (2 clips per class), tiny sizes for a CPU:
# the demo recognizer's pose encoder + PGF with a MobileNetV2 x0.5 crop encoder.
_base_ = ['../demo/recognizer_tiny_1xb8-40e_synthetic-2shot.py']
model = dict(
    type='PGFRecognizer',
    rgb_backbone=None,
    rgb_head=None,
    pgf=dict(type='PriorGuidedFusion', num_heads=4, num_points=4,
             crop_encoder=dict(type='CropEncoder', backbone=dict(type='mmaction.MobileNetV2',
                                                                 widen_factor=0.5, pretrained=None))),
    share_hands=True,
    data_preprocessor=dict(type='PGFDataPreprocessor', modalities=('pose', )))
_train = [
    dict(type='DecordInit'),
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=16, min_ratio=0.5),
    dict(type='ScoreAwareHandSampling', ratio=0.1, score_thr=0.3, crop_size=112, max_frames=2),
    dict(type='PoseNormalize'),
    dict(type='PoseRandomAffine'),
    dict(type='PoseJointMask'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputsWithHands', modalities=('pose', )),
]
_test = [
    dict(type='DecordInit'),
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=16, test_mode=True),
    dict(type='ScoreAwareHandSampling', crop_size=112, max_frames=2, test_mode=True),
    dict(type='PoseNormalize'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputsWithHands', modalities=('pose', )),
]
train_dataloader = dict(dataset=dict(pipeline=_train))
val_dataloader = dict(dataset=dict(pipeline=_test))
test_dataloader = dict(dataset=dict(pipeline=_test))
