# WLASL100, RGB-only (R3D-50 branch alone; no pose file is read).
_base_ = ['./recognizer_r3d50-gcn_8xb16-40e_wlasl100.py']
model = dict(pose_backbone=None, pose_head=None)
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_rgb}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_rgb}}))
test_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_rgb}}))
