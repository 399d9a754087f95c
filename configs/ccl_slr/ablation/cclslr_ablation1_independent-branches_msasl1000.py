# Ablation row 1 (MS-ASL1000 P-I top-1 73.81 in the paper): two independent MoCo branches, one per
# modality: InfoNCE only, no SPM, no cross-modal loss, no MPM.
_base_ = ['../pretrain_msasl.py']
model = dict(losses=dict(cl=1.0, spm=0.0, cross=0.0))
train_dataloader = dict(dataset=dict(pipeline={{_base_.pretrain_pipeline_no_mpm}}))
