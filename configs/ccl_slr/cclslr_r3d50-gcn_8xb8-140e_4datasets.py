# CCL-SLR pre-training on the training sets of MS-ASL1000 + WLASL2000 + NMFs-CSL + SLR500 together
# (about 146k clips, labels ignored), as in the paper; sizes and schedule as the MS-ASL config.
#   bash tools/dist_train.sh configs/ccl_slr/pretrain_4datasets.py 8
_base_ = [
    '../_base_/models/ccl_slr_r3d50_gcn.py',
    '../_base_/datasets/sign_pipelines.py',
    '../_base_/schedules/pretrain_sgd_140e.py',
    '../_base_/default_runtime.py',
]
# Each dataset gets a sample_id prefix: ids stay unique and one MPM mask cache serves all four.
_msasl_train = dict(
    type='MSASLDataset', ann_file='data/msasl/annotations/MSASL_train.json', subset=1000,
    data_prefix=dict(video='data/msasl/videos', pose='data/msasl/poses'),
    sample_id_prefix='msasl/', on_error='skip')
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    drop_last=True,
    dataset=dict(
        type='UnlabelledConcatDataset',
        pipeline={{_base_.pretrain_pipeline}},
        datasets=[
            _msasl_train,
            dict(type='WLASLDataset', ann_file='data/wlasl/WLASL_v0.3.json', subset=2000, split='train',
                 data_prefix=dict(video='data/wlasl/videos', pose='data/wlasl/poses'),
                 sample_id_prefix='wlasl/', on_error='skip'),
            dict(type='NMFsCSLDataset', ann_file='data/nmfs_csl/train.txt',
                 data_prefix=dict(video='data/nmfs_csl/videos', pose='data/nmfs_csl/poses'),
                 sample_id_prefix='nmfs_csl/', on_error='skip'),
            dict(type='SLR500Dataset', ann_file='', split='train',
                 data_prefix=dict(video='data/slr500/videos', pose='data/slr500/poses'),
                 sample_id_prefix='slr500/', on_error='skip'),
        ]))

_knn_loader = dict(
    batch_size=16, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='KNNEvalHook', interval=10,
         dataloader=dict(_knn_loader, dataset=dict(
             _msasl_train, subset=100, pipeline={{_base_.test_pipeline}})),
         query_dataloader=dict(_knn_loader, dataset=dict(
             _msasl_train, subset=100, ann_file='data/msasl/annotations/MSASL_val.json',
             pipeline={{_base_.test_pipeline}}))),
]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
