# Fine-tuning on MS-ASL100: fused RGB + pose recognizer (prediction = sum of the two branch logits),
# 8 GPUs x 16 clips = batch 128, SGD lr 0.05, 40 epochs (method.md §7). Metrics: top-1/top-5 per
# instance and per class.
#   bash tools/dist_train.sh configs/finetune/recognizer_r3d50-gcn_8xb16-40e_msasl100.py 8
#   bash tools/dist_test.sh configs/finetune/recognizer_r3d50-gcn_8xb16-40e_msasl100.py \
#       work_dirs/recognizer_r3d50-gcn_8xb16-40e_msasl100/best_top1_instance_epoch_*.pth 8
_base_ = [
    '../_base_/models/recognizer_r3d50_gcn.py',
    '../_base_/datasets/sign_pipelines.py',
    '../_base_/schedules/finetune_sgd_40e.py',
    '../_base_/default_runtime.py',
]
data_root = 'data/msasl'
num_classes = 100
_msasl = dict(type='MSASLDataset', subset=100, sample_id_prefix='msasl/',
              data_prefix=dict(video=f'{data_root}/videos', pose=f'{data_root}/poses'))
# Encoders from a CCL-SLR pre-training checkpoint (the query encoders); train from scratch with
#   --cfg-options model.init_from=None
model = dict(num_classes=num_classes,
             init_from=dict(checkpoint='work_dirs/pretrain_msasl/epoch_140.pth'))
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
val_evaluator = dict(type='ISLRAccuracy', topk=(1, 5), per_class=True)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='top1_instance', rule='greater'))
