# Short alias of the paper's MS-ASL pre-training config (see the file named below).
_base_ = ['./cclslr_r3d50-gcn_8xb8-140e_msasl1000.py']
