# CCL-SLR pre-training schedule (docs/method.md §5): SGD momentum 0.9, lr 0.01 for a global batch of 64,
# 140 epochs, lr x0.1 at epoch 100. Weight decay 1e-4 (our default, as MoCo v2; the paper is silent).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    clip_grad=None)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[100], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=140, val_interval=10)
# Scale the lr linearly when the global batch differs from 64 (enable with --auto-scale-lr semantics).
auto_scale_lr = dict(enable=False, base_batch_size=64)
