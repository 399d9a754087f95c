"""A tqdm progress bar over training and evaluation, for interactive runs such as the demo."""
from mmengine.hooks import Hook
from tqdm import tqdm

from cclslr.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show one bar per training run and per evaluation, with the current loss.

    The log file keeps MMEngine's full iteration log; set ``log_level='WARNING'`` in the config to keep
    the console to the bars alone.

    Args:
        desc: label printed before the training bar.
    """

    priority = 'VERY_LOW'

    def __init__(self, desc: str = 'train'):
        self.desc = desc
        self._bar = None
        self._eval_bar = None

    def before_train(self, runner) -> None:
        if runner.rank == 0:
            self._bar = tqdm(total=runner.max_iters, initial=runner.iter, desc=self.desc, unit='it',
                             dynamic_ncols=True)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        if outputs and 'loss' in outputs:
            self._bar.set_postfix(epoch=runner.epoch + 1, loss=f'{float(outputs["loss"].detach()):.3f}')

    def after_train(self, runner) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _start_eval(self, runner, loader, desc):
        if runner.rank == 0:
            self._eval_bar = tqdm(total=len(loader), desc=desc, unit='batch', leave=False,
                                  dynamic_ncols=True)

    def _step_eval(self):
        if self._eval_bar is not None:
            self._eval_bar.update(1)

    def _end_eval(self):
        if self._eval_bar is not None:
            self._eval_bar.close()
            self._eval_bar = None

    def before_val_epoch(self, runner) -> None:
        self._start_eval(runner, runner.val_dataloader, 'val')

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._step_eval()

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._end_eval()

    def before_test_epoch(self, runner) -> None:
        self._start_eval(runner, runner.test_dataloader, 'test')

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._step_eval()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._end_eval()
