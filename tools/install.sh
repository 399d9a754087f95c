#!/usr/bin/env bash
# Create (or reuse) the repo's virtual environment in .venv/ and install cclslr into it in two steps:
#   1. the runtime + test requirements (pinned, see requirements/*.txt and docs/install.md);
#   2. mmaction2 / mmpose / mmdet and mediapipe with --no-deps (their metadata cannot be satisfied
#      beside the pinned numpy/opencv, see docs/install.md),
#      then cclslr itself in editable mode.
# Idempotent: a stamp holding the hash of the requirement files and setup.py skips all of it when
# nothing changed (well under a second).
#
# Usage: bash tools/install.sh [--force]     (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${CCLSLR_VENV:-.venv}
PY=${PYTHON:-python3}
STAMP="$VENV/.cclslr-install-stamp"
want=$(cat requirements/runtime.txt requirements/openmmlab.txt requirements/mediapipe.txt requirements/tests.txt setup.py | sha256sum | cut -d' ' -f1)

if [ "${1:-}" != "--force" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "[install] creating virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
pip_() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }
echo "[install] step 1/2: runtime and test requirements"
pip_ install -r requirements/runtime.txt -r requirements/tests.txt
echo "[install] step 2/2: OpenMMLab packages and mediapipe (--no-deps), cclslr (editable)"
pip_ install --no-deps -r requirements/openmmlab.txt -r requirements/mediapipe.txt
pip_ install --no-deps --no-build-isolation -e .
echo "$want" > "$STAMP"
echo "[install] done: $VENV"
