"""Test-only launcher: run a tool script, SIGKILLing it at its (k+1)-th atomic rename.

    CCLSLR_TEST_KILL_AFTER_WRITES=k python kill_after_writes.py TOOL.py ARGS...

The first ``k`` outputs are complete; the process dies with the next output fully written under its
temporary name, not yet renamed: the last moment before the output would count as finished.
"""
import os
import runpy
import signal
import sys

from cclslr.fileio.atomic import TMP_MARK

_KILL_AT = int(os.environ['CCLSLR_TEST_KILL_AFTER_WRITES'])
_replace = os.replace
_renames = 0


def _replace_or_kill(src, dst, *args, **kwargs):
    global _renames
    if str(src).endswith(TMP_MARK):
        if _renames == _KILL_AT:
            os.kill(os.getpid(), signal.SIGKILL)
        _renames += 1
    return _replace(src, dst, *args, **kwargs)


os.replace = _replace_or_kill
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
