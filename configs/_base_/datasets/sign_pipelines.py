# The data pipelines of docs/method.md §2-3, shared by every benchmark config.
# clip_len T = 32 frames from a random temporal crop of [0.1 n, n] frames; RGB 224x224; 75 keypoints.
clip_len = 32
img_size = 224
# Where tools/mpm/generate_masks.py writes the Motion-Preserving masks, keyed by sample_id (the configs
# give each dataset a sample_id_prefix, so one cache serves all four pre-training datasets).
mask_cache_root = 'data/mpm_masks'
# Downloaded benchmark videos are untrusted: each file is first opened in a forked probe process, so a
# container that crashes the decoder becomes a bad sample instead of killing the run (docs/reliability.md;
# about 30 ms once per file and worker process).
_decord = dict(type='DecordInit', probe=True)

# Per-view augmentations: the temporal crop is shared by RGB and pose of a view, and the flip is one
# decision for frames, keypoints and motion mask together.
_pretrain_view = [
    dict(type='PairedTemporalCrop', clip_len=clip_len, min_ratio=0.1),
    dict(type='DecodeFrames'),
    dict(type='MotionMask', cache_root=mask_cache_root, prob=0.2, on_missing='pass'),  # MPM, alpha 0.2
    dict(type='SignRandomResizedCrop', size=img_size),
    dict(type='SignFlip', prob=0.5),
    dict(type='SignColorJitter'),
    dict(type='PoseNormalize'),
    dict(type='PoseRandomAffine'),
    dict(type='PoseJointMask'),
    dict(type='SelectKeypoints'),
]
# The ablation rows without MPM.
_pretrain_view_no_mpm = [t for t in _pretrain_view if t['type'] != 'MotionMask']

# Pre-training: two independently augmented views (query, key) of each clip, both modalities.
pretrain_pipeline = [
    _decord,
    dict(type='LoadPose'),
    dict(type='MultiView', num_views=2, transforms=_pretrain_view),
    dict(type='PackSignInputs', modalities=('rgb', 'pose')),
]

pretrain_pipeline_no_mpm = [
    _decord,
    dict(type='LoadPose'),
    dict(type='MultiView', num_views=2, transforms=_pretrain_view_no_mpm),
    dict(type='PackSignInputs', modalities=('rgb', 'pose')),
]

# Fine-tuning (fused RGB + pose): one view, the same augmentations without MPM.
train_pipeline = [
    _decord,
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=clip_len, min_ratio=0.1),
    dict(type='DecodeFrames'),
    dict(type='SignRandomResizedCrop', size=img_size),
    dict(type='SignFlip', prob=0.5),
    dict(type='SignColorJitter'),
    dict(type='PoseNormalize'),
    dict(type='PoseRandomAffine'),
    dict(type='PoseJointMask'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputs', modalities=('rgb', 'pose')),
]
# Testing: the whole clip; frames to a short side of 224 and the central 224x224 (aspect kept, like the
# training crops; no 256 margin, which would cut the signer's head and hands: docs/pipeline.md).
test_pipeline = [
    _decord,
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=clip_len, test_mode=True),
    dict(type='DecodeFrames'),
    dict(type='SignResize', scale=img_size, keep_ratio=True),  # short side; aspect kept
    dict(type='SignCenterCrop', size=img_size),
    dict(type='PoseNormalize'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputs', modalities=('rgb', 'pose')),
]

# RGB-only: no pose file is read.
train_pipeline_rgb = [
    _decord,
    dict(type='PairedTemporalCrop', clip_len=clip_len, min_ratio=0.1),
    dict(type='DecodeFrames'),
    dict(type='SignRandomResizedCrop', size=img_size),
    dict(type='SignFlip', prob=0.5),
    dict(type='SignColorJitter'),
    dict(type='PackSignInputs', modalities=('rgb', )),
]
test_pipeline_rgb = [
    _decord,
    dict(type='PairedTemporalCrop', clip_len=clip_len, test_mode=True),
    dict(type='DecodeFrames'),
    dict(type='SignResize', scale=img_size, keep_ratio=True),  # short side; aspect kept
    dict(type='SignCenterCrop', size=img_size),
    dict(type='PackSignInputs', modalities=('rgb', )),
]

# Pose-only: no video is decoded; the pose file defines the clip.
train_pipeline_pose = [
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=clip_len, min_ratio=0.1),
    dict(type='SignFlip', prob=0.5),
    dict(type='PoseNormalize'),
    dict(type='PoseRandomAffine'),
    dict(type='PoseJointMask'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputs', modalities=('pose', )),
]
test_pipeline_pose = [
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=clip_len, test_mode=True),
    dict(type='PoseNormalize'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputs', modalities=('pose', )),
]

# Uni-Sign prior-guided fusion (configs/fusion/): the pose stream plus RGB crops around the hands on the
# frames where the hand keypoints are least trustworthy (score-aware sampling, ceil(0.1 x 32) = 4 frames
# per hand). Only the chosen frames are decoded. No SignFlip: the crops are not flipped with the pose.
train_pipeline_pgf = [
    _decord,
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=clip_len, min_ratio=0.1),
    dict(type='ScoreAwareHandSampling', ratio=0.1, score_thr=0.3, crop_size=112, max_frames=4),
    dict(type='PoseNormalize'),
    dict(type='PoseRandomAffine'),
    dict(type='PoseJointMask'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputsWithHands', modalities=('pose', )),
]
test_pipeline_pgf = [
    _decord,
    dict(type='LoadPose'),
    dict(type='PairedTemporalCrop', clip_len=clip_len, test_mode=True),
    dict(type='ScoreAwareHandSampling', crop_size=112, max_frames=4, test_mode=True),
    dict(type='PoseNormalize'),
    dict(type='SelectKeypoints'),
    dict(type='PackSignInputsWithHands', modalities=('pose', )),
]
