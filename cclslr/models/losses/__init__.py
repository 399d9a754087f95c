from .info_nce import InfoNCELoss, info_nce, moco_logits
from .spm_loss import SPMLoss, SPMSoftmaxLoss, spm_loss, spm_nce_loss, spm_targets, union_targets

__all__ = ['InfoNCELoss', 'SPMLoss', 'SPMSoftmaxLoss', 'info_nce', 'moco_logits', 'spm_loss', 'spm_nce_loss',
           'spm_targets', 'union_targets']
