# Ablation row 4 (77.71, the full method): + Motion-Preserving Masking (alpha 0.2). Identical to
# configs/ccl_slr/pretrain_msasl.py; kept so that the four rows sit side by side.
_base_ = ['../cclslr_r3d50-gcn_8xb8-140e_msasl1000.py']
model = dict(losses=dict(cl=1.0, spm=1.0, cross=1.0))
