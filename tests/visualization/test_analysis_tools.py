"""analyze_logs plot_curve, get_flops, the MPM figure and the demo's figures."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from vis_helpers import REPO, assert_figure, load_tool


def write_log(run_dir, rows):
    """An MMEngine work dir: <run>/<timestamp>/vis_data/<timestamp>.json, one json dict per line."""
    vis = run_dir / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    (vis / '20260101_000000.json').write_text('\n'.join(json.dumps(r) for r in rows) + '\n')
    return str(run_dir)


def test_plot_curve_several_runs(tmp_path, capsys):
    a = write_log(tmp_path / 'run_a', [dict(loss=3.0 - 0.1 * i, spread_f_rgb=0.1 * i, epoch=1 + i // 5,
                                            iter=i, step=i) for i in range(1, 11)]
                  + [{'knn/top1_rgb': 40.0, 'step': 10}])
    b = write_log(tmp_path / 'run_b', [dict(loss=2.0, epoch=1, iter=1, step=1),
                                       dict(loss=1.0, epoch=1, iter=2, step=2)])
    tool = load_tool('analysis', 'analyze_logs.py')
    out = tool.main(['plot_curve', a, b, '--keys', 'loss', 'knn/top1_rgb', '--out', str(tmp_path / 'c.png')])
    assert_figure(out, (2 * 260, 400))
    printed = capsys.readouterr().out
    assert 'run_a: loss 2, knn/top1_rgb 40' in printed and 'run_b: loss 1' in printed
    wide = tool.main(['plot_curve', a, '--keys', 'loss', 'spread_f_rgb', 'knn/top1_rgb', '--cols', '2',
                      '--out', str(tmp_path / 'w.png')])
    assert_figure(wide, (2 * 260, 2 * 400))
    with pytest.raises(KeyError, match="logged keys: .*'loss', 'spread_f_rgb'"):
        tool.main(['plot_curve', a, '--keys', 'loss_typo', '--out', str(tmp_path / 'd.png')])
    bad = tmp_path / 'bad.json'
    bad.write_text('{"loss": 1, "step": 1}\nnot json\n')
    with pytest.raises(ValueError, match='bad.json:2'):
        tool.main(['plot_curve', str(bad), '--out', str(tmp_path / 'e.png')])


@pytest.mark.parametrize('config', ['cclslr_tiny_1xb16-30e_synthetic.py',
                                    'recognizer_tiny_1xb8-40e_synthetic-2shot.py'])
def test_get_flops_table(config, capsys):
    rows = load_tool('analysis', 'get_flops.py').main([osp.join(REPO, 'configs', 'demo', config),
                                                       '--shape', '4', '32', '32'])
    names = [r[0] for r in rows]
    assert names[0].startswith('rgb encoder') and names[-1].startswith('whole model')
    parts = rows[:-1]
    # the whole forward is the branches' sum; CCLSLR's parameters also count the EMA key branch
    assert rows[-1][2] == pytest.approx(sum(r[2] for r in parts), rel=1e-3)
    assert rows[-1][1] >= sum(r[1] for r in parts)
    rgb_flops = rows[0][2]
    big = load_tool('analysis', 'get_flops.py').main([osp.join(REPO, 'configs', 'demo', config),
                                                      '--shape', '8', '32', '32'])
    assert big[0][2] == pytest.approx(2 * rgb_flops, rel=0.05)  # a 3D conv net is linear in T
    assert 'GFLOPs' in capsys.readouterr().out


def test_mpm_figure_rows(tiny_root, tmp_path, capsys):
    tool = load_tool('mpm', 'visualize.py')
    video = osp.join(tiny_root, 'videos', '00000.mp4')
    fractions = tool.main(['--video', video, '--out-dir', str(tmp_path), '--codec', 'frame_diff',
                           '--threshold', '0.1', '--size', '64', '64', '--num-frames', '4', '--no-progress'])
    assert set(fractions) == {'00000'} and 0 < fractions['00000'] < 1
    # 4 rows of (14 label + 66) pixels, 4 tiles of 66
    img = assert_figure(str(tmp_path / '00000.png'), (4 * 80, 4 * 66))
    mask_row = img[3 * 80 + 15:3 * 80 + 79]
    assert set(np.unique(mask_row)) <= {0, 255}  # the binary mask is binary
    tool.main(['--video', video, '--out-dir', str(tmp_path / 'm'), '--codec', 'frame_diff', '--threshold',
               '0.1', '--size', '64', '64', '--num-frames', '4', '--no-progress', '--with-masked'])
    assert_figure(str(tmp_path / 'm' / '00000.png'), (5 * 80, 4 * 66))


def test_demo_figures(tmp_path):
    from cclslr.visualization.demo_figures import write_demo_figures
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(4).repeat_interleave(4)

    def emb(noise):
        f = torch.randn(4, 8, generator=g)[labels] + noise * torch.randn(16, 8, generator=g)
        return dict(label=labels, rgb_embedding=f, pose_embedding=f, rgb_projection=f, pose_projection=f)
    knn = dict(top1_rgb=40.0, top1_pose=70.0, top1_fused=80.0, recall1_pose2rgb=2.0, recall1_rgb2pose=3.0)
    finetune = {(v, n): dict(top1_instance=50.0 + 10 * i) for i, (v, n) in enumerate(
        [('fused', 'scratch'), ('fused', 'CCL-SLR'), ('pose-only', 'scratch'), ('pose-only', 'CCL-SLR')])}
    paths = write_demo_figures(str(tmp_path), emb(3.0), emb(0.1), knn, knn, finetune)
    assert_figure(paths['tsne'], (2 * 260, 3 * 260))
    assert_figure(paths['table'], (300, 850))
