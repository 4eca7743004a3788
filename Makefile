# Two commands on a fresh machine: `make demo` and `make test`. Everything else is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_URI ?= ./data/demo

IMAGE ?= medsynth:0.1.0
CUDA_WHEELS ?= cu128

.PHONY: install browser demo test bench-smoke lint bench docs image clean

install: $(STAMP)

# torch first and pinned: its CPU wheel lies on this machine's disk; a bare `torch` would pull a
# multi-GB CUDA build. Then the project, editable, with its test tools.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/python -m jobs.generate dataset.name=demo dataset.n_studies=16 dataset.shard_size=4 \
		storage.uri=$(DEMO_URI)
	$(BIN)/python -m jobs.query $(DEMO_URI) "body_region = 'abdomen' AND liver_ml > 1000" --limit 5

# The report's browser test drives Debian's Chromium (headless); installed here when it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || \
		echo "warning: could not install chromium (the report's browser test will fail)" >&2

test: install browser
	$(BIN)/ruff check .
	MEDSYNTH_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -n 2 --dist loadgroup

# Every benchmark's --quick run (a few minutes): that it runs and reports what it promises. CI runs
# it after `make test`; its numbers are not measurements (`make bench` and `jobs.bench NAME` are).
bench-smoke: install
	$(BIN)/python -m pytest -m bench tests/jobs/bench

# The reference pages under docs/reference/, made from the code (tests/jobs/test_docs.py checks them).
docs: install
	$(BIN)/python -m jobs.docs

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m jobs.bench generate
	$(BIN)/python -m jobs.bench storage
	$(BIN)/python -m jobs.bench stream
	$(BIN)/python -m jobs.bench phantom
	$(BIN)/python -m jobs.bench brain
	$(BIN)/python -m jobs.bench maisi
	$(BIN)/python -m jobs.bench scale
	$(BIN)/python -m jobs.bench anatomy
	$(BIN)/python -m jobs.bench mr
	$(BIN)/python -m jobs.bench series
	$(BIN)/python -m jobs.docs

# The CUDA image for clusters (infra/docker/Dockerfile); needs Docker, so it is not part of `test`.
image:
	docker build -f infra/docker/Dockerfile --build-arg CUDA_WHEELS=$(CUDA_WHEELS) -t $(IMAGE) .

clean:
	rm -rf $(VENV) data bench/tmp .pytest_cache
