# CCL-SLR pre-training on MS-ASL1000 (train split, labels unused) at the paper's sizes and schedule
# (docs/method.md §4-6): R3D-50 + GCN/Transformer encoders, queues of 16384, SPM + cross-modal losses +
# MPM (alpha 0.2), global batch 64 = 8 GPUs x 8 clips, SGD lr 0.01, 140 epochs, lr x0.1 at 100.
# The fine-tuning configs for MS-ASL start from its work dir: work_dirs/pretrain_msasl/epoch_140.pth.
#   bash tools/dist_train.sh configs/ccl_slr/pretrain_msasl.py 8
_base_ = [
    '../_base_/models/ccl_slr_r3d50_gcn.py',
    '../_base_/datasets/sign_pipelines.py',
    '../_base_/schedules/pretrain_sgd_140e.py',
    '../_base_/default_runtime.py',
]
data_root = 'data/msasl'
_msasl_train = dict(
    type='MSASLDataset',
    ann_file=f'{data_root}/annotations/MSASL_train.json',
    subset=1000,
    data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'),
    sample_id_prefix='msasl/',
    on_error='skip')  # a corrupt clip among 16k is logged and replaced, not fatal

train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    drop_last=True,  # the queue size must stay a multiple of the global batch
    dataset=dict(_msasl_train, unlabelled=True, pipeline={{_base_.pretrain_pipeline}}))

# Label-free monitoring (beyond the paper): k-NN top-1 of each modality's embedding and cross-modal
# retrieval on MS-ASL100 val against MS-ASL100 train, every 10 epochs.
_knn_loader = dict(
    batch_size=16, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='KNNEvalHook', interval=10,
         dataloader=dict(_knn_loader, dataset=dict(
             _msasl_train, subset=100, pipeline={{_base_.test_pipeline}})),
         query_dataloader=dict(_knn_loader, dataset=dict(
             _msasl_train, subset=100, ann_file=f'{data_root}/annotations/MSASL_val.json',
             pipeline={{_base_.test_pipeline}}))),
]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
