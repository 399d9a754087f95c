# Fine-tuning on MS-ASL200, fused RGB + pose recognizer (prediction = sum of the two branch logits).
# Commands and paper numbers: README.md in this folder.
_base_ = ['../_base_/models/recognizer_r3d50_gcn.py', '../_base_/datasets/msasl.py',
          '../_base_/schedules/finetune_sgd_40e.py']
model = dict(num_classes=200, init_from=dict(checkpoint='work_dirs/pretrain_msasl/epoch_140.pth'))
train_dataloader = val_dataloader = test_dataloader = dict(dataset=dict(subset=200))
