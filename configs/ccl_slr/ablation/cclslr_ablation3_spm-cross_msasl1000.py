# Ablation row 3 (76.27): + cross-modal consistency loss L_cross; no MPM.
_base_ = ['../pretrain_msasl.py']
model = dict(losses=dict(cl=1.0, spm=1.0, cross=1.0))
train_dataloader = dict(dataset=dict(pipeline={{_base_.pretrain_pipeline_no_mpm}}))
