# Fine-tuning on MS-ASL1000, pose only (the GCN + Transformer branch alone; no video is decoded).
# Commands and paper numbers: README.md in this folder.
_base_ = ['../_base_/models/recognizer_gcn.py', '../_base_/datasets/msasl.py',
          '../_base_/schedules/finetune_sgd_40e.py']
model = dict(num_classes=1000, init_from=dict(checkpoint='work_dirs/pretrain_msasl/epoch_140.pth'))
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_pose}}))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_pose}}))
