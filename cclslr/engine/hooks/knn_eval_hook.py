"""Label-free monitoring of pre-training: k-NN accuracy and cross-modal retrieval every few epochs."""
from typing import Optional, Union

from mmengine.hooks import Hook

from cclslr.registry import HOOKS
from cclslr.evaluation.knn import knn_evaluate


@HOOKS.register_module()
class KNNEvalHook(Hook):
    """Every ``interval`` epochs (or iterations), run :func:`knn_evaluate` and log the numbers.

    Args:
        dataloader: config (built with ``Runner.build_dataloader``) or a built loader of labelled clips
            with one view per modality (a test-style pipeline), e.g. the training split of the target
            benchmark. Alone it is scored leave-one-out.
        query_dataloader: optional second split classified against ``dataloader`` (the memory bank).
        interval: evaluate every ``interval`` epochs (``by_epoch=True``) or iterations, and at the end.
        by_epoch: see ``interval``.
        k, temperature: weighted k-NN parameters (see :mod:`cclslr.evaluation.knn`).
        eval_before_train: also evaluate once before the first iteration (the random-encoder baseline).
        prefix: the numbers go to ``runner.message_hub`` as ``<prefix>/top1_rgb`` etc., to the
            visualizer backends at the current iteration, and to the log as one line.
    """

    priority = 'NORMAL'

    def __init__(self, dataloader: Union[dict, object],
                 query_dataloader: Optional[Union[dict, object]] = None,
                 interval: int = 1, by_epoch: bool = True, k: int = 20, temperature: float = 0.07,
                 eval_before_train: bool = False, prefix: str = 'knn'):
        if interval < 1:
            raise ValueError(f'KNNEvalHook: interval must be >= 1, got {interval}')
        self._dataloader_cfg = dataloader
        self._query_cfg = query_dataloader
        self.dataloader = self.query_dataloader = None
        self.interval = interval
        self.by_epoch = by_epoch
        self.k = k
        self.temperature = temperature
        self.eval_before_train = eval_before_train
        self.prefix = prefix
        self.last_metrics: dict = {}

    def _build(self, runner) -> None:
        def build(cfg):
            return runner.build_dataloader(cfg, seed=runner.seed) if isinstance(cfg, dict) else cfg

        if self.dataloader is None:
            self.dataloader = build(self._dataloader_cfg)
            if self._query_cfg is not None:
                self.query_dataloader = build(self._query_cfg)

    def before_train(self, runner) -> None:
        self._build(runner)
        if self.eval_before_train:
            self.evaluate(runner)

    # MMEngine's loops count an epoch (an iteration) only after its after_train_epoch (after_train_iter)
    # hooks: there runner.epoch (runner.iter) is the 0-based index of the one just finished, which is
    # why its CheckpointHook saves ``epoch_{runner.epoch + 1}.pth``. The log names the same numbers.
    def after_train_epoch(self, runner) -> None:
        if self.by_epoch and (self.every_n_epochs(runner, self.interval) or self.is_last_train_epoch(runner)):
            self.evaluate(runner, epoch=runner.epoch + 1, iteration=runner.iter)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.by_epoch and (self.every_n_train_iters(runner, self.interval)
                                  or self.is_last_train_iter(runner)):
            # The epoch in progress, 1-based as in MMEngine's "Epoch(train) [N]" lines.
            self.evaluate(runner, epoch=runner.epoch + 1, iteration=runner.iter + 1)

    def evaluate(self, runner, epoch: Optional[int] = None, iteration: Optional[int] = None) -> dict:
        """Evaluate now and log; returns ``{'<prefix>/<name>': value}``.

        ``epoch`` / ``iteration``: the epochs and iterations done, as the log and the visualizer step
        name them (default: ``runner.epoch`` / ``runner.iter``, right outside the training loop's
        hooks, e.g. before training).
        """
        epoch = runner.epoch if epoch is None else epoch
        iteration = runner.iter if iteration is None else iteration
        self._build(runner)
        metrics = knn_evaluate(runner.model, self.dataloader, self.query_dataloader, self.k,
                               self.temperature)
        self.last_metrics = {f'{self.prefix}/{name}': value for name, value in metrics.items()}
        for name, value in self.last_metrics.items():
            runner.message_hub.update_scalar(name, value)
        runner.visualizer.add_scalars(self.last_metrics, step=iteration)
        runner.logger.info(f'k-NN eval (epoch {epoch}, iter {iteration}): ' + ', '.join(
            f'{name} {value:.2f}' for name, value in self.last_metrics.items()))
        return self.last_metrics
