# Ablation row 2 (74.66): + Semantic Positive Mining; no cross-modal loss, no MPM.
_base_ = ['../pretrain_msasl.py']
model = dict(losses=dict(cl=1.0, spm=1.0, cross=0.0))
train_dataloader = dict(dataset=dict(pipeline={{_base_.pretrain_pipeline_no_mpm}}))
