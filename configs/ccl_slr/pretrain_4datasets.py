# Short alias of the four-dataset pre-training config.
_base_ = ['./cclslr_r3d50-gcn_8xb8-140e_4datasets.py']
