# GISLR (Kaggle asl-signs: 250 signs, 21 participants; docs/datasets.md) fine-tuning and testing, pose only:
# the set has landmarks (parquet files, read by LoadPose) and no video. No official split exists: the
# default holds out 4 participants (GISLR_VAL_PARTICIPANTS in cclslr/datasets/gislr.py) for validation
# and testing; set dataset.val_participants in the loaders to change them. 16 clips per GPU.
_base_ = ['./sign_pipelines.py']
data_root = 'data/gislr'
_gislr = dict(type='GISLRDataset', ann_file=f'{data_root}/train.csv',
              sign_map_file=f'{data_root}/sign_to_prediction_index_map.json',
              data_prefix=dict(pose=data_root), sample_id_prefix='gislr/')
_loader = dict(batch_size=16, num_workers=8, persistent_workers=True,
               collate_fn=dict(type='default_collate'))
train_dataloader = dict(_loader, sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(_gislr, split='train', pipeline={{_base_.train_pipeline_pose}}))
val_dataloader = dict(_loader, sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=dict(_gislr, split='val', test_mode=True,
                                   pipeline={{_base_.test_pipeline_pose}}))
test_dataloader = val_dataloader
# Per-instance top-1/top-5 (the competition ranked by top-1 accuracy).
val_evaluator = dict(type='ISLRAccuracy', topk=(1, 5), per_class=False)
test_evaluator = val_evaluator
