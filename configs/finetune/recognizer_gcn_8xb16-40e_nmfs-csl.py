# Fine-tuning on NMFs-CSL, pose only (the GCN + Transformer branch alone; no video is decoded).
# Commands and paper numbers: README.md in this folder.
_base_ = ['../_base_/models/recognizer_gcn.py', '../_base_/datasets/nmfs_csl.py',
          '../_base_/schedules/finetune_sgd_40e.py']
model = dict(num_classes=1067, init_from=dict(checkpoint='work_dirs/pretrain_4datasets/epoch_140.pth'))
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_pose}}))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_pose}}))
