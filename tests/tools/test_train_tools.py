"""tools/train.py, tools/test.py and tools/dist_train.sh, run as a user runs them (subprocesses)."""
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import pytest

HERE = osp.dirname(osp.abspath(__file__))
TOY_CONFIG = osp.join(HERE, 'toy_config.py')


def _env():
    env = dict(os.environ)
    # toy_components.py lives outside the package: custom_imports finds it on PYTHONPATH, as for users.
    env['PYTHONPATH'] = HERE + os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = '1'
    return env


def _run(cmd, repo_root, **kw):
    proc = subprocess.run(cmd, cwd=repo_root, env=_env(), capture_output=True, text=True, timeout=300, **kw)
    return proc


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_train_saves_checkpoints_and_resume_continues(tmp_path, repo_root):
    wd = str(tmp_path / 'wd')
    proc = _run([sys.executable, 'tools/train.py', TOY_CONFIG, '--work-dir', wd,
                 '--cfg-options', 'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2'], repo_root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join(wd, 'iter_2.pth'))

    proc = _run([sys.executable, 'tools/train.py', TOY_CONFIG, '--work-dir', wd, '--resume',
                 '--cfg-options', 'train_cfg.max_iters=4', 'log_level=INFO'], repo_root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 2' in out
    # The resumed run logs iterations 3 and 4 only.
    logged = [int(m) for m in re.findall(r'Iter\(train\) \[\s*(\d+)/4\]', out)]
    assert logged and min(logged) == 3 and max(logged) == 4
    assert osp.isfile(osp.join(wd, 'iter_4.pth'))


def test_resume_from_explicit_checkpoint_and_test_tool(tmp_path, repo_root):
    wd = str(tmp_path / 'wd')
    assert _run([sys.executable, 'tools/train.py', TOY_CONFIG, '--work-dir', wd], repo_root).returncode == 0
    proc = _run([sys.executable, 'tools/test.py', TOY_CONFIG, osp.join(wd, 'iter_4.pth'),
                 '--work-dir', wd, '--out', str(tmp_path / 'preds.pkl')], repo_root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r'accuracy: \d\.\d{4}', proc.stdout)
    assert osp.isfile(tmp_path / 'preds.pkl')


def test_bad_inputs_fail_clearly(tmp_path, repo_root):
    proc = _run([sys.executable, 'tools/train.py', 'configs/does_not_exist.py'], repo_root)
    assert proc.returncode != 0 and 'config file not found: configs/does_not_exist.py' in proc.stderr
    proc = _run([sys.executable, 'tools/train.py', TOY_CONFIG, '--work-dir', str(tmp_path),
                 '--cfg-options', 'train_cfgg.max_iters=1'], repo_root)
    assert proc.returncode != 0 and 'the config has no entry "train_cfgg"' in proc.stderr
    proc = _run([sys.executable, 'tools/train.py', TOY_CONFIG, '--work-dir', str(tmp_path),
                 '--resume', str(tmp_path / 'missing.pth')], repo_root)
    assert proc.returncode != 0 and 'checkpoint not found' in proc.stderr


def test_dist_train_two_processes_on_cpu(tmp_path, repo_root):
    wd = str(tmp_path / 'wd')
    env_port = dict(PORT=str(_free_port()), PYTHON=sys.executable)
    proc = subprocess.run(['bash', 'tools/dist_train.sh', TOY_CONFIG, '2', '--work-dir', wd,
                           '--cfg-options', 'log_level=INFO'],
                          cwd=repo_root, env={**_env(), **env_port}, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    # MMEngine's environment report: two processes in one gloo group (it calls the world size 'GPU number').
    assert 'Distributed training: True' in out and 'GPU number: 2' in out
    assert osp.isfile(osp.join(wd, 'iter_4.pth'))


@pytest.mark.parametrize('tool', ['train.py', 'test.py', 'analysis/print_config.py'])
def test_tools_have_help(tool, repo_root):
    proc = _run([sys.executable, f'tools/{tool}', '--help'], repo_root)
    assert proc.returncode == 0 and '--cfg-options' in proc.stdout and '--launcher' in proc.stdout


def test_print_config_resolves_overrides(repo_root):
    proc = _run([sys.executable, 'tools/analysis/print_config.py', TOY_CONFIG,
                 '--cfg-options', 'model.dim=7'], repo_root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "dim=7" in proc.stdout
