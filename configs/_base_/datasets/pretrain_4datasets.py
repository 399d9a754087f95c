# CCL-SLR pre-training data as in the paper: the training sets of MS-ASL1000 + WLASL2000 + NMFs-CSL +
# SLR500 together (about 146k clips, labels ignored), 8 clips per GPU (8 GPUs: the paper's batch of 64);
# and the loaders of the label-free monitoring (knn_dataloader, knn_query_dataloader, for KNNEvalHook).
_base_ = ['./sign_pipelines.py']
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
    drop_last=True,  # the queue size must stay a multiple of the global batch
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

# Monitoring (beyond the paper): k-NN top-1 of each modality's embedding and cross-modal retrieval on
# MS-ASL100 val (queries) against MS-ASL100 train (memory bank), as in pretrain_msasl.py.
_knn_loader = dict(
    batch_size=16, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
knn_dataloader = dict(_knn_loader, dataset=dict(_msasl_train, subset=100, pipeline={{_base_.test_pipeline}}))
knn_query_dataloader = dict(_knn_loader, dataset=dict(
    _msasl_train, subset=100, ann_file='data/msasl/annotations/MSASL_val.json',
    pipeline={{_base_.test_pipeline}}))
