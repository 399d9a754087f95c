# Fine-tuning on MS-ASL100, prior-guided fusion of hand crops into the pose encoder (docs/fusion.md).
# Commands and paper numbers: README.md in this folder.
_base_ = ['../_base_/models/pgf_gcn_mobilenetv2.py', '../_base_/datasets/msasl.py',
          '../_base_/schedules/finetune_sgd_40e.py']
model = dict(num_classes=100, init_from=dict(checkpoint='work_dirs/pretrain_msasl/epoch_140.pth'))
train_dataloader = dict(dataset=dict(subset=100, pipeline={{_base_.train_pipeline_pgf}}))
val_dataloader = test_dataloader = dict(dataset=dict(subset=100, pipeline={{_base_.test_pipeline_pgf}}))
