# CCL-SLR pre-training on the training sets of AUTSL + INCLUDE together (28,142 + 2,923 clips, labels
# ignored), beyond the paper's four benchmarks; sizes and schedule as pretrain_msasl.py. RGB + pose sets
# only (GISLR has no video; README.md). INCLUDE's train list leaves out the 204 clips that INCLUDE-50
# validates and tests on, so the INCLUDE-50 fine-tuning starts from a model that never saw them.
# The fine-tuning configs for AUTSL, INCLUDE, INCLUDE-50 and GISLR start from its work dir:
#   work_dirs/pretrain_autsl_include/epoch_140.pth
#   bash tools/dist_train.sh configs/ccl_slr/pretrain_autsl_include.py 8
_base_ = [
    '../_base_/models/ccl_slr_r3d50_gcn.py',
    '../_base_/datasets/sign_pipelines.py',
    '../_base_/schedules/pretrain_sgd_140e.py',
    '../_base_/default_runtime.py',
]
_autsl_train = dict(
    type='AUTSLDataset', ann_file='data/autsl/train_labels.csv',
    data_prefix=dict(video='data/autsl/train', pose='data/autsl/poses/train'),
    sample_id_prefix='autsl/', on_error='skip')
_include = dict(
    type='INCLUDEDataset', data_prefix=dict(video='data/include/videos', pose='data/include/poses'),
    sample_id_prefix='include/', on_error='skip')
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
            _autsl_train,
            dict(_include, ann_file='data/include/include_train.txt',
                 label_map_file='data/include/label_map_include.json',
                 exclude_lists=['data/include/include50_val.txt', 'data/include/include50_test.txt']),
        ]))

# Label-free monitoring (beyond the paper) every 10 epochs: k-NN top-1 and cross-modal retrieval of
# INCLUDE-50 val (queries, unseen in pre-training) against INCLUDE-50 train (memory bank).
_knn_loader = dict(
    batch_size=16, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
_include50 = dict(_include, label_map_file='data/include/label_map_include50.json',
                  pipeline={{_base_.test_pipeline}})
_knn_memory = dict(_include50, ann_file='data/include/include50_train.txt')
_knn_queries = dict(_include50, ann_file='data/include/include50_val.txt')
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='KNNEvalHook', interval=10, dataloader=dict(_knn_loader, dataset=_knn_memory),
         query_dataloader=dict(_knn_loader, dataset=_knn_queries)),
]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
