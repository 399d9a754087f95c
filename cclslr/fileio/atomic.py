"""Atomic file writes (temporary file in the same folder + ``os.replace``) and the clean-up after a kill.

A writer that is killed (SIGKILL, OOM killer, node loss) leaves its temporary file behind, never a
truncated file under the final name. Temporary files are named ``.<final name>.<pid>.<random>.cclslr-tmp``:
hidden, never matched by the readers' extensions (``*.pkl``, ``*.npz``, ``*.pth``), and marked with the
writer's process id, so that :func:`remove_stale_temp_files` removes only those of dead processes.
"""
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import BinaryIO, Iterator, List, Tuple

TMP_MARK = '.cclslr-tmp'


def make_temp_file(path: str) -> Tuple[int, str]:
    """``(fd, temp_path)`` of a new temporary file beside ``path`` (its folder is created)."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    return tempfile.mkstemp(dir=folder, prefix=f'.{osp.basename(path)}.{os.getpid()}.', suffix=TMP_MARK)


@contextmanager
def atomic_open(path: str, fsync: bool = False) -> Iterator[BinaryIO]:
    """``with atomic_open(path) as f: ...`` writes a marked temporary file beside ``path`` and renames it
    onto ``path`` when the block ends without an error (on an error the temporary file is removed and
    ``path`` is untouched). ``fsync`` also puts the bytes on disk before the rename (power loss, not only
    a kill)."""
    fd, tmp = make_temp_file(path)
    try:
        with os.fdopen(fd, 'wb') as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def atomic_write_bytes(path: str, data: bytes, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (:func:`atomic_open`)."""
    with atomic_open(path, fsync) as f:
        f.write(data)


def _writer_alive(name: str) -> bool:
    try:
        pid = int(name[:-len(TMP_MARK)].rsplit('.', 2)[1])
    except (IndexError, ValueError):
        return False  # not one of ours by name: treated as stale (it carries our mark)
    if pid == os.getpid():
        return False  # this process writes nothing while it cleans up
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's
    return True


def remove_stale_temp_files(folder: str, recursive: bool = True) -> List[str]:
    """Remove the temporary files of killed writers under ``folder``; returns their paths.

    A temporary file whose writer process is still alive on this machine is kept (another job may be
    writing into the same folder). A writer on another machine sharing the folder cannot be told apart:
    run the clean-up (i.e. restart a job) only when no other job writes into the folder.
    """
    removed = []
    if not osp.isdir(folder):
        return removed
    walker = os.walk(folder) if recursive else [(folder, [], os.listdir(folder))]
    for root, _, names in walker:
        for name in names:
            if name.endswith(TMP_MARK) and not _writer_alive(name):
                path = osp.join(root, name)
                try:
                    os.remove(path)
                except FileNotFoundError:
                    continue
                removed.append(path)
    return sorted(removed)
