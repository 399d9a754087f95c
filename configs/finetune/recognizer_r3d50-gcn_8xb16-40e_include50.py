# Fine-tuning on INCLUDE-50, fused RGB + pose recognizer (prediction = sum of the two branch logits).
# Commands: README.md in this folder.
_base_ = ['../_base_/models/recognizer_r3d50_gcn.py', '../_base_/datasets/include50.py',
          '../_base_/schedules/finetune_sgd_40e.py']
model = dict(num_classes=50, init_from=dict(checkpoint='work_dirs/pretrain_autsl_include/epoch_140.pth'))
