# CCL-SLR at the paper's sizes (docs/method.md §4-5): R3D-50 RGB encoder (46.2 M parameters, g in R^2048),
# GCN + Transformer pose encoder (g in R^1024), 2-layer MLP heads to 128-d, EMA key encoders (0.999),
# four lockstep queues of 16384, InfoNCE (tau 0.07) + SPM (k 10, tau 0.02) + both cross-modal terms.
model = dict(
    type='CCLSLR',
    rgb_encoder=dict(
        type='RGBEncoder',
        backbone=dict(type='mmaction.ResNet3d', depth=50, pretrained=None, pretrained2d=False,
                      inflate=(1, 1, 1, 1), inflate_style='3x3x3', conv1_kernel=(7, 7, 7),
                      norm_eval=False)),
    pose_encoder=dict(type='PoseEncoder', group_channels=512, d_model=512, num_layers=3, num_heads=8),
    feat_dim=128,
    queue_size=16384,
    momentum=0.999,
    loss_cl=dict(type='InfoNCELoss', temperature=0.07),
    # The paper's sigmoid BCE over the queue; SPMSoftmaxLoss is the softmax form (beyond the paper).
    spm_head=dict(type='SPMHead', topk=10, loss=dict(type='SPMLoss', temperature=0.02)),
    losses=dict(cl=1.0, spm=1.0, cross=1.0),
    # MoCo v2's shuffle BN for the R3D-50 key encoder: across the 8 ranks a batch shuffle; in one process
    # the key batch is normalised in 2 shuffled groups (the pose encoder has no BatchNorm: unaffected).
    shuffle_bn=dict(type='ShuffleBN', num_splits=2),
    data_preprocessor=dict(
        type='SignDataPreprocessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
