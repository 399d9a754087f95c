"""tools/data/check_dataset.py reads the new pose formats through read_pose: the real AUTSL RGB + .pose
pair passes, a broken .pose file is reported naming it."""
import importlib.util
import json
import os
import os.path as osp
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'data' / 'check_dataset.py'


def _tool():
    spec = importlib.util.spec_from_file_location('check_dataset', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_dataset_reads_pose_format_files(shared_data, tmp_path):
    src = osp.join(shared_data, 'pose_format', 'autsl_sample', 'signer0_sample1000')
    for sub in ('videos', 'poses'):
        (tmp_path / sub).mkdir()
    for name in ('good', 'broken'):  # links to the real clip: nothing copied
        os.symlink(src + '_color.mp4', tmp_path / 'videos' / f'{name}.mp4')
    os.symlink(src + '.pose', tmp_path / 'poses' / 'good.pose')
    with open(src + '.pose', 'rb') as f:
        (tmp_path / 'poses' / 'broken.pose').write_bytes(f.read()[:5000])  # cut inside the body
    ds = dict(type='SignListDataset', ann_file=str(tmp_path / 'list.txt'), pose_ext='.pose',
              data_prefix=dict(video=str(tmp_path / 'videos'), pose=str(tmp_path / 'poses')))
    (tmp_path / 'list.txt').write_text('good 164\n')
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f'train_dataloader = dict(dataset={ds!r})\n')
    assert _tool().main([str(cfg), '--out', str(tmp_path / 'ok.json')]) == 0
    assert json.loads((tmp_path / 'ok.json').read_text())['num_samples'] == 1
    (tmp_path / 'list.txt').write_text('good 164\nbroken 164\n')
    assert _tool().main([str(cfg), '--out', str(tmp_path / 'bad.json')]) == 1
    problems = json.loads((tmp_path / 'bad.json').read_text())['problems']
    broken = str(tmp_path / 'poses' / 'broken.pose')
    assert [(p['sample_id'], p['file']) for p in problems] == [('broken', broken)]
    assert problems[0]['file'] in problems[0]['reason']
