# Fine-tuning on WLASL100, pose only (the GCN + Transformer branch alone; no video is decoded).
# Commands and paper numbers: README.md in this folder.
_base_ = ['../_base_/models/recognizer_gcn.py', '../_base_/datasets/wlasl.py',
          '../_base_/schedules/finetune_sgd_40e.py']
model = dict(num_classes=100, init_from=dict(checkpoint='work_dirs/pretrain_4datasets/epoch_140.pth'))
train_dataloader = dict(dataset=dict(subset=100, pipeline={{_base_.train_pipeline_pose}}))
val_dataloader = test_dataloader = dict(dataset=dict(subset=100, pipeline={{_base_.test_pipeline_pose}}))
