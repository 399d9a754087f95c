"""Shared set-up of tools/train.py and tools/test.py: config loading, overrides, distributed launch."""
import argparse
import inspect
import logging
import os
import os.path as osp
import re
import sys
import traceback

import torch
from mmengine.config import Config, DictAction


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--work-dir', help='directory for logs and checkpoints '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. train_dataloader.batch_size=2 '
                        'model.rgb_encoder=None. Lists: key="[a,b]". Dotted keys must exist.')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                        help='job launcher: none (single process), pytorch (torchrun), slurm')
    # torchrun passes LOCAL_RANK in the environment; older launchers pass --local_rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)


def _check_override_keys(cfg: Config, options: dict) -> None:
    """Refuse ``--cfg-options`` whose parent path does not exist (a typo would silently add a key)."""
    for key in options:
        node = cfg._cfg_dict  # the ConfigDict behind the Config
        parts = key.split('.')
        for depth, part in enumerate(parts[:-1]):
            if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                where = '.'.join(parts[:depth + 1])
                raise KeyError(f'--cfg-options {key}: the config has no entry "{where}"')
        if (isinstance(node, dict) and parts[-1] not in node and 'type' in node
                and not _takes_argument(node['type'], parts[-1])):
            # Adding an argument the component does not declare is almost always a typo: say so loudly.
            print(f'[cclslr] warning: --cfg-options adds a new key "{key}" '
                  f'to {node.get("type")!r}, which names no such argument; check the spelling')


def _takes_argument(type_name, name: str) -> bool:
    """Whether the registered component ``type_name`` declares the argument ``name``.

    A documented argument the config does not set (``model.init_from``) is not a typo. The component is
    looked up in cclslr's registries (their parents and ``scope.Name`` included); through ``**kwargs``
    the search follows the ``__init__`` of the base classes. False when the type cannot be resolved.
    """
    from mmengine.registry import Registry

    from cclslr import registry
    if not isinstance(type_name, str):  # a class object in a Python config
        target = type_name
    else:
        target = None
        for reg in vars(registry).values():
            if isinstance(reg, Registry):
                try:
                    target = reg.get(type_name)
                except Exception:  # noqa: BLE001 - a scope with no such registry module: not this one
                    target = None
                if target is not None:
                    break
    if target is None:
        return False
    funcs = [c.__dict__['__init__'] for c in inspect.getmro(target) if '__init__' in c.__dict__] \
        if inspect.isclass(target) else [target]
    for fn in funcs:
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):  # a builtin without a signature
            return False
        if name in params and params[name].kind not in (inspect.Parameter.VAR_POSITIONAL,
                                                         inspect.Parameter.VAR_KEYWORD):
            return True
        if not any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return False
    return False


def apply_cfg_options(cfg: Config, options: dict) -> Config:
    """Merge ``--cfg-options`` into ``cfg`` (in place), refusing dotted keys whose parent does not exist."""
    if options:
        _check_override_keys(cfg, options)
        cfg.merge_from_dict(options)
    return cfg


def load_config(args) -> Config:
    """Read the config, apply ``--cfg-options``, ``--launcher`` and the work dir."""
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = apply_cfg_options(Config.fromfile(args.config), args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.setdefault('default_scope', 'cclslr')
    ensure_bad_sample_hook(cfg)
    return cfg


def ensure_bad_sample_hook(cfg: Config) -> None:
    """Add ``BadSampleHook`` to ``custom_hooks`` unless the config has it.

    A config that sets its own ``custom_hooks`` replaces the list of ``default_runtime.py``; a user of
    ``on_error='skip'`` still expects the report of the skipped samples without configuring anything.
    """
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(isinstance(h, dict) and h.get('type') in ('BadSampleHook', 'cclslr.BadSampleHook')
               for h in hooks):
        hooks.append(dict(type='BadSampleHook'))
    cfg.custom_hooks = hooks


def setup_distributed_cpu(cfg: Config) -> None:
    """Make ``--launcher pytorch`` work without CUDA (stack.md, breakage 5).

    MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` and wraps the model with
    ``device_ids=[LOCAL_RANK]``; both fail on CPU. We initialise a gloo process group ourselves (MMEngine
    then skips its own ``init_dist``) and wrap the model with ``device_ids=None``.
    """
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    if 'RANK' not in os.environ:
        if cfg.launcher == 'slurm':
            raise RuntimeError('--launcher slurm on a machine without CUDA is not supported; '
                               'use torchrun (tools/dist_train.sh) for CPU runs')
        raise RuntimeError('--launcher pytorch needs the torchrun environment (RANK, WORLD_SIZE, '
                           'MASTER_ADDR, MASTER_PORT); start it with tools/dist_train.sh')
    import torch.distributed as dist
    if not dist.is_initialized():
        timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout', 1800)
        import datetime
        dist.init_process_group(backend='gloo', timeout=datetime.timedelta(seconds=timeout))
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('broadcast_buffers', False)
    cfg.model_wrapper_cfg = wrapper
    # The config's dist backend (nccl by default) would not be used anyway; keep it consistent for logs.
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'


def teardown_distributed() -> None:
    """Wait for every rank, then close the process group.

    Without it a rank that finishes first can exit while gloo still has work in flight on the others,
    and the C++ runtime aborts that process ("terminate called without an active exception").
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


# PyTorch re-raises a worker's exception as the same type with this text around the worker's traceback.
_WORKER_HEADER = re.compile(r'Caught (\w+) (in DataLoader worker process \d+)\.\n'
                            r'Original Traceback \(most recent call last\):\n')


def error_message(error: BaseException) -> str:
    """``'<Type>: <message>'`` of the error as raised, also when PyTorch wrapped it in a DataLoader worker
    (then ``' (in DataLoader worker process N)'`` follows)."""
    text = error.args[0] if isinstance(error, KeyError) and len(error.args) == 1 else str(error)
    text = str(text)
    header = _WORKER_HEADER.search(text)
    if header is None:
        return f'{type(error).__name__}: {text}'
    name, where = header.groups()
    # The worker's traceback ends with the line "[module.]Name: message" at column 0 (frames are
    # indented); with chained exceptions the last such line is the one raised.
    lines = text[header.end():].splitlines()
    final = re.compile(rf'^(?:[\w.]+\.)?{re.escape(name)}(?::|$)')
    starts = [i for i, line in enumerate(lines) if final.match(line)]
    original = '\n'.join(lines[starts[-1]:]) if starts else text[header.end():]
    return f'{original} ({where})'


def _log_files() -> list:
    """The file handlers of the run's logger (MMEngine writes ``<work_dir>/<timestamp>/<timestamp>.log``)."""
    from mmengine.logging import MMLogger
    if not MMLogger._instance_dict:  # the Runner never started: no log file
        return []
    logger = MMLogger.get_current_instance()
    return [h for h in logger.handlers if isinstance(h, logging.FileHandler)]


def run_tool(main, prog: str, argv=None):
    """Run a tool's ``main``; on an error print one line naming what failed and exit with status 1.

    The full traceback goes to the run's log file when the Runner has opened one (and to stderr above the
    line otherwise), so a user sees the file and the reason instead of a DataLoader worker's traceback.
    """
    try:
        return main(argv)
    except Exception as error:  # noqa: BLE001 - the tool's top level: every error ends the run the same way
        files = _log_files()
        if files:
            logger = logging.getLogger(f'cclslr.{prog}')
            record = logger.makeRecord(logger.name, logging.ERROR, prog, 0, f'{prog} failed', None,
                                       (type(error), error, error.__traceback__))
            for handler in files:
                handler.handle(record)
        else:
            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
        message = error_message(error).splitlines() or ['']
        print(f'{prog}: error: {message[0]}', file=sys.stderr)
        if len(message) > 1:
            print('\n'.join(message[1:]), file=sys.stderr)
        if files:
            print(f'{prog}: the full traceback is in {files[0].baseFilename}', file=sys.stderr)
        sys.exit(1)
