# Fine-tuning schedule (docs/method.md §7): SGD momentum 0.9, lr 0.05 for a global batch of 128, 40 epochs,
# lr x0.1 at epochs 25 and 35. Weight decay 1e-4 (our default).
# It carries the runtime because it also decides which checkpoints to keep (default_hooks below), and
# MMEngine refuses a key (default_hooks) set by two bases of one config.
_base_ = ['../default_runtime.py']
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4),
    clip_grad=None)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[25, 35], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=40, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=128)
# Validation every epoch; the best checkpoint by per-instance top-1 (ISLRAccuracy) is the one to test.
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='top1_instance', rule='greater'))
