# catopt: `make demo` runs the main job, `make test` runs every test.
# Both create or refresh .venv and install what is needed (see scripts/setup.sh).
PY := .venv/bin/python

.PHONY: setup demo test lint docs bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

test: setup
	$(PY) -m pytest -q
	$(PY) -m ruff check .

lint: setup
	$(PY) -m ruff check .

docs: setup
	PY=$(PY) bash scripts/docs.sh

bench: setup
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf build dist site out .pytest_cache .ruff_cache .hypothesis
