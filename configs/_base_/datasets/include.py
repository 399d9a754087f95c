# INCLUDE fine-tuning and testing (263 Indian signs; 3,127 / 348 / 817 clips; docs/datasets.md): the
# publisher's train / val / test path lists and label map. Videos: the Zenodo archive's category folders
# under data/include/videos, pose files in the same tree under data/include/poses. Pipelines: the fused
# ones; RGB-only or pose-only configs replace them. 16 clips per GPU (8 GPUs: the paper's batch of 128).
_base_ = ['./sign_pipelines.py']
data_root = 'data/include'
_include = dict(type='INCLUDEDataset', label_map_file=f'{data_root}/label_map_include.json',
                sample_id_prefix='include/',
                data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'))
_loader = dict(batch_size=16, num_workers=8, persistent_workers=True,
               collate_fn=dict(type='default_collate'))
train_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_include, ann_file=f'{data_root}/include_train.txt', pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_include, ann_file=f'{data_root}/include_val.txt', test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    _loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_include, ann_file=f'{data_root}/include_test.txt', test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
# Per-instance top-1/top-5 (INCLUDE's paper reports accuracy).
val_evaluator = dict(type='ISLRAccuracy', topk=(1, 5), per_class=False)
test_evaluator = val_evaluator
