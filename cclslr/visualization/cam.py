"""Grad-CAM of the RGB encoder's last stage (Selvaraju et al. 2017; the paper's Fig. 4).

MMAction2's ``mmaction/utils/gradcam_utils.py`` only accepts its own ``Recognizer2D`` / ``Recognizer3D``
(it checks the class and reads ``cls_head.average_clips``), so it cannot take cclslr's models; this
module does the same computation for them: the backbone's last feature map A (1, C, T', H', W') and the
gradient G of a scalar score; weights = G averaged over space per time step (as MMAction2 does); CAM =
ReLU(sum_c w * A), upsampled to the clip (T, H, W) and scaled to [0, 1] over the whole clip.

The score: for a recognizer (``SignRecognizer``, ``PGFRecognizer``) the summed logit of the predicted
class (or of ``target``); for a pre-training ``CCLSLR`` the cosine similarity of the clip's RGB projection
f to its own pose projection (detached): where the RGB encoder looks to agree with the pose encoder.
"""
from typing import Optional

import torch
import torch.nn.functional as F


def rgb_encoder_of(model) -> torch.nn.Module:
    """The RGB encoder of a CCLSLR (``encoders['rgb']``) or of a recognizer (``backbones['rgb']``)."""
    for attr in ('encoders', 'backbones'):
        modules = getattr(model, attr, None)
        if modules is not None and 'rgb' in modules:
            return modules['rgb']
    raise ValueError(f'{type(model).__name__} has no RGB encoder (encoders["rgb"] / backbones["rgb"]): '
                     'Grad-CAM needs one')


class RGBGradCAM:
    """Grad-CAM on ``rgb_encoder_of(model).backbone``'s output (its last stage; a tuple: the last map).

    Args:
        model: a CCLSLR or a recognizer, with its data preprocessor; switched to eval mode.
        layer: optional dotted name of a module inside the backbone whose (N, C, T', H', W') output to
            use instead (e.g. ``'layer3'`` of a ResNet3d: twice the spatial resolution of the last stage).
    """

    def __init__(self, model, layer: Optional[str] = None):
        self.model = model.eval()
        encoder = rgb_encoder_of(model)
        backbone = getattr(encoder, 'backbone', encoder)
        if layer is None:
            self.layer = backbone
        else:
            try:
                self.layer = backbone.get_submodule(layer)
            except AttributeError:
                names = [n for n, _ in backbone.named_children()]
                raise ValueError(f'Grad-CAM: the RGB backbone {type(backbone).__name__} has no module '
                                 f'{layer!r} (its children: {names})') from None
        self._act = None
        self.layer.register_forward_hook(self._keep)

    def _keep(self, module, args, output):
        act = output[-1] if isinstance(output, (tuple, list)) else output
        if act.requires_grad:
            act.retain_grad()
        self._act = act

    def _score(self, inputs: dict, target: Optional[int]):
        if hasattr(self.model, 'extract_query'):  # pre-training: RGB-to-pose agreement
            if 'pose' not in getattr(self.model, 'modalities', ()):
                raise ValueError('Grad-CAM of a CCLSLR scores RGB against pose: the model has no pose '
                                 'encoder')
            feats = self.model.extract_query(inputs)
            return (feats['rgb']['f'] * feats['pose']['f'].detach()).sum(), None, None
        logits = self.model(inputs, mode='tensor')
        summed = torch.stack(list(logits.values())).sum(0)[0]
        pred = int(summed.argmax())
        label = pred if target is None else int(target)
        return summed[label], label, float(summed.detach().softmax(-1)[pred])

    def __call__(self, data_batch: dict, target: Optional[int] = None) -> dict:
        """One clip, as ``default_collate`` batches a packed sample (batch size 1).

        Returns:
            ``cam`` float (T, H, W) in [0, 1] at the model input's size; ``score`` the scalar explained;
            ``label`` the explained class (recognizers, else None) and ``confidence`` the softmax
            probability of the predicted class.
        """
        data = self.model.data_preprocessor(data_batch, training=False)
        inputs = data['inputs']
        rgb = inputs['rgb'][0]
        if rgb.shape[0] != 1:
            raise ValueError(f'Grad-CAM takes one clip, got a batch of {rgb.shape[0]}')
        self.model.zero_grad()
        with torch.enable_grad():
            inputs['rgb'] = [v.detach().requires_grad_(True) for v in inputs['rgb']]
            score, label, confidence = self._score(inputs, target)
            score.backward()
        act, grad = self._act.detach(), self._act.grad
        if grad is None:
            raise RuntimeError(f'Grad-CAM: no gradient reached {type(self.layer).__name__}\'s output')
        weights = grad.mean(dim=(3, 4), keepdim=True)  # (1, C, T', 1, 1)
        cam = F.relu((weights * act).sum(dim=1, keepdim=True))  # (1, 1, T', H', W')
        cam = F.interpolate(cam, size=rgb.shape[2:], mode='trilinear', align_corners=False)[0, 0]
        lo, hi = cam.min(), cam.max()
        cam = (cam - lo) / (hi - lo) if hi > lo else torch.zeros_like(cam)
        return dict(cam=cam.numpy(), score=float(score.detach()), label=label, confidence=confidence)

