"""init_recognizer / inference_recognizer / SignInferencer on tiny synthetic clips and 1-iteration
checkpoints: the scores equal tools/test.py's, every input form gives the same numbers, bad inputs fail
clearly."""
import csv
import importlib.util
import io
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from tiny_models import FUSED_CFG, POSE_CFG, REPO, data_options  # noqa: E402

from cclslr.apis import (CheckpointMismatchError, KeypointSourceWarning, NoPersonError,  # noqa: E402
                         SignInferencer, inference_recognizer, init_recognizer)
from cclslr.fileio import SafeUnpickler, read_pose, read_video, write_video  # noqa: E402


class _DumpUnpickler(SafeUnpickler):
    """DumpResults pickles a list of dicts of tensors: a tensor is ``_rebuild_tensor_v2`` over a storage
    stored as torch.save bytes, rebuilt here with a weights-only torch.load (torch's own
    ``_load_from_bytes`` would load them unrestricted). Nothing else is admitted."""

    def find_class(self, module, name):
        if (module, name) == ('torch.storage', '_load_from_bytes'):
            return lambda b: torch.load(io.BytesIO(b), weights_only=True)
        if (module, name) == ('torch._utils', '_rebuild_tensor_v2'):
            return torch._utils._rebuild_tensor_v2
        return super().find_class(module, name)


def _load_dump(path):
    with open(path, 'rb') as f:
        return _DumpUnpickler(f, path).load()


def _test_clips(root):
    with open(osp.join(root, 'WLASL_v0.3.json')) as f:
        ann = json.load(f)
    return [i['video_id'] for g in ann for i in g['instances'] if i['split'] == 'test']


def _pair(root, vid):
    return osp.join(root, 'videos', f'{vid}.mp4'), osp.join(root, 'poses', f'{vid}.pkl')


@pytest.fixture(scope='module')
def fused_model(tiny_signs, fused_ckpt):
    return init_recognizer(FUSED_CFG, fused_ckpt, cfg_options=data_options(tiny_signs))


def test_scores_equal_the_test_tool(tiny_signs, fused_ckpt, fused_model, tmp_path):
    spec = importlib.util.spec_from_file_location('test_tool', osp.join(REPO, 'tools', 'test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'preds.pkl')
    opts = [f'{k}={v}' for k, v in data_options(tiny_signs).items()]
    tool.main([FUSED_CFG, fused_ckpt, '--out', out, '--work-dir', str(tmp_path / 'wd'),
               '--cfg-options', *opts])
    dumped = _load_dump(out)
    by_video = {osp.basename(d['video_path']): d['pred_score'].numpy() for d in dumped}
    vids = _test_clips(tiny_signs)
    assert sorted(by_video) == sorted(f'{v}.mp4' for v in vids) and vids
    for vid in vids:
        res = inference_recognizer(fused_model, _pair(tiny_signs, vid))
        np.testing.assert_allclose(res.scores, by_video[f'{vid}.mp4'], atol=1e-6, rtol=0)


def test_result_and_dataset_meta(tiny_signs, fused_model):
    # the checkpoint keeps the training set's gloss names and the config's keypoint_source
    with open(osp.join(tiny_signs, 'WLASL_v0.3.json')) as f:
        glosses = tuple(g['gloss'] for g in json.load(f))
    assert fused_model.dataset_meta['classes'] == glosses and len(glosses) == 2
    assert fused_model.keypoint_source == 'synthetic'
    res = inference_recognizer(fused_model, _pair(tiny_signs, _test_clips(tiny_signs)[0]), topk=5)
    assert res.scores.shape == (2, ) and abs(res.scores.sum() - 1) < 1e-5
    assert len(res.topk_ids) == 2  # k capped at the number of classes
    assert list(res.topk_scores) == sorted(res.scores, reverse=True)
    assert res.topk_labels[0] == fused_model.dataset_meta['classes'][res.topk_ids[0]]
    assert res.keypoints.keypoints.shape[1:] == (133, 2) and res.keypoint_backend == 'file'
    assert set(res.timings) == {'keypoints', 'pipeline', 'forward'}
    json.dumps(res.to_dict())


def test_arrays_give_the_same_scores_as_files(tiny_signs, fused_model):
    video, pose = _pair(tiny_signs, _test_clips(tiny_signs)[0])
    ref = inference_recognizer(fused_model, (video, pose)).scores
    frames, _ = read_video(video)
    for inputs in ((frames, read_pose(pose)), dict(frames=frames, pose=pose), (video, read_pose(pose))):
        np.testing.assert_allclose(inference_recognizer(fused_model, inputs).scores, ref, atol=1e-6)


def test_pose_only_model_reads_a_pose_file(tiny_signs, pose_ckpt):
    model = init_recognizer(POSE_CFG, pose_ckpt, cfg_options={'model.num_classes': 2})
    video, pose = _pair(tiny_signs, _test_clips(tiny_signs)[0])
    a = inference_recognizer(model, pose).scores
    b = inference_recognizer(model, (video, pose)).scores  # the video is not read by a pose-only model
    np.testing.assert_array_equal(a, b)


def test_bad_inputs(tiny_signs, fused_ckpt, pose_ckpt, fused_model, tmp_path):
    with pytest.raises(CheckpointMismatchError, match=r'iter_1\.pth does not match the model of .*'
                                                      r'recognizer_tiny_1xb8.*missing keys'):
        init_recognizer(FUSED_CFG, pose_ckpt)
    with pytest.raises(FileNotFoundError, match='nope.pth: checkpoint not found'):
        init_recognizer(FUSED_CFG, str(tmp_path / 'nope.pth'))
    _, pose = _pair(tiny_signs, _test_clips(tiny_signs)[0])
    with pytest.raises(ValueError, match='reads the video'):
        inference_recognizer(fused_model, pose)
    video = _pair(tiny_signs, _test_clips(tiny_signs)[0])[0]
    with pytest.raises(ValueError, match='give a pose file, or a keypoint backend'):
        inference_recognizer(fused_model, video)
    with pytest.raises(FileNotFoundError, match='missing.mp4: video not found'):
        inference_recognizer(fused_model, str(tmp_path / 'missing.mp4'))


def test_extracting_other_keypoints_warns_and_nobody_is_an_error(fused_model, tmp_path):
    pytest.importorskip('mediapipe')
    blank = str(tmp_path / 'blank.mp4')
    write_video(blank, np.zeros((6, 64, 64, 3), np.uint8))
    # trained on the synthetic set's exact tracks, extracted with MediaPipe here: warned; a black clip
    # has nobody in it: an error naming the file, not a guess
    with pytest.warns(KeypointSourceWarning, match="trained on 'synthetic' keypoints"), \
            pytest.raises(NoPersonError, match=r'blank\.mp4: no person found'):
        inference_recognizer(fused_model, blank, backend='mediapipe')


def test_inferencer_batches_a_folder(tiny_signs, fused_model, tmp_path):
    inferencer = SignInferencer(model=fused_model, batch_size=4, pose_dir=osp.join(tiny_signs, 'poses'))
    results = inferencer(osp.join(tiny_signs, 'videos'), progress=False)
    assert len(results) == 6  # 2 glosses x 3 signers, in file order
    assert [osp.basename(r.source) for r in results] == [f'{i:05d}.mp4' for i in range(6)]
    for r in results[:2]:  # batched = one by one
        single = inference_recognizer(fused_model, _pair(tiny_signs, osp.basename(r.source)[:5]))
        np.testing.assert_allclose(r.scores, single.scores, atol=1e-5)
    assert len(inferencer(osp.join(tiny_signs, 'videos', '0000[01].mp4'), progress=False)) == 2  # a glob
    SignInferencer.write_json(results, str(tmp_path / 'r.json'))
    SignInferencer.write_csv(results, str(tmp_path / 'r.csv'))
    rows = json.loads((tmp_path / 'r.json').read_text())
    assert rows[0]['topk'][0]['gloss'] == results[0].topk_labels[0]
    with open(tmp_path / 'r.csv') as f:
        table = list(csv.reader(f))
    assert table[0][:4] == ['source', 'rank1_id', 'rank1_gloss', 'rank1_score'] and len(table) == 7
    assert abs(float(table[1][3]) - results[0].topk_scores[0]) < 1e-6
    inferencer.close()
    # one bad clip among good ones: skipped and recorded with its reason, or raised
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'\x00\x00\x00\x18ftypmp42 not a video')
    items = [_pair(tiny_signs, '00000'), (str(broken), _pair(tiny_signs, '00001')[1]),
             _pair(tiny_signs, '00002')]
    skipping = SignInferencer(model=fused_model, on_error='skip')
    assert [osp.basename(r.source) for r in skipping(items, progress=False)] == ['00000.mp4', '00002.mp4']
    assert len(skipping.failures) == 1 and 'broken.mp4: cannot open video' in skipping.failures[0][1]
    with pytest.raises(ValueError, match='broken.mp4: cannot open video'):
        SignInferencer(model=fused_model)(items, progress=False)
