"""Scan a config's dataset and report missing / unreadable / too-short files and RGB-vs-pose length
mismatches. Exit code 1 when any sample has a problem.

    python tools/data/check_dataset.py CONFIG [--split train] [--num-workers N] [--min-frames 8]
        [--decode] [--no-pose | --no-video] [--out report.json]

Videos are opened in a probe process first (``open_video(probe=True)``), so a file on which decord
aborts is reported like any other bad file instead of ending the scan. Opening reads only the container
(decord demuxes its packets): a file whose last frame is cut short, or whose frame data is damaged, still
opens and then fails in every epoch. ``--decode`` also decodes **every frame of each clip's annotated
range** (in chunks of :data:`DECODE_CHUNK` frames): training samples different frames each epoch, so any
of them may be read; it costs about one epoch of decoding. Pose-only datasets (no video files):
``--no-video`` checks only the pose files (readable, no NaN, enough frames in the range).
"""
import argparse
import copy
import json
import os.path as osp
import sys
from collections import Counter
from multiprocessing import Pool

from mmengine.config import Config
from tqdm import tqdm

from cclslr.datasets.transforms import DecordInit, LoadPose
from cclslr.fileio import decode_frames
from cclslr.registry import DATASETS
from cclslr.utils import register_all_modules
from cclslr.utils.launch import run_tool


def classify(message: str) -> str:
    for key, kind in (('not found', 'missing'), ('too short', 'too_short'), ('length mismatch', 'mismatch'),
                      ('NaN', 'nan'), ('unreadable', 'unreadable'), ('cannot open', 'unreadable'),
                      ('cannot decode', 'unreadable'), ('refused to unpickle', 'unreadable')):
        if key in message:
            return kind
    return 'other'


DECODE_CHUNK = 32  # frames decoded at once by --decode: bounded memory on long HD clips
DECODE_ADVICE = ('videos were opened, not decoded: run with --decode to find truncated or damaged files '
                 '(it decodes every frame of each clip)')
POSE_ONLY_ADVICE = 'every video is missing: for a pose-only dataset run with --no-video'


def decode_range(reader, start: int, num: int, path: str) -> None:
    """Decode file frames [start, start + num) in chunks; a ValueError naming ``path`` if one fails."""
    for s in range(start, start + num, DECODE_CHUNK):
        decode_frames(reader, range(s, min(s + DECODE_CHUNK, start + num)), path)


def find_step(node, name: str):
    """The first pipeline step ``dict(type=name, ...)`` anywhere in a dataset config (inside wrappers
    such as ``MultiView`` and in every member of a concatenation), or None."""
    if isinstance(node, dict):
        if node.get('type') in (name, f'cclslr.{name}'):
            return node
        node = list(node.values())
    if isinstance(node, (list, tuple)):
        for item in node:
            found = find_step(item, name)
            if found is not None:
                return found
    return None


def step_options(ds_cfg: dict, name: str, keys) -> dict:
    """The options ``keys`` that the dataset's own pipeline gives step ``name``: the check reads the
    files the way training will (a pose layout, trimmed pose files, the end tolerance)."""
    step = find_step(ds_cfg, name) or {}
    return {k: step[k] for k in keys if k in step}


POSE_OPTIONS = ('format', 'rel_tolerance', 'abs_tolerance', 'pose_trimmed', 'end_tolerance',
                'reader_options')
VIDEO_OPTIONS = ('end_tolerance',)


def check_sample(args):
    """Check one sample dict; returns a list of problem dicts.

    ``args``: (info, min_frames, check_pose, decode, check_video, video_options, pose_options); the
    options are those of the pipeline's ``DecordInit`` / ``LoadPose`` (:func:`step_options`).
    """
    info, min_frames, check_pose, decode, check_video, video_options, pose_options = args
    problems = []
    res = None
    if check_video:
        try:
            res = DecordInit(min_frames=min_frames, probe=True, **video_options)(dict(info))
            if decode:
                decode_range(res['video_reader'], res['clip_offset'], res['total_frames'], info['video_path'])
        except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the scan
            problems.append(dict(kind=classify(str(e)), modality='video', file=info['video_path'],
                                 reason=str(e)))
            res = None
    if check_pose and info.get('pose_path'):
        try:
            out = LoadPose(**pose_options, on_nan='error')(dict(info) if res is None else res)
            if not check_video and out['total_frames'] < min_frames:
                raise ValueError(f'{info["pose_path"]}: too short: {out["total_frames"]} frames in range, '
                                 f'need {min_frames}')
        except Exception as e:  # noqa: BLE001
            problems.append(dict(kind=classify(str(e)), modality='pose', file=info['pose_path'],
                                 reason=str(e)))
    elif check_pose and not check_video:  # pose-only: a sample without a pose file has nothing to train on
        video = info.get('video_path') or ''
        problems.append(dict(kind='missing', modality='pose', file=video,
                             reason=f'{video}: sample has no pose_path (set data_prefix.pose)'))
    for p in problems:
        p['sample_id'] = info['sample_id']
    return problems


def dataset_config(cfg: Config, split: str) -> dict:
    for key in (f'{split}_dataloader', f'{split}_dataset'):
        if key in cfg:
            ds = cfg[key].get('dataset', cfg[key])
            return copy.deepcopy(ds.to_dict() if hasattr(ds, 'to_dict') else dict(ds))
    raise KeyError(f'config has no {split}_dataloader.dataset (nor {split}_dataset)')


def build_dataset(ds_cfg: dict):
    ds_cfg = dict(ds_cfg)
    if 'datasets' in ds_cfg:  # concatenations: check every member without a pipeline
        ds_cfg.pop('pipeline', None)
        ds_cfg['datasets'] = [dict(d, pipeline=[]) for d in ds_cfg['datasets']]
    else:
        ds_cfg['pipeline'] = []
    return DATASETS.build(ds_cfg)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--split', default='train', help='train, val or test (uses <split>_dataloader)')
    parser.add_argument('--num-workers', type=int, default=0)
    parser.add_argument('--min-frames', type=int, default=1, help='shorter clips are reported too_short')
    modality = parser.add_mutually_exclusive_group()
    modality.add_argument('--no-pose', action='store_true', help='skip the pose files')
    modality.add_argument('--no-video', action='store_true',
                          help='skip the videos (pose-only datasets): check the pose files alone')
    parser.add_argument('--decode', action='store_true',
                        help='decode every frame of each clip\'s range (finds truncated or damaged files)')
    parser.add_argument('--out', help='write the report as json')
    args = parser.parse_args(argv)

    register_all_modules()
    ds_cfg = dataset_config(Config.fromfile(args.config), args.split)
    video_options = step_options(ds_cfg, 'DecordInit', VIDEO_OPTIONS)
    pose_options = step_options(ds_cfg, 'LoadPose', POSE_OPTIONS)
    dataset = build_dataset(ds_cfg)
    if args.decode and args.no_video:
        parser.error('--decode decodes videos; it cannot be combined with --no-video')
    jobs = [(dataset.get_data_info(i), args.min_frames, not args.no_pose, args.decode, not args.no_video,
             video_options, pose_options) for i in range(len(dataset))]
    problems = []
    bar = dict(total=len(jobs), desc=f'checking {osp.basename(args.config)} [{args.split}]', unit='clip')
    if args.num_workers > 0:
        with Pool(args.num_workers) as pool:
            for result in tqdm(pool.imap(check_sample, jobs, chunksize=8), **bar):
                problems += result
    else:
        for job in tqdm(jobs, **bar):
            problems += check_sample(job)
    counts = Counter(p['kind'] for p in problems)
    report = dict(config=args.config, split=args.split, num_samples=len(jobs),
                  num_bad_samples=len({p['sample_id'] for p in problems}), counts=dict(counts),
                  problems=problems)
    for p in problems[:50]:
        print(f'[{p["kind"]}] {p["sample_id"]}: {p["reason"]}')
    if len(problems) > 50:
        print(f'... and {len(problems) - 50} more (see --out)')
    print(f'{len(jobs)} samples, {report["num_bad_samples"]} with problems: {dict(counts) or "none"}')
    if not args.no_video:
        missing = {p['sample_id'] for p in problems if p['modality'] == 'video' and p['kind'] == 'missing'}
        if jobs and len(missing) == len(jobs):
            print(POSE_ONLY_ADVICE)
        elif not args.decode:
            print(DECODE_ADVICE)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=1)
    return 1 if problems else 0


if __name__ == '__main__':
    # an error: one line naming the file and the reason, exit status 1 (as tools/train.py)
    sys.exit(run_tool(main, 'check_dataset.py'))
