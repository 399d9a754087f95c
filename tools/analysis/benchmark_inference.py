"""Inference latency on real clips: decoding, keypoint extraction, test pipeline, forward pass.

    python tools/analysis/benchmark_inference.py [--clips 4] [--reps 3] [--threads 1]
        [--models demo-pose demo-fused paper-pose paper-fused] [--no-onnx] [--data ../shared/data/videos]

For each of the first ``--clips`` clips of ``manifest.csv`` (sorted by video id): the full decode (decord),
MediaPipe Holistic on every frame and on the model's clip length of uniformly sub-sampled frames
(frames/s), then for each model the test pipeline and the forward pass in PyTorch and in ONNX Runtime
(median of ``--reps`` after one warm-up). Models are randomly initialised (latency does not depend on the
weights) at the demo's sizes (configs/demo) and the paper's (configs/finetune, WLASL100 head). Prints one
row per clip and model and the medians; "x realtime" = clip duration / pose-only recognition time
(keypoints included), > 1 means faster than the clip plays.
"""
import argparse
import csv
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import numpy as np  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODELS = {
    'demo-pose': 'configs/demo/recognizer_tiny-pose_1xb8-40e_synthetic-2shot.py',
    'demo-fused': 'configs/demo/recognizer_tiny_1xb8-40e_synthetic-2shot.py',
    'paper-pose': 'configs/finetune/recognizer_gcn_8xb16-40e_wlasl100.py',
    'paper-fused': 'configs/finetune/recognizer_r3d50-gcn_8xb16-40e_wlasl100.py',
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default=osp.join(REPO, '..', 'shared', 'data', 'videos'))
    parser.add_argument('--clips', type=int, default=4)
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch / ONNX Runtime intra-op threads (1: MediaPipe keeps the other core)')
    parser.add_argument('--models', nargs='+', default=list(MODELS), choices=list(MODELS))
    parser.add_argument('--no-onnx', action='store_true')
    parser.add_argument('--subsample-check', nargs=3, metavar=('CONFIG', 'CHECKPOINT', 'DATA_ROOT'),
                        help='instead: top-1 of a pose-only checkpoint on the first --clips test clips of a '
                             'synthetic data root with the exact tracks, MediaPipe on every frame, and '
                             'MediaPipe on only the clip length of frames the test pipeline samples')
    return parser.parse_args(argv)


def subsample_check(config, checkpoint, data_root, num_clips):
    """What extracting keypoints on the sampled frames only costs: top-1 over test clips."""
    import json

    from cclslr.apis import inference_recognizer, init_recognizer
    from cclslr.datasets.transforms.temporal import uniform_indices
    from cclslr.fileio import PoseData, read_video
    from cclslr.keypoints.mediapipe_extractor import MediaPipeHolisticExtractor
    model = init_recognizer(config, checkpoint)
    t = clip_length(model)
    with open(osp.join(data_root, 'WLASL_v0.3.json')) as f:
        ann = json.load(f)
    tests = [(i['video_id'], label) for label, g in enumerate(ann) for i in g['instances']
             if i['split'] == 'test']
    tests = tests[::max(1, len(tests) // num_clips)][:num_clips]  # spread over the classes
    hits = dict(exact=0, all=0, sub=0)
    agree = 0
    with MediaPipeHolisticExtractor(model_complexity=1) as mp:
        for vid, label in tests:
            frames, _ = read_video(osp.join(data_root, 'videos', f'{vid}.mp4'))
            exact = inference_recognizer(model, osp.join(data_root, 'poses', f'{vid}.pkl')).topk_ids[0]
            full = mp.extract_frames(frames, fps=25.0)
            idx = uniform_indices(0, len(frames), t)
            sub = mp.extract_frames(frames[idx], fps=25.0)
            # the pose-only pipeline samples t of t frames from the sub-sampled track: the same frames
            p_all = inference_recognizer(model, full).topk_ids[0]
            p_sub = inference_recognizer(model, PoseData(sub.keypoints, sub.scores, 'normalized',
                                                         sub.image_size, 25.0)).topk_ids[0]
            hits['exact'] += exact == label
            hits['all'] += p_all == label
            hits['sub'] += p_sub == label
            agree += p_all == p_sub
    n = len(tests)
    print(f'{n} test clips, pose-only top-1: exact tracks {hits["exact"] / n:.2%}, MediaPipe every frame '
          f'{hits["all"] / n:.2%}, MediaPipe on the {t} sampled frames {hits["sub"] / n:.2%}; the two '
          f'MediaPipe runs agree on {agree / n:.2%}')


def timed(fn, reps=1, warmup=0):
    """(median seconds, last result) of ``reps`` calls after ``warmup`` untimed ones."""
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def build(name):
    from cclslr.apis import init_recognizer
    # no pre-training checkpoint to start from: the paper configs name one (latency needs no weights)
    model = init_recognizer(osp.join(REPO, MODELS[name]), cfg_options={'model.init_from': None})
    for buf_name, buf in model.named_buffers():  # as a trained model: norms use running statistics
        if buf_name.endswith('num_batches_tracked'):
            buf.fill_(1)
    return model


def clip_length(model) -> int:
    from cclslr.apis.inference import test_pipeline_cfg
    return next(t['clip_len'] for t in test_pipeline_cfg(model.cfg) if t['type'] == 'PairedTemporalCrop')


def main(argv=None):
    args = parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    if args.subsample_check:
        return subsample_check(*args.subsample_check, args.clips)
    from cclslr.apis.export import OnnxRecognizer, export_onnx, model_inputs
    from cclslr.apis.inference import ClipPreparer, predict_scores
    from cclslr.fileio import read_video
    from cclslr.keypoints.mediapipe_extractor import MediaPipeHolisticExtractor
    with open(osp.join(args.data, 'manifest.csv')) as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r['video_id'])[:args.clips]
    print(f'{len(rows)} clips, {args.threads} threads, load average {os.getloadavg()[0]:.1f} on '
          f'{os.cpu_count()} cores at the start')
    clips = []
    with MediaPipeHolisticExtractor(model_complexity=1) as mp:
        for r in rows:
            path = osp.join(args.data, r['file'])
            t_dec, (frames, _) = timed(lambda: read_video(path))
            fps = float(r['avg_fps'])
            t_kp, pose = timed(lambda: mp.extract_frames(frames, fps=fps))
            idx = np.linspace(0, len(frames) - 1, 16).round().astype(int)
            t_kp16, _ = timed(lambda: mp.extract_frames(frames[idx], fps=fps))
            clips.append(dict(name=r['file'], path=path, frames=frames, pose=pose, fps=fps,
                              duration=len(frames) / fps, decode=t_dec, kp=t_kp, kp16=t_kp16))
            print(f'{r["file"]} {frames.shape[2]}x{frames.shape[1]} {len(frames)} frames '
                  f'({len(frames) / fps:.2f} s): decode {t_dec * 1000:.0f} ms; mediapipe all frames '
                  f'{t_kp:.2f} s ({len(frames) / t_kp:.1f} frames/s), 16 sub-sampled {t_kp16:.2f} s '
                  f'({16 / t_kp16:.1f} frames/s)', flush=True)
    summary = []
    tmp = tempfile.TemporaryDirectory()
    for name in args.models:
        model = build(name)
        t = clip_length(model)
        ort = None
        if not args.no_onnx:
            path = osp.join(tmp.name, f'{name}.onnx')
            t0 = time.perf_counter()
            export_onnx(model, path)
            print(f'{name}: exported in {time.perf_counter() - t0:.0f} s', flush=True)
            ort = OnnxRecognizer(model, path, num_threads=args.threads)
        prep = ClipPreparer(model)
        per = []
        for c in clips:
            t_pipe, packed = timed(lambda: prep((c['path'], c['pose']))[0], reps=args.reps)
            t_pt, _ = timed(lambda: predict_scores(model, [packed]), reps=args.reps, warmup=1)
            t_ort = float('nan')
            if ort is not None:
                inputs = model_inputs(model, [packed])
                t_ort, _ = timed(lambda: ort.logits(inputs), reps=args.reps, warmup=1)
            per.append(dict(pipe=t_pipe, pt=t_pt, ort=t_ort))
            print(f'{name:<12} {c["name"]}: T={t} pipeline {t_pipe * 1000:.0f} ms, forward PyTorch '
                  f'{t_pt * 1000:.1f} ms, ONNX Runtime {t_ort * 1000:.1f} ms', flush=True)
        prep.close()
        summary.append((name, t, per))
    tmp.cleanup()

    med = statistics.median
    print('\nmedians over the clips')
    print(f'{"":<14}{"decode":>10}{"MP all":>10}{"MP 16":>10}{"MP fps":>9}')
    print(f'{"per clip":<14}{med(c["decode"] for c in clips) * 1000:>8.0f}ms'
          f'{med(c["kp"] for c in clips):>9.2f}s{med(c["kp16"] for c in clips):>9.2f}s'
          f'{med(len(c["frames"]) / c["kp"] for c in clips):>9.1f}')
    print(f'{"model":<14}{"T":>4}{"pipeline":>11}{"PyTorch":>11}{"ORT":>10}{"ORT/PT":>8}'
          f'{"x realtime (all / 16 frames)":>32}')
    for name, t, per in summary:
        pt, ort, pipe = med(p['pt'] for p in per), med(p['ort'] for p in per), med(p['pipe'] for p in per)
        pairs = list(zip(clips, per))
        real_all = med(c['duration'] / (c['decode'] + c['kp'] + p['pipe'] + p['pt']) for c, p in pairs)
        real_16 = med(c['duration'] / (c['decode'] + c['kp16'] + p['pipe'] + p['pt']) for c, p in pairs)
        print(f'{name:<14}{t:>4}{pipe * 1000:>9.0f}ms{pt * 1000:>9.1f}ms{ort * 1000:>8.1f}ms'
              f'{ort / pt:>8.2f}{real_all:>16.2f} / {real_16:.2f}')


if __name__ == '__main__':
    main()
