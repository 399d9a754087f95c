# CCL-SLR pre-training on the training sets of MS-ASL1000 + WLASL2000 + NMFs-CSL + SLR500 together
# (about 146k clips, labels ignored), as in the paper; sizes and schedule as pretrain_msasl.py.
# The fine-tuning configs for WLASL, NMFs-CSL and SLR500 start from its work dir:
#   work_dirs/pretrain_4datasets/epoch_140.pth
#   bash tools/dist_train.sh configs/ccl_slr/pretrain_4datasets.py 8
_base_ = [
    '../_base_/models/ccl_slr_r3d50_gcn.py',
    '../_base_/datasets/pretrain_4datasets.py',
    '../_base_/schedules/pretrain_sgd_140e.py',
    '../_base_/default_runtime.py',
]
# Label-free monitoring (beyond the paper) every 10 epochs: k-NN on MS-ASL100 (see the dataset base).
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='KNNEvalHook', interval=10, dataloader={{_base_.knn_dataloader}},
         query_dataloader={{_base_.knn_query_dataloader}}),
]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
