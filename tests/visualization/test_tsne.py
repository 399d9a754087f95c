"""t-SNE figures: the embeddings plotted are the k-NN hook's, and the tool writes non-blank figures."""
import types

import torch
from vis_helpers import assert_figure, demo_config, load_tool, save_checkpoint, tiny_cclslr

from cclslr.visualization import build_model, embed_split

CFG = 'cclslr_tiny_1xb16-30e_synthetic.py'


def _hook_embeddings(cfg, model, monkeypatch):
    """What KNNEvalHook.evaluate embeds (bank, query), captured where it hands them to the scoring."""
    from mmengine.runner import Runner

    from cclslr.engine.hooks.knn_eval_hook import KNNEvalHook
    from cclslr.evaluation import knn
    seen = {}
    monkeypatch.setattr(knn, 'knn_scores',
                        lambda bank, query, k, t: seen.update(bank=bank, query=query) or {})
    hook_cfg = next(h for h in cfg.custom_hooks if h['type'] == 'KNNEvalHook')
    hook = KNNEvalHook(**{k: v for k, v in hook_cfg.items() if k != 'type'})
    runner = types.SimpleNamespace(
        model=model, seed=0, epoch=0, iter=0, build_dataloader=Runner.build_dataloader,
        message_hub=types.SimpleNamespace(update_scalar=lambda *a: None),
        visualizer=types.SimpleNamespace(add_scalars=lambda *a, **k: None),
        logger=types.SimpleNamespace(info=lambda *a: None))
    hook.evaluate(runner)
    return seen


def test_tsne_inputs_are_the_knn_hooks_embeddings(tiny_root, tmp_path, monkeypatch):
    from mmengine.config import Config
    cfg = Config.fromfile(demo_config(CFG, tiny_root, tmp_path, tiny_cclslr()))
    trained = build_model(cfg, None, seed=1)
    ckpt = save_checkpoint(trained, tmp_path / 'epoch_1.pth')
    seen = _hook_embeddings(cfg, trained, monkeypatch)
    loaded = build_model(cfg, ckpt)
    for split, hook_side in (('test', seen['query']), ('train', seen['bank'])):
        ours = embed_split(loaded, cfg, split)
        assert set(ours) == set(hook_side) >= {'label', 'rgb_embedding', 'pose_embedding', 'rgb_projection'}
        for key in ours:
            assert torch.equal(ours[key], hook_side[key]), (split, key)
    assert len(seen['query']['label']) == 8 and len(seen['bank']['label']) == 16
    # 'none' is the random initialisation: another seed gives other embeddings
    other = embed_split(build_model(cfg, 'none', seed=2), cfg, 'test')
    assert not torch.allclose(other['pose_embedding'], seen['query']['pose_embedding'])


def test_vis_tsne_writes_one_figure_per_panel(tiny_root, tmp_path, capsys):
    cfg = demo_config(CFG, tiny_root, tmp_path, tiny_cclslr())
    out = tmp_path / 'tsne'
    written = load_tool('visualization', 'vis_tsne.py').main([cfg, 'none', '--split', 'train',
                                                              '--out-dir', str(out)])
    assert set(written) == {'rgb', 'pose', 'joint'}
    for path in written.values():
        assert_figure(path, (260, 260))
    printed = capsys.readouterr().out
    assert 'rgb: 16 clips, silhouette' in printed and 'twin-distance ratio' in printed
    only_pose = load_tool('visualization', 'vis_tsne.py').main(
        [cfg, 'none', '--split', 'train', '--modalities', 'pose', '--out-dir', str(tmp_path / 'p')])
    assert set(only_pose) == {'pose'}


def test_panels_and_twin_ratio():
    from cclslr.visualization.tsne import tsne_panels, twin_distance_ratio
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(4).repeat_interleave(5)
    centres = torch.randn(4, 16, generator=g) * 5
    f = centres[labels] + 0.1 * torch.randn(20, 16, generator=g)
    emb = dict(label=labels, rgb_embedding=f, pose_embedding=f[:, :8], rgb_projection=f,
               pose_projection=f + 0.01 * torch.randn(20, 16, generator=g))
    panels = tsne_panels(emb)
    assert panels['rgb']['xy'].shape == (20, 2) and panels['joint']['xy_pose'].shape == (20, 2)
    # identical twins lie on top of each other: far below the random-pair distance
    assert twin_distance_ratio(panels['joint']) < 0.2
