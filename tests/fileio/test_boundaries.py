"""Layering: datasets import fileio, never the reverse; models import neither datasets nor their files."""
import ast
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _imported_modules(path: str, package: str):
    """Absolute names of the modules a source file imports (relative imports resolved)."""
    tree = ast.parse(open(path).read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')[:len(package.split('.')) - node.level + 1]
                yield '.'.join(base + ([node.module] if node.module else []))
            else:
                yield node.module


@pytest.mark.parametrize('layer', ['cclslr/fileio', 'cclslr/models'])
def test_layer_does_not_import_datasets(layer):
    offenders = []
    for root, _, files in os.walk(osp.join(REPO, layer)):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(root, name)
                package = osp.relpath(root, REPO).replace(os.sep, '.')
                offenders += [f'{osp.relpath(path, REPO)}: {m}' for m in _imported_modules(path, package)
                              if m == 'cclslr.datasets' or m.startswith('cclslr.datasets.')]
    assert not offenders


def test_importing_fileio_loads_no_dataset_module():
    code = (f'import sys; sys.path.insert(0, {REPO!r}); import cclslr.fileio; '
            'print(sorted(m for m in sys.modules if m.startswith("cclslr.datasets")))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'
