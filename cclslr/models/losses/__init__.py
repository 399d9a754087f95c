from .info_nce import InfoNCELoss, info_nce
from .spm_loss import SPMLoss, spm_loss, spm_nce_loss, spm_targets, union_targets

__all__ = ['InfoNCELoss', 'info_nce', 'SPMLoss', 'spm_loss', 'spm_nce_loss', 'spm_targets', 'union_targets']
