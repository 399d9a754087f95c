"""Recognise the sign in one video.

    python demo/demo.py VIDEO CONFIG CHECKPOINT [--topk 5] [--backend mediapipe|mmpose] [--pose-file P]
                        [--label-file F] [--out-video O.mp4] [--out-json O.json] [--device cpu|cuda]
                        [--onnx model.onnx]

Prints the top-k glosses with their scores (and the time spent on keypoints, pipeline and forward).
Bad inputs (a missing or unreadable video, no person found, a checkpoint that does not fit the config)
give one line on stderr and exit code 1.
"""
import argparse
import json
import os.path as osp
import sys
import warnings

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import cclslr  # noqa: E402,F401


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Recognise the sign in a video')
    parser.add_argument('video', help='video file')
    parser.add_argument('config', help='fine-tuning config of the checkpoint')
    parser.add_argument('checkpoint', help='checkpoint (tools/train.py output)')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--backend', choices=['mediapipe', 'mmpose'], default=None,
                        help='extract the keypoints with this backend (models with a pose branch); default: '
                             'the checkpoint\'s keypoint_source when it is one of these')
    parser.add_argument('--pose-file', help='use this pose file instead of extracting keypoints')
    parser.add_argument('--mmpose-config', help='MMPose whole-body config (--backend mmpose)')
    parser.add_argument('--mmpose-checkpoint', help='its local checkpoint (--backend mmpose)')
    parser.add_argument('--label-file', help='gloss names, one per line ("name" or "id<TAB>name"), in class '
                                             'order; default: the checkpoint\'s class names')
    parser.add_argument('--out-video', help='write the video with the skeleton and the top-k drawn (.mp4)')
    parser.add_argument('--out-json', help='write the result (top-k, timings, all scores) as JSON')
    parser.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1, ...')
    parser.add_argument('--onnx', help='run the network with ONNX Runtime from this exported model')
    return parser.parse_args(argv)


def read_label_file(path: str, num_classes: int):
    """Gloss names from a text file: one per line, ``name`` or ``id<TAB>name`` (ids 0..C-1 in order)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: label file not found')
    with open(path, encoding='utf-8') as f:
        lines = [line.rstrip('\n') for line in f if line.strip()]
    names = []
    for i, line in enumerate(lines):
        parts = line.split('\t') if '\t' in line else [line]
        if len(parts) == 2:
            if not parts[0].strip().isdigit() or int(parts[0]) != i:
                raise ValueError(f'{path}: line {i + 1}: expected id {i}, got {parts[0]!r}')
            parts = parts[1:]
        names.append(parts[0].strip())
    if len(names) != num_classes:
        raise ValueError(f'{path}: {len(names)} names for a model of {num_classes} classes')
    return names


def run(args):
    from cclslr.apis import init_recognizer
    from cclslr.apis.inference import ClipPreparer, make_result, pipeline_needs, predict_scores
    from cclslr.fileio import open_video
    if not osp.isfile(args.video):
        raise FileNotFoundError(f'{args.video}: video not found')
    open_video(args.video, probe=True)  # unreadable video: a clear error before any model work
    model = init_recognizer(args.config, args.checkpoint, args.device)
    if args.label_file:
        names = read_label_file(args.label_file, model.num_classes)
        model.dataset_meta = dict(model.dataset_meta, classes=names)
    backend = args.backend
    if pipeline_needs(model.cfg)['pose'] and args.pose_file is None and backend is None:
        if model.keypoint_source in ('mediapipe', 'mmpose'):
            backend = model.keypoint_source
        else:
            raise ValueError(f'{args.config}: the model reads keypoints: give --backend mediapipe|mmpose or '
                             '--pose-file (the checkpoint records keypoint_source='
                             f'{model.keypoint_source!r})')
    options = dict(device=args.device)
    if backend == 'mmpose':
        options.update(mmpose_config=args.mmpose_config, mmpose_checkpoint=args.mmpose_checkpoint)
    prep = ClipPreparer(model, backend, **options)
    try:
        inputs = (args.video, args.pose_file) if args.pose_file else args.video
        packed, clip, pose, used, timings = prep(inputs)
    finally:
        prep.close()
    import time
    t0 = time.perf_counter()
    if args.onnx:
        from cclslr.apis.export import OnnxRecognizer
        scores = OnnxRecognizer(model, args.onnx).predict_scores([packed])[0]
    else:
        scores = predict_scores(model, [packed])[0]
    timings['forward'] = time.perf_counter() - t0
    result = make_result(model, scores, args.topk, keypoints=pose, source=args.video, keypoint_backend=used,
                         timings=timings)
    engine = 'onnxruntime' if args.onnx else 'pytorch'
    print(f'{osp.basename(args.video)}: top-{len(result.topk_ids)} of {len(scores)} classes '
          f'(keypoints: {used or "none"} {timings["keypoints"]:.2f} s, pipeline {timings["pipeline"]:.2f} s, '
          f'forward ({engine}) {timings["forward"]:.3f} s)')
    width = max(len(g) for g in result.topk_labels)
    for rank, (i, g, s) in enumerate(zip(result.topk_ids, result.topk_labels, result.topk_scores), 1):
        print(f'{rank:>2}. {g:<{width}}  {s:.4f}  (class {int(i)})')
    if args.out_json:
        from cclslr.fileio.atomic import atomic_open
        with atomic_open(args.out_json) as f:
            f.write(json.dumps(dict(result.to_dict(), engine=engine), indent=1).encode())
        print(f'wrote {args.out_json}')
    if args.out_video:
        from cclslr.apis.overlay import overlay_frames
        from cclslr.fileio import read_video, video_fps
        frames, _ = read_video(args.video)
        out = overlay_frames(frames, pose, result.topk_labels, result.topk_scores)
        from cclslr.fileio import write_video
        write_video(args.out_video, out, fps=video_fps(open_video(args.video)))
        print(f'wrote {args.out_video} ({len(out)} frames with the skeleton and the top-{args.topk})')
    return result


def main(argv=None):
    args = parse_args(argv)
    from cclslr.apis import CheckpointMismatchError, NoPersonError, KeypointSourceWarning
    warnings.simplefilter('always', KeypointSourceWarning)
    warnings.formatwarning = lambda msg, cat, *a, **k: f'warning: {msg}\n'
    try:
        run(args)
    except (FileNotFoundError, ValueError, CheckpointMismatchError, NoPersonError, RuntimeError) as e:
        # One line, the file and the problem; the traceback would only bury it.
        print(f'demo.py: error: {" ".join(str(e).split())}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
