# Label-scarce fine-tuning on the synthetic demo set: 2 labelled clips per class (20 clips), fused
# RGB + pose recognizer with the demo pre-training's encoder sizes; tested on the held-out signers.
# From scratch as it is; from CCL-SLR pre-training with
#   --cfg-options model.init_from=work_dirs/demo/pretrain/epoch_30.pth
_base_ = ['../_base_/datasets/synthetic_2shot.py', '../_base_/schedules/finetune_adamw_40e.py']
num_classes = 10

model = dict(
    type='SignRecognizer',
    num_classes=num_classes,
    rgb_backbone=dict(
        type='RGBEncoder',
        backbone=dict(type='mmaction.ResNet3d', depth=18, pretrained=None, pretrained2d=False,
                      base_channels=16, inflate=(1, 1, 1, 1), inflate_style='3x3x3',
                      conv1_kernel=(3, 7, 7), conv1_stride_t=1, pool1_stride_t=1, norm_eval=False)),
    pose_backbone=dict(type='PoseEncoder', group_channels=64, gcn_channels=(32, 64), d_model=64,
                       num_layers=1, num_heads=4, dropout=0.0),
    rgb_head=dict(dropout=0.3),
    pose_head=dict(dropout=0.3),
    data_preprocessor=dict(
        type='SignDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
