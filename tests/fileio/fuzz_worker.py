"""Child process of the fuzz suite (tests/fileio/test_fuzz.py): reads one file per request, checks the
result, answers with the outcome. Run as a script so that a reader that segfaults, aborts or hangs takes
down only this process, never pytest.

Protocol: one json request per stdin line, ``{"reader": ..., "path": ..., "args": {...}}``; one json answer
per line on the fd given as argv[1] (stdout itself is sent to stderr first, because FFmpeg and decord may
print on it): ``{"outcome": "loaded", "what": ...}``, ``{"outcome": "error", "type": ..., "message": ...}``
or ``{"outcome": "wrong", "message": ...}`` (a result that loaded but breaks the documented contract).
"""
import json
import math
import os
import resource
import sys

import numpy as np

# A huge declared size must become an error, not eat the shared machine: cap the address space.
resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))


class Wrong(Exception):
    """The reader returned without error but its result breaks the contract."""


def _require(cond, message):
    if not cond:
        raise Wrong(message)


def check_video(path, args):
    from cclslr.fileio import decode_frames, open_video, video_fps, video_num_frames
    reader = open_video(path, probe=args.get('probe', True))
    n = video_num_frames(reader)
    _require(isinstance(n, int) and n > 0, f'frame count {n!r}')
    fps = video_fps(reader)
    _require(math.isfinite(fps) and fps > 0, f'fps {fps!r}')
    # Sparse indices over the whole file, as the training samplers ask for (a full decode of 18 clips per
    # mutation would cost minutes); a truncated tail is still reached by the last index.
    inds = np.unique(np.linspace(0, n - 1, args.get('num_frames', 6)).round().astype(int))
    frames = decode_frames(reader, inds, path)
    _require(frames.dtype == np.uint8 and frames.ndim == 4 and frames.shape[0] == len(inds)
             and frames.shape[-1] == 3 and min(frames.shape[1:3]) > 0,
             f'frames {frames.dtype} {frames.shape}')
    return f'{n} frames {frames.shape[1:3]}'


def check_pose(path, args):
    from cclslr.datasets.transforms import LoadPose
    from cclslr.fileio import read_pose
    pose = read_pose(path, args.get('format', 'auto'))
    k, s = pose.keypoints, pose.scores
    _require(k.dtype == np.float32 and k.ndim == 3 and k.shape[1:] == (133, 2),
             f'keypoints {k.dtype} {k.shape}')
    _require(s.dtype == np.float32 and s.shape == k.shape[:2], f'scores {s.dtype} {s.shape}')
    _require(pose.unit in ('normalized', 'pixel'), f'unit {pose.unit!r}')
    if pose.image_size is not None:
        w, h = pose.image_size
        _require(all(isinstance(v, int) and v > 0 for v in (w, h)), f'image_size {pose.image_size!r}')
    if pose.fps is not None:
        _require(math.isfinite(pose.fps) and pose.fps > 0, f'fps {pose.fps!r}')
    if len(k) == 0:
        return 'empty'
    # Non-finite points are legal in a pose file (MediaPipe writes NaN for undetected points); LoadPose's
    # on_nan policy turns them into missing points. What training sees must be finite.
    res = LoadPose(on_nan='zero')(dict(pose_path=path, video_path=path, frame_start=0, frame_end=-1))
    rk, rs = res['clip_keypoints'], res['clip_keypoint_scores']
    _require(np.isfinite(rk).all() and np.isfinite(rs).all(), 'non-finite values after LoadPose')
    return f'{len(k)} frames'


def check_mask(path, args):
    from cclslr.fileio import load_mask
    root, name = os.path.split(path)
    mask = load_mask(root, os.path.splitext(name)[0])
    _require(mask is not None, 'no mask for an existing file')
    _require(mask.dtype == bool and mask.ndim == 3, f'mask {mask.dtype} {mask.shape}')
    return f'mask {mask.shape}'


def check_dataset(path, args):
    from cclslr.registry import DATASETS
    from cclslr.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    ds = DATASETS.build(dict(args['cfg'], ann_file=path, pipeline=[]))
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        for key in ('video_path', 'sample_id'):
            _require(isinstance(info[key], str), f'sample {i}: {key} {info[key]!r}')
        for key in ('label', 'frame_start', 'frame_end', 'signer_id'):
            _require(type(info[key]) is int, f'sample {i}: {key} {info[key]!r}')
        if args.get('json'):
            # Fields of a json file go into file names: a number, list or null there is a wrong type.
            name = os.path.basename(info['video_path'])
            _require(not any(t in name for t in ('[', '{', 'None', 'True', 'False')), f'video name {name!r}')
        if 'box' in info:
            box = info['box']
            _require(len(box) == 4 and all(isinstance(v, float) and 0 <= v <= 1 for v in box), f'box {box!r}')
    return f'{len(ds)} samples'


CHECKS = dict(video=check_video, pose=check_pose, mask=check_mask, dataset=check_dataset)


def main():
    out = os.fdopen(int(sys.argv[1]), 'w', buffering=1)
    os.dup2(2, 1)  # anything printed by the libraries goes to stderr, never into the answers
    sys.stdout = sys.stderr
    import cclslr.fileio  # noqa: F401  (import once, before the first request)
    from mmengine.logging import MMLogger
    MMLogger.get_instance('fuzz', log_level='ERROR')
    out.write('ready\n')
    for line in sys.stdin:
        req = json.loads(line)
        try:
            what = CHECKS[req['reader']](req['path'], req.get('args', {}))
            answer = dict(outcome='loaded', what=what)
        except Wrong as e:
            answer = dict(outcome='wrong', message=str(e))
        except Exception as e:  # noqa: BLE001 - every failure is an outcome to classify
            answer = dict(outcome='error', type=type(e).__name__, message=str(e))
        out.write(json.dumps(answer) + '\n')


if __name__ == '__main__':
    main()
