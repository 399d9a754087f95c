"""Every reader fuzzed: mutated copies of real files (the videos and annotation files of ../shared/data)
and of generated pose files (every supported format) and mask caches must each give either a valid
result or an exception whose message names the file; never a crash, a hang or a silent wrong shape.

The readers run in a child process (tests/fileio/fuzz_worker.py) with a per-read timeout, so a segfault
or a hang is recorded as an outcome ("other") instead of taking pytest down. Mutations come from one
seeded ``random.Random`` per input: a failure is replayed from its (reader, seed, mutation) line.
Run with ``-s`` to see the table of outcomes per reader (docs/notes/fuzzing.md).
"""
import collections
import io
import json
import os
import os.path as osp
import select
import subprocess
import sys

import numpy as np

from cclslr.fileio import PoseData, save_mask, write_pose

sys.path.insert(0, osp.dirname(__file__))
import fuzz_mutators as M  # noqa: E402

WORKER = osp.join(osp.dirname(__file__), 'fuzz_worker.py')
READ_TIMEOUT_S = 30  # a hang guard, not a speed target: the slowest good read takes well under 1 s
VIDEO_MUTATIONS_PER_CLIP = 12
POSE_MUTATIONS_PER_FORMAT = 150  # 7 pose sources; ~1050 pose inputs in all, as with 4 x 260 before
MASK_MUTATIONS = 300
ANNOTATION_MUTATIONS = 120  # per annotation file
ORIGINAL = 'original'  # an unmutated source file: a control that must load
# The real INCLUDE lists name paths with spaces ('Greetings/51. Good Morning/MVI_0099.MOV'), which
# SignListDataset reads as '<video> <label>': the unmutated file is rejected (an error naming file:line).
ORIGINAL_REJECTED = ('include.txt',)


class Sandbox:
    """One worker process; restarted after a crash or a hang."""

    def __init__(self):
        self.proc = None

    def start(self):
        rfd, wfd = os.pipe()
        self.proc = subprocess.Popen([sys.executable, WORKER, str(wfd)], stdin=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, pass_fds=(wfd,), text=True)
        os.close(wfd)
        self.out = os.fdopen(rfd, 'r')
        assert self._answer(120) == 'ready', 'fuzz worker did not start'

    def _answer(self, timeout):
        ready, _, _ = select.select([self.out], [], [], timeout)
        return self.out.readline().strip() if ready else None

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.out.close()
            self.proc = None

    def run(self, reader, path, args):
        if self.proc is None:
            self.start()
        self.proc.stdin.write(json.dumps(dict(reader=reader, path=path, args=args)) + '\n')
        self.proc.stdin.flush()
        line = self._answer(READ_TIMEOUT_S)
        if line:
            return json.loads(line)
        if line is None:  # no answer in time: a hang
            self.stop()
            return dict(outcome='hang')
        rc = self.proc.wait()  # closed pipe: the worker died (segfault, abort, ...)
        self.proc = None
        self.out.close()
        return dict(outcome='crash', message=f'worker exit status {rc}')


def classify(answer, path):
    if answer['outcome'] == 'loaded':
        return 'loaded'
    if answer['outcome'] == 'error' and path in answer['message']:
        return 'clear error'
    return 'other'


# --------------------------------------------------------------------------- valid inputs


def _pose(rng, t):
    kpts = rng.random((t, 133, 2), dtype=np.float32)
    scores = rng.random((t, 133), dtype=np.float32)
    return PoseData(kpts, scores, 'normalized', (640, 480), 25.0)


def pose_sources(folder):
    """One valid file of every supported pose format, written as its producer writes it."""
    rng = np.random.default_rng(0)
    pose = _pose(rng, 24)
    pkl = osp.join(folder, 'clip.pkl')
    write_pose(pkl, pose, 'unisign')
    px = pose.keypoints * np.array([640, 480], np.float32)
    frames = [dict(frame_id=t, instances=[dict(keypoints=px[t].tolist(),
                                               keypoint_scores=pose.scores[t].tolist())])
              for t in range(pose.num_frames)]
    mmpose = osp.join(folder, 'clip.json')
    with open(mmpose, 'w') as f:
        json.dump(dict(meta=dict(width=640, height=480), instance_info=frames), f)
    parts = {k: rng.random((24, n, 3 if k != 'pose' else 4)).astype(np.float32)
             for k, n in (('face', 468), ('left_hand', 21), ('pose', 33), ('right_hand', 21))}
    parts['left_hand'][5:9] = np.nan  # MediaPipe writes NaN for a hand it did not detect
    npz = osp.join(folder, 'clip.npz')
    np.savez(npz, **parts, width=640, height=480, fps=25.0)
    flat = np.concatenate([parts[k][..., :3] for k in ('face', 'left_hand', 'pose', 'right_hand')], axis=1)
    npy = osp.join(folder, 'clip.npy')
    np.save(npy, flat)
    npy300 = osp.join(folder, 'clip300.npy')  # (T, 300): pose + hands x, y, z, visibility
    hands = [np.pad(parts[k], ((0, 0), (0, 0), (0, 1))) for k in ('left_hand', 'right_hand')]
    np.save(npy300, np.concatenate([parts['pose']] + hands, 1).reshape(24, 300))
    dotpose = osp.join(folder, 'clip.pose')
    write_pose(dotpose, pose, 'pose_format')
    return dict(unisign=pkl, mmpose=mmpose, mediapipe_npz=npz, mediapipe_npy=npy, mediapipe_npy300=npy300,
                pose_format=dotpose, gislr_parquet=_gislr_parquet(folder, flat))


def _gislr_parquet(folder, flat):
    """A GISLR landmark file of the (T, 543, 3) Kaggle-order landmarks ``flat``, as Kaggle writes it."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    sizes = (('face', 468), ('left_hand', 21), ('pose', 33), ('right_hand', 21))
    types = [t for t, n in sizes for _ in range(n)] * len(flat)
    index = [i for _, n in sizes for i in range(n)] * len(flat)
    frames = np.repeat(np.arange(len(flat), dtype=np.int16) + 30, 543)
    xyz = {c: flat[..., i].reshape(-1).astype(np.float64) for i, c in enumerate('xyz')}
    table = pa.table(dict(frame=frames, row_id=[f'{f}-{t}-{i}' for f, t, i in zip(frames, types, index)],
                          type=types, landmark_index=np.array(index, np.int16), **xyz))
    path = osp.join(folder, 'clip.parquet')
    pq.write_table(table, path)
    return path


def annotation_sources(folder, data):
    """Small real annotation files (cut from the benchmark files) and list files of every list dataset."""
    with open(osp.join(data, 'wlasl', 'WLASL_v0.3.json')) as f:
        wlasl = json.load(f)[:12]
    with open(osp.join(data, 'msasl', 'MSASL_val.json')) as f:
        msasl = json.load(f)[:40]
    with open(osp.join(data, 'include', 'include50_val.txt')) as f:
        include = [line for line in f.read().splitlines()[:30]]
    files = {}

    def put(name, text, cfg, is_json=False):
        path = osp.join(folder, name)
        with open(path, 'w') as f:
            f.write(text)
        files[name] = (path, dict(cfg=cfg, json=is_json))

    put('wlasl.json', json.dumps(wlasl),
        dict(type='WLASLDataset', subset=None, split=['train', 'val', 'test']), True)
    put('msasl.json', json.dumps(msasl), dict(type='MSASLDataset', subset=1000), True)
    # INCLUDE lists hold only paths (with spaces and dots); labels -1 unless given.
    put('include.txt', '\n'.join(include), dict(type='SignListDataset', video_ext=''))
    put('signlist.txt', '\n'.join(f'clips/c{i}.mp4 {i % 5}' for i in range(30)) + '\n',
        dict(type='SignListDataset'))
    put('nmfs_test.txt', '\n'.join(f'{i % 7:03d}/P{i:02d}_s1.mp4' for i in range(30)),
        dict(type='NMFsCSLDataset'))
    put('slr500.txt', '\n'.join(f'{i % 9:06d}/P{i % 50 + 1:02d}_01_00_0_color.avi' for i in range(40)),
        dict(type='SLR500Dataset', split=None))
    return files


# --------------------------------------------------------------------------- mutated inputs


def _npz_members(data):
    with np.load(io.BytesIO(data)) as f:
        return {k: f[k] for k in f.files}


def fuzz_inputs(root, data):
    """Yield (reader, path, args, mutation) for every mutated file, written under ``root``."""
    def write(sub, name, payload):
        path = osp.join(root, sub, name)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(payload)
        return path

    videos = sorted(v for v in os.listdir(osp.join(data, 'videos')) if v.endswith('.mp4'))
    for v in videos:
        src = osp.join(data, 'videos', v)
        yield 'video', src, {}, f'{v} {ORIGINAL}'
        for i, (payload, what) in enumerate(M.mutants(src, VIDEO_MUTATIONS_PER_CLIP, v)):
            yield 'video', write('video', f'{i:02d}_{v}', payload), {}, f'{v} {what}'

    src_dir = osp.join(root, 'sources')
    os.makedirs(src_dir)
    for fmt, src in pose_sources(src_dir).items():
        ext = osp.splitext(src)[1]
        yield 'pose', src, {}, f'{fmt} {ORIGINAL}'
        extra = {'.npz': (lambda d, r: M.npz_mutate(_npz_members(d), r), M.npz_huge_header),
                 '.npy': (_npy_mutate, M.npy_huge_header),
                 '.pkl': (_pickle_mutate,)}.get(ext, ())
        for i, (payload, what) in enumerate(M.mutants(src, POSE_MUTATIONS_PER_FORMAT, fmt, extra,
                                                     as_json=ext == '.json')):
            yield 'pose', write('pose', f'{fmt}_{i:03d}{ext}', payload), {}, f'{fmt} {what}'

    src = save_mask(src_dir, 'mask', np.random.default_rng(1).random((10, 12, 20)) > 0.5)
    yield 'mask', src, {}, f'mask {ORIGINAL}'
    for i, (payload, what) in enumerate(M.mutants(src, MASK_MUTATIONS, 'mask',
                                                 (lambda d, r: M.npz_mutate(_npz_members(d), r),
                                                  M.npz_huge_header))):
        yield 'mask', write('masks', f'm{i:03d}.npz', payload), {}, f'mask {what}'

    for name, (src, args) in annotation_sources(src_dir, data).items():
        yield 'dataset', src, args, f'{name} {ORIGINAL}'
        for i, (payload, what) in enumerate(M.mutants(src, ANNOTATION_MUTATIONS, name,
                                                     as_json=args['json'])):
            yield 'dataset', write('ann', f'{i:03d}_{name}', payload), args, f'{name} {what}'


def _npy_mutate(data, rng):
    arr, kind = M.array_mutate(np.load(io.BytesIO(data)), rng)
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue(), f'npy {kind}'


def _pickle_mutate(data, rng):
    """Wrong content in a well-formed Uni-Sign pickle: one entry mutated, dropped or of another type."""
    import pickle
    obj = pickle.loads(data)  # our own file, written just above
    key = rng.choice(sorted(obj))
    r = rng.random()
    if r < 0.2:
        del obj[key]
        what = f'drop {key}'
    elif r < 0.5 or key not in ('keypoints', 'scores'):
        obj[key] = rng.choice(M.WRONG_VALUES)
        what = f'{key} = {obj[key]!r}'
    else:
        obj[key], what = M.array_mutate(np.stack(obj[key]), rng)
    return pickle.dumps(obj), f'pickle {key}: {what}'


# --------------------------------------------------------------------------- the test


def test_every_reader_fuzzed(shared_data, tmp_path):
    counts = collections.defaultdict(collections.Counter)
    others, bad_controls = [], []
    box = Sandbox()
    try:
        for reader, path, args, what in fuzz_inputs(str(tmp_path), shared_data):
            answer = box.run(reader, path, args)
            outcome = classify(answer, path)
            if what.endswith(ORIGINAL):
                expected = 'clear error' if what.split()[0] in ORIGINAL_REJECTED else 'loaded'
                if outcome != expected:
                    bad_controls.append(f'{what}: {answer}')
                continue
            key = reader if reader != 'pose' else f'pose {what.split()[0]}'
            if reader == 'dataset':
                key = f'dataset {what.split()[0]}'
            counts[key][outcome] += 1
            if outcome == 'other':
                others.append(f'{what}: {answer}')
    finally:
        box.stop()
    rows = [f'{"reader":<28} {"loaded":>7} {"clear error":>12} {"other":>6}']
    for key in sorted(counts):
        c = counts[key]
        rows.append(f'{key:<28} {c["loaded"]:>7} {c["clear error"]:>12} {c["other"]:>6}')
    total = collections.Counter()
    for c in counts.values():
        total.update(c)
    rows.append(f'{"total":<28} {total["loaded"]:>7} {total["clear error"]:>12} {total["other"]:>6}')
    print('\n' + '\n'.join(rows + others))
    assert not bad_controls, bad_controls
    assert sum(total.values()) >= 2000
    assert not others, f'{len(others)} inputs gave neither a valid result nor an error naming the file:\n' + \
        '\n'.join(others[:40])


def test_probe_turns_decord_abort_into_error(shared_data, tmp_path):
    """The input that showed it: 25408.mp4 with 32 flipped bits (mutation 0 of the suite's seed)."""
    payload, what = next(M.mutants(osp.join(shared_data, 'videos', '25408.mp4'), 1, '25408.mp4'))
    assert what == 'flip32bits'
    path = str(tmp_path / '25408.mp4')
    with open(path, 'wb') as f:
        f.write(payload)
    box = Sandbox()
    try:
        unprobed = box.run('video', path, dict(probe=False))
        probed = box.run('video', path, dict(probe=True))
    finally:
        box.stop()
    assert unprobed['outcome'] == 'crash'  # decord's std::bad_alloc aborts the process that opens it
    assert classify(probed, path) == 'clear error' and 'SIGABRT' in probed['message'], probed

