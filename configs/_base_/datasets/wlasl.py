# WLASL fine-tuning and testing (docs/datasets.md): one annotation file, split by its `split` field; the
# subset WLASL-N is the first N glosses. WLASL2000 here; a fine-tuning config for WLASL-N sets
# dataset.subset=N in the three loaders (and model.num_classes=N). Pipelines: the fused ones; the
# RGB-only, pose-only and PGF configs replace them. 16 clips per GPU (8 GPUs: the paper's batch of 128).
_base_ = ['./sign_pipelines.py']
data_root = 'data/wlasl'
_wlasl = dict(type='WLASLDataset', ann_file=f'{data_root}/WLASL_v0.3.json', subset=2000,
              sample_id_prefix='wlasl/',
              data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'))
_loader = dict(batch_size=16, num_workers=8, persistent_workers=True,
               collate_fn=dict(type='default_collate'))
train_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_wlasl, split='train', pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_wlasl, split='val', test_mode=True, pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_wlasl, split='test', test_mode=True, pipeline={{_base_.test_pipeline}}))
# Top-1/top-5 per instance and per class (classes absent from the test split are ignored).
val_evaluator = dict(type='ISLRAccuracy', topk=(1, 5), per_class=True)
test_evaluator = val_evaluator
