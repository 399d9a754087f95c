# Fine-tuning schedule of the demo configs (tiny encoders, synthetic data, one CPU): AdamW, as the demo
# pre-training (the paper's SGD needs far longer schedules at these sizes), cosine to 1e-5 over 40 epochs.
# It carries the runtime because it also sets the checkpoint and logging hooks (default_hooks), which
# MMEngine refuses from two bases of one config.
_base_ = ['../default_runtime.py']
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=40, eta_min=1e-5)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=40, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='AtomicCheckpointHook', interval=40, max_keep_ckpts=1))
