"""The demo's plumbing (README's first command), in its --quick mode on the tiny synthetic preset:
every stage runs and the final table has all its rows. The numbers of a 2-iteration run mean nothing."""
import re
import subprocess
import sys


def test_demo_quick(tmp_path, repo_root):
    proc = subprocess.run([sys.executable, 'tools/demo.py', '--quick', '--preset', 'tiny',
                           '--data-root', str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'wd')],
                          cwd=repo_root, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for stage in range(1, 7):
        assert f'== {stage}/6' in out
    for row in ('k-NN top-1, RGB embedding', 'k-NN top-1, pose embedding', 'retrieval R@1, pose -> RGB',
                'k-NN top-1, 2 labels/class, pose', 'fused top1_instance', 'RGB-only top1_instance',
                'pose-only top5_instance'):
        assert re.search(re.escape(row) + r'\s+\d+\.\d\d\s+\d+\.\d\d', out), row
    # the table says what the demo pre-training departs from the paper in
    assert 'loss terms: cl rgb+pose, cross r2p+p2r; RGB input: frame differences' in out
    assert (tmp_path / 'data' / 'mpm_masks').is_dir()  # the MPM stage wrote a cache
    assert any((tmp_path / 'wd' / 'pretrain').glob('*.pth'))


def test_demo_with_another_pretraining_config(tmp_path, repo_root):
    proc = subprocess.run([sys.executable, 'tools/demo.py', '--quick', '--preset', 'tiny',
                           '--pretrain-config', 'configs/demo/cclslr-xpl_tiny_1xb16-30e_synthetic.py',
                           '--data-root', str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'wd')],
                          cwd=repo_root, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'pre-training config: configs/demo/cclslr-xpl_tiny_1xb16-30e_synthetic.py' in proc.stdout
    assert 'loss terms: cl pose, spm pose, cross r2p, pl rgb; RGB input: frame differences' in proc.stdout
    assert re.search(r'pose-only top1_instance\s+\d+\.\d\d\s+\d+\.\d\d', proc.stdout)


def test_demo_names_a_missing_config(tmp_path, repo_root):
    proc = subprocess.run([sys.executable, 'tools/demo.py', '--pretrain-config', 'configs/demo/nope.py',
                           '--data-root', str(tmp_path / 'data')],
                          cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert '--pretrain-config configs/demo/nope.py: no such file' in proc.stderr
    assert not (tmp_path / 'data').exists()  # failed before generating anything


def test_label_scarce_knn_uses_only_the_fine_tuning_clips(repo_root, monkeypatch):
    # knn_numbers scores the test split twice: against the whole labelled split, then against only the
    # clips the 2-shot fine-tuning sees (its num_per_class / subset_seed), k = clips per class. The test
    # split is embedded once.
    import importlib.util
    import os.path as osp

    import cclslr.evaluation as evaluation
    spec = importlib.util.spec_from_file_location('demo_tool', osp.join(repo_root, 'tools', 'demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    embedded, calls = [], []

    def fake_embed(model, *loaders):
        embedded.append(loaders)
        return list(loaders)  # "embeddings" = the loader configs, so the scores see which is which

    def fake_scores(bank, query, k):
        calls.append((bank, query, k))
        return {'top1_pose': 50.0 + len(calls), 'recall1_pose2rgb': 1.0}

    class FakeRunner:
        model = None

        def build_dataloader(self, cfg, seed):
            return cfg

    monkeypatch.setattr(evaluation, 'embed_for_eval', fake_embed)
    monkeypatch.setattr(evaluation, 'knn_scores', fake_scores)
    hook = dict(k=10, dataloader=dict(dataset=dict(split='train')),
                query_dataloader=dict(dataset=dict(split='test')))
    out = demo.knn_numbers(FakeRunner(), hook, dict(num_per_class=2, subset_seed=7))
    (bank1, q1, k1), (bank2, q2, k2) = calls
    assert bank1 == dict(dataset=dict(split='train')) and k1 == 10
    assert bank2 == dict(dataset=dict(split='train', num_per_class=2, subset_seed=7)) and k2 == 2
    assert q1 == q2 == dict(dataset=dict(split='test'))
    assert len(embedded) == 1 and len(embedded[0]) == 3  # one pass, the test split once
    assert hook['dataloader'] == dict(dataset=dict(split='train'))  # the hook config is not changed
    assert out == {'top1_pose': 51.0, 'recall1_pose2rgb': 1.0, 'shots_top1_pose': 52.0}
    # a fine-tuning config without num_per_class (all labels): no label-scarce rows
    calls.clear()
    out = demo.knn_numbers(FakeRunner(), hook, dict(num_per_class=None, subset_seed=0))
    assert len(calls) == 1 and 'shots_top1_pose' not in out
