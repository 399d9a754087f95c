"""Prepare a dataset's videos for fast training: each sample's frame range cut, resized to a short side,
re-encoded as H.264 with a short keyframe interval (cclslr/fileio/video_encode.py). docs/prepare_videos.md.

    python tools/data/prepare_videos.py CONFIG [--split train val test] [--out DIR] [--short-side 256]
        [--gop 12] [--crf 20] [--crop-box] [--num-workers N] [--cfg-options k=v ...]
    python tools/data/prepare_videos.py FOLDER --out DIR [...]       (every video under FOLDER, whole files)

CONFIG: the samples of ``<split>_dataloader.dataset`` (concatenations: every member), one prepared file
``<sample_id>.mp4`` per sample (several MS-ASL samples cut from one video give several files). ``--out``
defaults to the config's ``data_prefix.prepared``. Then train with ``data_prefix.prepared=DIR``.
FOLDER: one file per video, whole, ``sample_id`` = its path under FOLDER without the extension.

Resumable: samples whose file and record exist with the same source, range, box, short side, GOP and
crf are skipped; writes are atomic.
The records go to ``DIR/prepared.jsonl`` (the index the dataset reads); failures to
``DIR/prepare_failures.jsonl`` (one JSON line each: sample_id, source, reason), and the run goes on.
Exit code 1 when a sample failed.
"""
import argparse
import json
import os
import os.path as osp
import sys
import multiprocessing as mp

from mmengine.config import DictAction
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))  # check_dataset: how a config's dataset is built
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from check_dataset import build_dataset, dataset_config  # noqa: E402

from cclslr.fileio.atomic import remove_stale_temp_files  # noqa: E402
from cclslr.fileio.video_encode import (INDEX_NAME, job_request, prepare_job, read_index,  # noqa: E402
                                        write_index)
from cclslr.utils.launch import run_tool  # noqa: E402

VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v')
FAILURES_NAME = 'prepare_failures.jsonl'


def config_jobs(cfg, splits, crop_box: bool):
    """``(jobs, prepared_root)``: one job dict per distinct sample of the config's splits."""
    from cclslr.utils import register_all_modules
    register_all_modules()
    jobs, root = {}, None
    for split in splits:
        ds_cfg = dataset_config(cfg, split)
        members = ds_cfg['datasets'] if 'datasets' in ds_cfg else [ds_cfg]
        for m in members:  # the originals are read: drop the switch to the prepared files
            prefix = dict(m.get('data_prefix') or {})
            prepared = prefix.pop('prepared', None)
            if prepared and m.get('data_root') and not osp.isabs(prepared):
                prepared = osp.join(m['data_root'], prepared)  # as MMEngine joins data_prefix
            root = root or prepared
            m['data_prefix'] = prefix
        dataset = build_dataset(ds_cfg)
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            job = dict(sample_id=info['sample_id'], source=info['video_path'],
                       frame_start=info['frame_start'], frame_end=info['frame_end'],
                       box=info.get('box') if crop_box else None)
            old = jobs.setdefault(job['sample_id'], job)
            if old != job:
                raise ValueError(f'{cfg.filename}: sample_id {job["sample_id"]!r} names two different clips: '
                                 f'{old} and {job}')
    return list(jobs.values()), root


def folder_jobs(folder: str):
    jobs = []
    for base, _, names in os.walk(folder):
        for name in sorted(names):
            if osp.splitext(name)[1].lower() in VIDEO_EXTS and not name.startswith('.'):
                rel = osp.relpath(osp.join(base, name), folder)
                jobs.append(dict(sample_id=osp.splitext(rel)[0], source=osp.join(base, name),
                                 frame_start=0, frame_end=-1, box=None))
    return sorted(jobs, key=lambda j: j['sample_id'])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('source', help='a dataset config, or a folder of videos')
    parser.add_argument('--split', nargs='+', default=['train', 'val', 'test'],
                        help='splits of the config (<split>_dataloader); absent ones are skipped')
    parser.add_argument('--out', help='output folder (default: the config\'s data_prefix.prepared)')
    parser.add_argument('--short-side', type=int, default=256, help='short side of the prepared frames')
    parser.add_argument('--gop', type=int, default=12, help='frames between keyframes')
    parser.add_argument('--crf', type=int, default=20, help='x264 quality (lower: better and bigger)')
    parser.add_argument('--preset', default='veryfast', help='x264 speed preset')
    parser.add_argument('--crop-box', action='store_true',
                        help='crop to the sample\'s signer box (MS-ASL `box`) before resizing')
    parser.add_argument('--num-workers', type=int, default=1, help='parallel encoding processes')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_dataloader.dataset.ann_file=...')
    args = parser.parse_args(argv)

    if osp.isdir(args.source):
        jobs, root = folder_jobs(args.source), None
    else:
        from mmengine.config import Config
        cfg = Config.fromfile(args.source)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        splits = [s for s in args.split if f'{s}_dataloader' in cfg or f'{s}_dataset' in cfg]
        if not splits:
            raise SystemExit(f'{args.source}: none of the splits {args.split} has a dataloader')
        jobs, root = config_jobs(cfg, splits, args.crop_box)
    out = args.out or root
    if not out:
        raise SystemExit('give --out (the config has no data_prefix.prepared)')
    os.makedirs(out, exist_ok=True)
    remove_stale_temp_files(out, recursive=False)
    settings = dict(short_side=args.short_side, gop=args.gop, crf=args.crf, preset=args.preset, threads=1)

    done = read_index(out, strict=False) if osp.isfile(osp.join(out, INDEX_NAME)) else {}
    todo = [j for j in jobs if not (j['sample_id'] in done
                                    and done[j['sample_id']].get('request') == job_request(j, settings)
                                    and osp.isfile(osp.join(out, done[j['sample_id']]['file'])))]
    write_index(out, done)  # drops a line a killed run left half-written
    print(f'{len(jobs)} samples, {len(jobs) - len(todo)} already prepared in {out}, {len(todo)} to do')
    failures = []
    with open(osp.join(out, INDEX_NAME), 'a', encoding='utf-8') as index, \
            open(osp.join(out, FAILURES_NAME), 'w', encoding='utf-8') as failed:
        tasks = [(j, out, settings) for j in todo]
        if args.num_workers > 1:
            # spawn, not fork: a forked child can inherit a lock held by one of the parent's decoder or
            # torch threads and hang (seen once in the tests under load)
            pool = mp.get_context('spawn').Pool(args.num_workers)
            results = pool.imap_unordered(prepare_job, tasks)
        else:
            pool, results = None, map(prepare_job, tasks)
        try:
            for job, rec, error in tqdm(results, total=len(tasks), desc='preparing', unit='clip'):
                if error is None:
                    done[job['sample_id']] = rec
                    index.write(json.dumps(rec, sort_keys=True) + '\n')
                    index.flush()  # a killed run keeps every finished record
                else:
                    failures.append(dict(sample_id=job['sample_id'], source=job['source'], reason=error))
                    failed.write(json.dumps(failures[-1]) + '\n')
                    failed.flush()
        except BaseException:  # Ctrl-C, a write error: stop the workers (next run removes their temp files)
            if pool is not None:
                pool.terminate()
            raise
        if pool is not None:
            pool.close()
            pool.join()
    write_index(out, done)
    recs = [done[j['sample_id']] for j in jobs if j['sample_id'] in done]
    src_bytes = sum(osp.getsize(s) for s in {r['source'] for r in recs} if osp.isfile(s))
    print(f'prepared {len(recs)} of {len(jobs)} samples: {src_bytes / 2**20:.1f} MiB of source videos -> '
          f'{sum(r["bytes"] for r in recs) / 2**20:.1f} MiB in {out}')
    if failures:
        print(f'{len(failures)} failed (see {osp.join(out, FAILURES_NAME)}), e.g. '
              f'{failures[0]["sample_id"]}: {failures[0]["reason"]}')
    return 1 if failures else 0


if __name__ == '__main__':
    # an error: one line naming the file and the reason, exit status 1 (as tools/train.py)
    sys.exit(run_tool(main, 'prepare_videos.py'))
