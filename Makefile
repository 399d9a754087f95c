# The two set-up commands of the README. Both install into .venv/ first (idempotent, quick when done).
PY := .venv/bin/python
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k configs"`.
PYTEST_ARGS ?=

.PHONY: install demo test lint

install:
	@bash tools/install.sh

demo: install
	@$(PY) tools/demo.py

test: install
	@$(PY) -m pytest tests -n 2 -q $(PYTEST_ARGS)

lint: install
	@.venv/bin/ruff check .
