"""A toy dataset and model registered from OUTSIDE the package, used to test the tools and the plugin
mechanism (``custom_imports``) without depending on the real models."""
import torch
from mmengine.dataset import BaseDataset
from mmengine.model import BaseModel

from cclslr.registry import DATASETS, METRICS, MODELS
from mmengine.evaluator import BaseMetric


@DATASETS.register_module()
class ToyVectorDataset(BaseDataset):
    """Two separable Gaussian blobs, deterministic."""

    def __init__(self, num=16, dim=4, **kwargs):
        self.num, self.dim = num, dim
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self):
        g = torch.Generator().manual_seed(0)
        out = []
        for i in range(self.num):
            label = i % 2
            x = torch.randn(self.dim, generator=g) + (2 * label - 1)
            out.append(dict(inputs=x, label=label))
        return out


@MODELS.register_module()
class ToyClassifier(BaseModel):
    def __init__(self, dim=4, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.fc = torch.nn.Linear(dim, 2)

    def forward(self, inputs, label=None, mode='tensor', **unused):
        logits = self.fc(torch.stack(inputs) if isinstance(inputs, list) else inputs)
        if mode == 'loss':
            return dict(loss=torch.nn.functional.cross_entropy(logits, torch.as_tensor(label)))
        if mode == 'predict':
            return [dict(pred=p, label=int(y)) for p, y in zip(logits.argmax(-1), label)]
        return logits


@METRICS.register_module()
class ToyAccuracy(BaseMetric):
    def process(self, data_batch, data_samples):
        self.results.extend(int(s['pred']) == s['label'] for s in data_samples)

    def compute_metrics(self, results):
        return dict(accuracy=sum(results) / max(len(results), 1))
