"""The three lines of Python in docs/inference.md, run as written with the demo's checkpoint path replaced
by a randomly initialised checkpoint of the same config (tests never depend on a demo run)."""
import ast
import contextlib
import io
import os
import os.path as osp
import re

import pytest

from tiny_models import FUSED_CFG, REPO, write_random_checkpoint


def test_docs_example_prints_five_glosses(shared_data, tmp_path):
    pytest.importorskip('mediapipe')
    with open(osp.join(REPO, 'docs', 'inference.md')) as f:
        code = re.search(r'## Python\n```python\n(.*?)```', f.read(), re.S).group(1)
    lines = code.strip().splitlines()
    assert len(lines) == 3
    ckpt = write_random_checkpoint(FUSED_CFG, str(tmp_path / 'fused.pth'))
    code = code.replace("'work_dirs/demo/finetune_fused_ccl-slr/epoch_40.pth'", repr(ckpt))
    assert repr(ckpt) in code
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(REPO)  # the docs' paths are relative to the repository root
    try:
        with contextlib.redirect_stdout(out), pytest.warns(UserWarning, match='keypoint'):
            exec(compile(code, 'docs/inference.md', 'exec'), {})
    finally:
        os.chdir(cwd)
    names = ast.literal_eval(out.getvalue().strip().splitlines()[-1])  # the printed list of gloss names
    assert len(names) == 5 and len(set(names)) == 5 and all(n.startswith('gloss_') for n in names)
