# Fine-tuning on WLASL2000, fused RGB + pose recognizer (prediction = sum of the two branch logits).
# Commands and paper numbers: README.md in this folder.
_base_ = ['../_base_/models/recognizer_r3d50_gcn.py', '../_base_/datasets/wlasl.py',
          '../_base_/schedules/finetune_sgd_40e.py']
model = dict(num_classes=2000, init_from=dict(checkpoint='work_dirs/pretrain_4datasets/epoch_140.pth'))
