# INCLUDE-50 fine-tuning and testing (50 of INCLUDE's signs; 689 / 77 / 192 clips; docs/datasets.md): the
# publisher's include50 path lists and label map, over the same videos as INCLUDE's (same folders and
# sample ids). Pipelines: the fused ones; RGB-only or pose-only configs replace them. 16 clips per GPU.
_base_ = ['./sign_pipelines.py']
data_root = 'data/include'
_include = dict(type='INCLUDEDataset', label_map_file=f'{data_root}/label_map_include50.json',
                sample_id_prefix='include/',
                data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'))
_loader = dict(batch_size=16, num_workers=8, persistent_workers=True,
               collate_fn=dict(type='default_collate'))
train_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_include, ann_file=f'{data_root}/include50_train.txt', pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_include, ann_file=f'{data_root}/include50_val.txt', test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_include, ann_file=f'{data_root}/include50_test.txt', test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
# Per-instance top-1/top-5 (INCLUDE's paper reports accuracy).
val_evaluator = dict(type='ISLRAccuracy', topk=(1, 5), per_class=False)
test_evaluator = val_evaluator
