# NMFs-CSL fine-tuning and testing (1067 classes, docs/datasets.md). The benchmark has no validation
# split: validation runs on the test list. Pipelines: the fused ones; the RGB-only, pose-only and PGF
# configs replace them. 16 clips per GPU (8 GPUs: the paper's batch of 128).
_base_ = ['./sign_pipelines.py']
data_root = 'data/nmfs_csl'
_nmfs = dict(type='NMFsCSLDataset', sample_id_prefix='nmfs_csl/',
             data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'))
_loader = dict(batch_size=16, num_workers=8, persistent_workers=True,
               collate_fn=dict(type='default_collate'))
train_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_nmfs, ann_file=f'{data_root}/train.txt', pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_nmfs, ann_file=f'{data_root}/test.txt', test_mode=True, pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_nmfs, ann_file=f'{data_root}/test.txt', test_mode=True, pipeline={{_base_.test_pipeline}}))
# Per-instance top-1/top-5, as the paper reports NMFs-CSL.
val_evaluator = dict(type='ISLRAccuracy', topk=(1, 5), per_class=False)
test_evaluator = val_evaluator
