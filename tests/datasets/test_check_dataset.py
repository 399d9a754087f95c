"""tools/data/check_dataset.py on the tiny set: every bad file reported, non-zero exit code."""
import importlib.util
import json
from pathlib import Path

from conftest import wlasl_cfg

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'data' / 'check_dataset.py'


def _tool():
    spec = importlib.util.spec_from_file_location('check_dataset', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_dataset_reports_problems(tmp_path, tiny_wlasl):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f'train_dataloader = dict(batch_size=2, dataset={wlasl_cfg(tiny_wlasl)!r})\n')
    out = tmp_path / 'report.json'
    code = _tool().main([str(cfg), '--out', str(out), '--min-frames', '13'])
    report = json.loads(out.read_text())
    assert code == 1 and report['num_samples'] == 10
    kinds = {(p['sample_id'], p['kind']) for p in report['problems']}
    assert kinds == {('00006', 'unreadable'), ('00007', 'missing'), ('00008', 'mismatch'),
                     ('00009', 'nan'), ('00005', 'too_short')}
    assert all(p['file'] in p['reason'] for p in report['problems'])
    clean = tmp_path / 'clean.py'
    clean.write_text(f'train_dataloader = dict(dataset={wlasl_cfg(tiny_wlasl, split=["train"])!r})\n')
    assert _tool().main([str(clean), '--no-pose']) == 0
