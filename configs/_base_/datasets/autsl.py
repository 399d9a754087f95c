# AUTSL fine-tuning and testing (226 classes; docs/datasets.md): train_labels.csv (28,142 clips, 31 signers)
# for training, the validation ground truth val_gt.csv (4,418 clips, 6 other signers) for validation and
# testing (the challenge's test labels are not among the files here). Glosses: English (class_file EN).
# Pipelines: the fused ones; RGB-only or pose-only configs replace them. 16 clips per GPU (8 GPUs: 128).
_base_ = ['./sign_pipelines.py']
data_root = 'data/autsl'
_autsl = dict(type='AUTSLDataset', class_file=f'{data_root}/SignList_ClassId_TR_EN.csv',
              sample_id_prefix='autsl/')
_train = dict(_autsl, ann_file=f'{data_root}/train_labels.csv',
              data_prefix=dict(video=f'{data_root}/train', pose=f'{data_root}/poses/train'))
_val = dict(_autsl, ann_file=f'{data_root}/val_gt.csv', test_mode=True,
            data_prefix=dict(video=f'{data_root}/val', pose=f'{data_root}/poses/val'))
_loader = dict(batch_size=16, num_workers=8, persistent_workers=True,
               collate_fn=dict(type='default_collate'))
train_dataloader = dict(_loader, sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(_train, pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(_loader, sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=dict(_val, pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
# Per-instance top-1/top-5 (the challenge ranks by top-1 accuracy).
val_evaluator = dict(type='ISLRAccuracy', topk=(1, 5), per_class=False)
test_evaluator = val_evaluator
