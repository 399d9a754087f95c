"""Sliding-window sign recognition over a camera or a video file read as a stream.

    python demo/stream_demo.py CONFIG CHECKPOINT (--camera 0 | --video F) [--window 32] [--stride 16]
                               [--backend mediapipe] [--device cpu] [--onnx model.onnx] [--max-frames N]

Frames are read one at a time (OpenCV). Keypoints are extracted once per frame, ``stride`` frames at a time,
and every ``stride`` frames the last ``window`` frames go through the config's test pipeline and the
model. Prints per window the top-1 gloss, its score and the latency split (keypoints of the new frames,
model = pipeline + forward), then a summary with the frames/s of the whole loop.
"""
import argparse
import os.path as osp
import sys
import time
import warnings

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import numpy as np  # noqa: E402

import cclslr  # noqa: E402,F401


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Sliding-window sign recognition over a stream')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument('--camera', type=int, help='camera index (OpenCV)')
    src.add_argument('--video', help='a video file, read frame by frame as a stream')
    parser.add_argument('--window', type=int, default=32, help='frames per recognition window')
    parser.add_argument('--stride', type=int, default=16, help='frames between two windows')
    parser.add_argument('--backend', choices=['mediapipe'], default=None,
                        help='keypoint extractor (frame streams: mediapipe); default: the checkpoint\'s '
                             'keypoint_source when it is mediapipe')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--onnx', help='run the network with ONNX Runtime from this exported model')
    parser.add_argument('--max-frames', type=int, default=None, help='stop after this many frames')
    return parser.parse_args(argv)


def frames_of(capture, max_frames=None):
    """RGB uint8 (H, W, 3) frames from an OpenCV capture until it ends (or ``max_frames``)."""
    n = 0
    while max_frames is None or n < max_frames:
        ok, bgr = capture.read()
        if not ok:
            return
        n += 1
        yield np.ascontiguousarray(bgr[..., ::-1])


def run(args):
    import cv2

    from cclslr.apis import KeypointExtractor, init_recognizer
    from cclslr.apis.inference import ClipPreparer, class_names, pipeline_needs, predict_scores
    from cclslr.apis.keypoint_backends import check_keypoint_source, no_person_found
    from cclslr.fileio import PoseData
    if args.window < 1 or not 1 <= args.stride <= args.window:
        raise ValueError(f'need window >= 1 and 1 <= stride <= window, got {args.window} / {args.stride}')
    if args.video is not None and not osp.isfile(args.video):
        raise FileNotFoundError(f'{args.video}: video not found')
    model = init_recognizer(args.config, args.checkpoint, args.device)
    needs = pipeline_needs(model.cfg)
    backend = args.backend
    if needs['pose'] and backend is None:
        if model.keypoint_source != 'mediapipe':
            raise ValueError(f'{args.config}: the model reads keypoints: give --backend mediapipe (the '
                             f'checkpoint records keypoint_source={model.keypoint_source!r})')
        backend = 'mediapipe'
    if needs['pose']:
        check_keypoint_source(model.keypoint_source, backend)
    extractor = KeypointExtractor(backend) if needs['pose'] else None
    onnx = None
    if args.onnx:
        from cclslr.apis.export import OnnxRecognizer
        onnx = OnnxRecognizer(model, args.onnx)
    capture = cv2.VideoCapture(args.camera if args.camera is not None else args.video)
    if not capture.isOpened():
        raise ValueError(f'{args.video if args.video is not None else f"camera {args.camera}"}: cannot open '
                         'the stream')
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    names = class_names(model)
    prep = ClipPreparer(model)
    frames, kpts, scores, pending = [], [], [], []
    stats = dict(windows=0, frames=0, keypoints=0.0, model=0.0)
    t_start = time.perf_counter()
    try:
        for frame in frames_of(capture, args.max_frames):
            frames.append(frame)
            pending.append(frame)
            stats['frames'] += 1
            n = stats['frames']
            # Windows end at frames window, window + stride, window + 2 * stride, ...
            if n < args.window or (n - args.window) % args.stride:
                continue
            t0 = time.perf_counter()
            if extractor is not None:  # only the new frames: each frame's keypoints are extracted once
                pose = extractor.from_frames(np.stack(pending), fps=fps)
                kpts.extend(pose.keypoints)
                scores.extend(pose.scores)
            t_kpts = time.perf_counter() - t0
            pending = []
            frames, kpts, scores = frames[-args.window:], kpts[-args.window:], scores[-args.window:]
            clip = dict(frames=np.stack(frames), fps=fps)
            if extractor is not None:
                h, w = frames[0].shape[:2]
                clip['pose'] = PoseData(np.stack(kpts), np.stack(scores), 'normalized', (w, h), fps)
            t1 = time.perf_counter()
            if extractor is not None and no_person_found(clip['pose']):
                label, score = '(no person)', float('nan')  # a stream goes on; the window is not guessed
            else:
                packed = prep(clip)[0]
                s = onnx.predict_scores([packed])[0] if onnx else predict_scores(model, [packed])[0]
                label, score = names[int(s.argmax())], float(s.max())
            t_model = time.perf_counter() - t1
            stats['windows'] += 1
            stats['keypoints'] += t_kpts
            stats['model'] += t_model
            print(f'window {stats["windows"]:>3} frames {n - args.window:>5}-{n - 1:<5} {label:<24} '
                  f'{score:.2f}  keypoints {t_kpts * 1000:6.0f} ms  model {t_model * 1000:6.0f} ms',
                  flush=True)
    finally:
        capture.release()
        prep.close()
        if extractor is not None:
            extractor.close()
    total = time.perf_counter() - t_start
    n = max(stats['windows'], 1)
    print(f'{stats["frames"]} frames, {stats["windows"]} windows (window {args.window}, '
          f'stride {args.stride}) '
          f'in {total:.2f} s: {stats["frames"] / max(total, 1e-9):.1f} frames/s (the stream runs at '
          f'{fps:.1f}); per window: keypoints {stats["keypoints"] / n * 1000:.0f} ms, model '
          f'{stats["model"] / n * 1000:.0f} ms')
    return stats


def main(argv=None):
    args = parse_args(argv)
    from cclslr.apis import CheckpointMismatchError, KeypointSourceWarning
    warnings.simplefilter('always', KeypointSourceWarning)
    warnings.formatwarning = lambda msg, cat, *a, **k: f'warning: {msg}\n'
    try:
        run(args)
    except (FileNotFoundError, ValueError, CheckpointMismatchError, RuntimeError) as e:
        print(f'stream_demo.py: error: {" ".join(str(e).split())}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
