# Fine-tuning on NMFs-CSL (1067 classes): fused RGB + pose recognizer, batch 128, 40 epochs.
# The benchmark has no validation split: validation runs on the test list. Per-instance metrics only.
#   bash tools/dist_train.sh configs/finetune/recognizer_r3d50-gcn_8xb16-40e_nmfs-csl.py 8
_base_ = [
    '../_base_/models/recognizer_r3d50_gcn.py',
    '../_base_/datasets/sign_pipelines.py',
    '../_base_/schedules/finetune_sgd_40e.py',
    '../_base_/default_runtime.py',
]
data_root = 'data/nmfs_csl'
num_classes = 1067
_nmfs = dict(type='NMFsCSLDataset', sample_id_prefix='nmfs_csl/',
             data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'))
# Encoders from a CCL-SLR pre-training checkpoint (the query encoders); train from scratch with
#   --cfg-options model.init_from=None
model = dict(num_classes=num_classes,
             init_from=dict(checkpoint='work_dirs/pretrain_4datasets/epoch_140.pth'))
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
val_evaluator = dict(type='ISLRAccuracy', topk=(1, 5), per_class=False)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='top1_instance', rule='greater'))
