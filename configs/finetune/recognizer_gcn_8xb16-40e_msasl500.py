# MS-ASL500, pose-only (GCN + Transformer branch alone; no video is decoded).
_base_ = ['./recognizer_r3d50-gcn_8xb16-40e_msasl500.py']
model = dict(rgb_backbone=None, rgb_head=None)
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_pose}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_pose}}))
test_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_pose}}))
