# Fine-tuning on GISLR, pose only (the GCN + Transformer branch alone; the set has no video). The
# dataset base already uses the pose pipelines. Commands: README.md in this folder.
_base_ = ['../_base_/models/recognizer_gcn.py', '../_base_/datasets/gislr.py',
          '../_base_/schedules/finetune_sgd_40e.py']
model = dict(num_classes=250, init_from=dict(checkpoint='work_dirs/pretrain_autsl_include/epoch_140.pth'))
