# MS-ASL fine-tuning and testing (docs/datasets.md): the official train/val/test lists, classes
# label < subset. The subset is MS-ASL1000 here; a fine-tuning config for MS-ASL-K sets dataset.subset=K in
# the three loaders (and model.num_classes=K). Pipelines: the fused ones; the RGB-only, pose-only and PGF
# configs replace them. 16 clips per GPU (8 GPUs: the paper's batch of 128).
_base_ = ['./sign_pipelines.py']
data_root = 'data/msasl'
_msasl = dict(type='MSASLDataset', subset=1000, sample_id_prefix='msasl/',
              data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'))
_loader = dict(batch_size=16, num_workers=8, persistent_workers=True,
               collate_fn=dict(type='default_collate'))
train_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_msasl, ann_file=f'{data_root}/annotations/MSASL_train.json',
                 pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_msasl, ann_file=f'{data_root}/annotations/MSASL_val.json', test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_msasl, ann_file=f'{data_root}/annotations/MSASL_test.json', test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
# Top-1/top-5 per instance (P-I) and per class (P-C), as the paper reports MS-ASL.
val_evaluator = dict(type='ISLRAccuracy', topk=(1, 5), per_class=True)
test_evaluator = val_evaluator
