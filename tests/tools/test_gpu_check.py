"""tools/analysis/gpu_check.py on CPU at tiny sizes, so that the one-GPU check cannot rot."""
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis', 'gpu_check.py')


def _run(args, timeout=900):
    return subprocess.run([sys.executable, TOOL, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def test_gpu_check_runs_on_cpu_with_both_shuffle_settings(tmp_path):
    proc = _run(['--device', 'cpu', '--tiny', '--iters', '3', '--warmup', '1', '--log-interval', '1',
                 '--batch', '2', '--dtypes', 'bfloat16', '--pool', '4', '--num-workers', '0',
                 '--split-iters', '1', '--data-root', str(tmp_path / 'data')])
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert 'data: 64 synthetic clips' in out and 'pool: 4 two-view samples of 40 clips' in out
    assert '== bfloat16, shuffle BN on (ShuffleBN(num_splits=2)), batch 2, 3 iterations' in out
    assert '== bfloat16, shuffle BN off, batch 2, 3 iterations' in out
    iter_lines = [line for line in out.splitlines() if line.startswith('iter ')]
    assert len(iter_lines) == 6  # 3 per run
    for line in iter_lines:
        for term in ('loss_cl_rgb', 'loss_spm_pose', 'loss_cross_r2p', 'spread_f_rgb', 'spread_f_pose'):
            assert term in line
    assert out.count('step split (benchmark_step.py):') == 2 and 'algorithm share' in out
    table = out[out.index('dtype     shuffle'):].splitlines()
    assert table[1].split()[:3] == ['bfloat16', 'on', '2']
    assert table[2].split()[:3] == ['bfloat16', 'off', '2']
    assert 'non-finite' not in out


def test_gpu_check_needs_a_batch_on_cpu(tmp_path):
    proc = _run(['--device', 'cpu', '--data-root', str(tmp_path / 'data')], timeout=300)
    assert proc.returncode != 0 and 'give --batch on CPU' in proc.stderr
    assert not (tmp_path / 'data').exists()  # failed before rendering anything
