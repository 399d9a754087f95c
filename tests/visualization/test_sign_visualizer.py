import numpy as np
import pytest

from cclslr.structures.keypoint_layout import GROUP_SLICES, KEPT_75
from cclslr.visualization import SignVisualizer, skeleton_edges, tile
from cclslr.visualization.sign_visualizer import GROUP_COLOURS, skeleton_points


def test_skeleton_edges_follow_the_layout():
    e75, e133 = skeleton_edges(75), skeleton_edges(133)
    # hands 20 edges each, body 7, face 17 (jaw chain + nose), mouth ring 8
    assert len(e75) == len(e133) == 2 * 20 + 7 + 17 + 8
    for (i, j, g), (a, b, h) in zip(e75, e133):
        assert g == h and GROUP_SLICES[g].start <= i < GROUP_SLICES[g].stop
        assert (KEPT_75[i], KEPT_75[j]) == (a, b)  # the same bone in both layouts
    assert {i for i, _ in skeleton_points(133)} == set(KEPT_75)
    with pytest.raises(ValueError, match='133'):
        skeleton_edges(17)


def test_draw_skeleton_colours_the_groups_and_skips_low_scores():
    vis = SignVisualizer(name='test_skeleton', radius=3)
    kpts = np.full((75, 2), np.nan, np.float32)
    kpts[GROUP_SLICES['right_hand']] = [20, 20]
    kpts[GROUP_SLICES['left_hand']] = [80, 80]
    scores = np.ones(75)
    scores[GROUP_SLICES['left_hand']] = 0.1  # below score_thr: not drawn
    vis.set_image(np.zeros((100, 100, 3), np.uint8))
    img = vis.draw_skeleton(kpts, scores).get_image()
    assert np.abs(img[20, 20].astype(int) - GROUP_COLOURS['right_hand']).max() < 40
    assert img[80, 80].max() == 0 and img[60:, 60:].max() == 0
    with pytest.raises(ValueError, match=r'\(J, 2\)'):
        vis.draw_skeleton(np.zeros((75, 3)))


def test_heatmap_overlay_and_tiles(tmp_path):
    vis = SignVisualizer(name='test_heatmap', alpha=0.6)
    heat = np.zeros((8, 8), np.float32)
    heat[:4, :4] = 1.0
    img = vis.frame(np.full((16, 16, 3), 128, np.uint8), scale=2, heatmap=heat)
    assert img.shape == (32, 32, 3)
    # jet: 1 -> dark red, 0 -> dark blue
    assert img[2, 2, 0] > img[2, 2, 2] + 40 and img[30, 30, 2] > img[30, 30, 0] + 40
    grid = tile([img] * 5, cols=3, pad=1)
    assert grid.shape == (2 * 34, 3 * 34, 3)
    out = vis.add_figure('grid', grid, out_file=str(tmp_path / 'sub' / 'grid.png'))
    import cv2
    assert cv2.imread(out).shape == grid.shape


def test_registered_and_named_by_default_runtime(repo_root, tmp_path):
    import os.path as osp

    from mmengine.config import Config

    from cclslr.registry import VISUALIZERS
    cfg = Config.fromfile(osp.join(repo_root, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.visualizer.type == 'SignVisualizer'
    vis = VISUALIZERS.build(dict(cfg.visualizer, name='test_runtime', save_dir=str(tmp_path)))
    assert isinstance(vis, SignVisualizer)


def test_backends_receive_the_figure(tmp_path):
    from cclslr.registry import VISUALIZERS
    vis = VISUALIZERS.build(dict(type='SignVisualizer', name='test_backend', save_dir=str(tmp_path),
                                 vis_backends=[dict(type='LocalVisBackend')]))
    assert vis.add_figure('fig', np.full((10, 12, 3), 200, np.uint8), step=3) is None
    import glob
    assert glob.glob(str(tmp_path / 'vis_data' / 'vis_image' / 'fig_3.png'))


def test_overlay_tool_draws_with_the_visualizer(tiny_root, tmp_path):
    import os.path as osp

    from vis_helpers import assert_figure, load_tool
    out = str(tmp_path / 'overlay.png')
    load_tool('data', 'overlay_keypoints.py').main([osp.join(tiny_root, 'videos', '00000.mp4'),
                                                    osp.join(tiny_root, 'poses', '00000.pkl'), out,
                                                    '--frames', '4', '--scale', '2'])
    img = assert_figure(out, (64 * 2, 4 * 64 * 2))
    # the skeleton's colours are on the picture (right hand cyan in BGR)
    cyan = np.all(np.abs(img.astype(int) - GROUP_COLOURS['right_hand'][::-1]) < 30, axis=-1)
    assert cyan.sum() > 10
