# A complete tiny config over the toy components of tests/tools/toy_components.py.
custom_imports = dict(imports=['toy_components'], allow_failed_imports=False)
default_scope = 'cclslr'
model = dict(type='ToyClassifier', dim=4)
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ToyVectorDataset', num=16, dim=4))
val_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ToyVectorDataset', num=8, dim=4))
test_dataloader = val_dataloader
val_evaluator = dict(type='ToyAccuracy')
test_evaluator = val_evaluator
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
    logger=dict(type='LoggerHook', interval=1))
env_cfg = dict(dist_cfg=dict(backend='nccl'))
randomness = dict(seed=0)
log_level = 'WARNING'
log_processor = dict(by_epoch=False)
