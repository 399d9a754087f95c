"""The main job's plumbing (README's first command), in its --quick mode on the tiny synthetic preset:
every stage runs and the final table has all its rows. The numbers of a 2-iteration run mean nothing."""
import re
import subprocess
import sys


def test_main_job_quick(tmp_path, repo_root):
    proc = subprocess.run([sys.executable, 'tools/demo.py', '--quick', '--preset', 'tiny',
                           '--data-root', str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'wd')],
                          cwd=repo_root, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for stage in range(1, 7):
        assert f'== {stage}/6' in out
    for row in ('k-NN top-1, RGB embedding', 'k-NN top-1, pose embedding', 'retrieval R@1, pose -> RGB',
                'k-NN top-1, 2 labels/class, pose', 'fused top1_instance', 'pose-only top5_instance'):
        assert re.search(re.escape(row) + r'\s+\d+\.\d\d\s+\d+\.\d\d', out), row
    assert (tmp_path / 'data' / 'mpm_masks').is_dir()  # the MPM stage wrote a cache
    assert any((tmp_path / 'wd' / 'pretrain').glob('*.pth'))


def test_main_job_with_another_pretraining_config(tmp_path, repo_root):
    proc = subprocess.run([sys.executable, 'tools/demo.py', '--quick', '--preset', 'tiny',
                           '--pretrain-config', 'configs/demo/cclslr-xpl_tiny_1xb16-30e_synthetic.py',
                           '--data-root', str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'wd')],
                          cwd=repo_root, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'pre-training config: configs/demo/cclslr-xpl_tiny_1xb16-30e_synthetic.py' in proc.stdout
    assert re.search(r'pose-only top1_instance\s+\d+\.\d\d\s+\d+\.\d\d', proc.stdout)


def test_main_job_names_a_missing_config(tmp_path, repo_root):
    proc = subprocess.run([sys.executable, 'tools/demo.py', '--pretrain-config', 'configs/demo/nope.py',
                           '--data-root', str(tmp_path / 'data')],
                          cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert '--pretrain-config configs/demo/nope.py: no such file' in proc.stderr
    assert not (tmp_path / 'data').exists()  # failed before generating anything
