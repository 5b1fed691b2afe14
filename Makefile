# The engine's commands. `make run` and `make test` set everything up on a fresh machine that has
# Python 3.11 and make; `make lint` also needs npm (for buf).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUF := node_modules/.bin/buf

.PHONY: setup run test test-sqlite lint fmt gen gen-check buf-lint buf-breaking bench ts-client clean

setup: $(STAMP)

$(STAMP): pyproject.toml clients/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./clients/python -e '.[dev]'
	touch $(STAMP)

## Run the engine (gRPC on 127.0.0.1:50051, gateway on 127.0.0.1:8080) on SQLite with the demo program.
run: setup
	$(BIN)/loyalty migrate
	$(BIN)/loyalty serve

## The whole suite, on SQLite and on PostgreSQL (LOYALTY_TEST_POSTGRES_URL; mandatory when CI=true).
test: setup
	$(BIN)/pytest -n 2 --dist loadfile

## Only the SQLite half, for a quick loop.
test-sqlite: setup
	$(BIN)/pytest -n 2 --dist loadfile -m "not postgres"

# buf comes from npm, pinned to an exact version in package.json (no lock file: its optional
# per-platform packages make `npm ci` refuse a lock made on another platform).
$(BUF): package.json
	npm install --no-package-lock --no-audit --no-fund --loglevel=error
	touch $(BUF)

lint: setup $(BUF) buf-lint buf-breaking gen-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

buf-lint: $(BUF)
	$(BUF) lint

## Breaking changes against the previous commit of main, once there is one with protos.
buf-breaking: $(BUF)
	@if git rev-parse --verify --quiet HEAD~1 >/dev/null && git cat-file -e HEAD~1:buf.yaml 2>/dev/null; then \
		$(BUF) breaking --against '.git#ref=HEAD~1' && echo "buf breaking: no breaking change against HEAD~1"; \
	else echo "buf breaking: no previous commit with protos; skipped"; fi

## Regenerate clients/python/loyalty/v1 from protos/loyalty/v1.
gen: setup
	$(BIN)/python tools/gen_protos.py

gen-check: setup
	$(BIN)/python tools/gen_protos.py --check

## The TypeScript client (clients/typescript): generated from the protos with buf + protoc-gen-es, built
## with tsc into dist/. Needs Node.js 20+ and npm. The suite builds it by itself too.
TS := clients/typescript
$(TS)/node_modules/.installed: $(TS)/package.json
	cd $(TS) && npm install --no-package-lock --no-audit --no-fund --loglevel=error
	touch $@

ts-client: $(TS)/node_modules/.installed
	cd $(TS) && npm run build

## Benchmarks (bench/README.md): the engine against a no-op baseline on the same stack, on SQLite and
## PostgreSQL; a table on stdout, JSON in bench/results/latest.json. BENCH_ARGS passes options, e.g.
## BENCH_ARGS="--databases sqlite --scale" (the scale run loads 1M members and 10M postings first).
bench: setup
	PYTHONPATH=. $(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache $(TS)/node_modules $(TS)/dist $(TS)/src/gen
