"""Confusion matrix: tools/test.py --out pickles read safely, counts, ordering, the tool's outputs."""
import csv
import os
import pickle

import numpy as np
import pytest
import torch
from vis_helpers import assert_figure, demo_config, load_tool

from cclslr.fileio import UnsafePickleError
from cclslr.structures import SignDataSample
from cclslr.visualization.confusion import (confusion_matrix, confusion_order, load_predictions,
                                            top_confused_pairs)


def dump_predictions(path, labels, preds, num_classes):
    """What tools/test.py --out writes: MMEngine's DumpResults over the recognizer's data samples."""
    from mmengine.evaluator import DumpResults
    metric = DumpResults(out_file_path=str(path))
    samples = []
    for label, pred in zip(labels, preds):
        s = SignDataSample()
        s.set_gt_label(int(label))
        score = torch.full((num_classes,), 0.1 / num_classes)
        score[pred] = 0.9
        s.set_pred_score(score)
        s.set_metainfo(dict(sample_id=f'clip{len(samples)}'))
        samples.append(s.to_dict())
    metric.process({}, samples)
    metric.compute_metrics(metric.results)
    return str(path)


def test_reads_dump_results_and_refuses_code(tmp_path):
    path = dump_predictions(tmp_path / 'p.pkl', [0, 1, 2], [0, 2, 2], 3)
    labels, scores = load_predictions(path)
    np.testing.assert_array_equal(labels, [0, 1, 2])
    np.testing.assert_array_equal(scores.argmax(1), [0, 2, 2])
    assert scores.shape == (3, 3) and scores.dtype == np.float32

    class Evil:
        def __reduce__(self):
            return (os.system, ('echo pwned',))
    bad = tmp_path / 'bad.pkl'
    bad.write_bytes(pickle.dumps([dict(gt_label=Evil())]))
    with pytest.raises(UnsafePickleError, match='bad.pkl'):
        load_predictions(str(bad))
    (tmp_path / 'emb.pkl').write_bytes(pickle.dumps([dict(rgb_embedding=np.zeros(3))]))
    with pytest.raises(ValueError, match='no gt_label / pred_score'):
        load_predictions(str(tmp_path / 'emb.pkl'))
    cut = open(path, 'rb').read()[:-9]  # a real dump, truncated
    for name, data in (('text.pkl', b'garbage\n'), ('cut.pkl', cut)):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=f'{name}: not a readable tools/test.py --out pickle'):
            load_predictions(str(tmp_path / name))


def test_counts_pairs_and_confusion_order():
    # classes 0 <-> 3 and 1 <-> 4 are confused with each other, 2 is clean
    labels = np.array([0, 0, 0, 3, 3, 3, 1, 1, 4, 4, 2, 2])
    preds = np.array([0, 3, 3, 3, 0, 3, 4, 1, 1, 4, 2, 2])
    cm = confusion_matrix(labels, preds, 5)
    assert cm.sum() == 12 and cm.trace() == 7 and cm[0, 3] == 2
    assert top_confused_pairs(cm, 2)[0] == (0, 3, 2, pytest.approx(2 / 3))
    order = list(confusion_order(cm))
    assert sorted(order) == [0, 1, 2, 3, 4]
    assert abs(order.index(0) - order.index(3)) == 1 and abs(order.index(1) - order.index(4)) == 1
    with pytest.raises(ValueError, match='outside'):
        confusion_matrix(np.array([5]), np.array([0]), 5)


def test_tool_writes_png_and_csv_with_gloss_names(tiny_root, tmp_path, capsys):
    import json
    import os.path as osp
    cfg = demo_config('recognizer_tiny_1xb8-40e_synthetic-2shot.py', tiny_root, tmp_path)
    with open(osp.join(tiny_root, 'WLASL_v0.3.json')) as f:
        glosses = [g['gloss'] for g in json.load(f)]
    labels = [0, 0, 1, 1, 2, 2, 3, 3]
    preds = [0, 1, 1, 1, 2, 3, 3, 3]
    pkl = dump_predictions(tmp_path / 'preds.pkl', labels, preds, len(glosses))
    out = load_tool('analysis', 'confusion_matrix.py').main([pkl, cfg, '--out-dir', str(tmp_path / 'cm')])
    assert_figure(out['png'], (500, 600))
    with open(out['csv']) as f:
        rows = list(csv.DictReader(f))
    assert [r['gloss'] for r in rows] == glosses
    assert [r['accuracy'] for r in rows] == ['50.00', '100.00', '50.00', '100.00']
    printed = capsys.readouterr().out
    assert 'top-1 75.00%' in printed and f'{glosses[0]} -> {glosses[1]}: 1 (50.0%)' in printed
