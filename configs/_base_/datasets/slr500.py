# SLR500 fine-tuning and testing (500 classes; signers 1-36 train, 37-50 test; docs/datasets.md). No
# validation split: validation runs on the test signers. Pipelines: the fused ones; the RGB-only,
# pose-only and PGF configs replace them. 16 clips per GPU (8 GPUs: the paper's batch of 128).
_base_ = ['./sign_pipelines.py']
data_root = 'data/slr500'
_slr = dict(type='SLR500Dataset', ann_file='', sample_id_prefix='slr500/',
            data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'))
_loader = dict(batch_size=16, num_workers=8, persistent_workers=True,
               collate_fn=dict(type='default_collate'))
train_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_slr, split='train', pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_slr, split='test', test_mode=True, pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_slr, split='test', test_mode=True, pipeline={{_base_.test_pipeline}}))
# Per-instance top-1/top-5, as the paper reports SLR500.
val_evaluator = dict(type='ISLRAccuracy', topk=(1, 5), per_class=False)
test_evaluator = val_evaluator
