# Runtime settings shared by every config.
default_scope = 'cclslr'
default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # CheckpointHook with temp-file + rename writes: a killed run never leaves a half-written checkpoint.
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
# Python, numpy and torch RNG states travel with the checkpoint, so --resume repeats the same draws.
# BadSampleHook: with on_error='skip', each replaced sample is logged once per epoch, then the count.
custom_hooks = [dict(type='RNGStateHook'), dict(type='BadSampleHook')]
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
# cclslr's SignVisualizer (skeletons, labels, heatmaps); add dict(type='TensorboardVisBackend') to
# vis_backends when tensorboard is installed.
visualizer = dict(type='SignVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, diff_rank_seed=True)
