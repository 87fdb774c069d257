# One entry point for every workflow. uv is bootstrapped on first use so a fresh
# machine needs only python3 and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export SAM_CLI_TELEMETRY := 0
export UV_PYTHON := 3.13

# The absolute path of uv, installed privately on first use (scripts/uv.sh says where
# it looks and how it installs); exported, so every nested make and `sam build`'s
# makefile builds use this uv and never look for one on PATH. `help` and `clean`
# need none.
ifneq ($(filter-out help clean,$(or $(MAKECMDGOALS),help)),)
UV := $(shell sh scripts/uv.sh)
ifeq ($(UV),)
$(error no uv: see the line above)
endif
export UV
endif
RUN := "$(UV)" run --frozen
# Empty: each data source gets its own folder (.artifacts/demo or .artifacts/<csv stem>).
ARTIFACTS ?=
DATA ?=
EVENT ?= events/predict_single.json
ENV ?= default
SOAK_SECONDS ?= 60
PORT ?= 3000

.PHONY: help setup lint format test test-fast train build size serve invoke batch batch-collect bench soak promote smoke requirements clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	"$(UV)" sync --frozen
	@touch $@

setup: .venv/.synced ## create the dev environment from uv.lock

lint: setup ## ruff check + format check + mypy (strict) over predict_fn, training, local
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

format: setup ## apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

test: setup build ## build the SAM app, then run the whole test suite
	$(RUN) pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

test-fast: setup ## unit, functional and static tests (no sam build)
	$(RUN) pytest -m "not build and not e2e"

train: setup ## train on DATA (or deterministic demo data) into ARTIFACTS
	$(RUN) python -m training $(if $(DATA),--data $(DATA),--demo) \
		--out $(or $(ARTIFACTS),.artifacts/$(if $(DATA),$(basename $(notdir $(DATA))),demo))

build: setup ## sam build (function + two uv-built layers), no Docker
	$(RUN) sam build

requirements: setup ## re-export the layers' and function's requirements.txt from uv.lock
	$(RUN) python -m scripts.export_requirements

size: ## per-package unzipped size of the build and margin to 250 MB
	$(RUN) python -m bench.size .aws-sam/build

serve: setup ## local API on 127.0.0.1:$(PORT) backed by moto_server S3
	$(RUN) python -m local.serve --port $(PORT) $(if $(ARTIFACTS),--artifacts $(ARTIFACTS)) \
		$(if $(DATA),--data $(DATA)) $(if $(FROM_BUILD),--from-build) $(if $(SNAPSTART),--snapstart)

invoke: setup ## replay EVENT through the handler, like `sam local invoke -e`
	$(RUN) python -m local.invoke $(EVENT) $(if $(ARTIFACTS),--artifacts $(ARTIFACTS)) \
		$(if $(FROM_BUILD),--from-build) $(if $(SNAPSTART),--snapstart)

batch: setup ## score DATA=in.csv into OUT=out.csv on every core, as the batch function does
	@test -n "$(DATA)" -a -n "$(OUT)" || { echo "usage: make batch DATA=in.csv OUT=out.csv [ARTIFACTS=dir]" >&2; exit 2; }
	$(RUN) python -m local.batch --data $(DATA) --out $(OUT) $(if $(ARTIFACTS),--artifacts $(ARTIFACTS))

batch-collect: setup ## merge batch run EXECUTION's parts from BUCKET (AWS) into OUT=out.csv
	@test -n "$(EXECUTION)" -a -n "$(BUCKET)" -a -n "$(OUT)" || { echo "usage: make batch-collect BUCKET=bucket EXECUTION=name OUT=out.csv" >&2; exit 2; }
	$(RUN) python -m local.batch --collect $(EXECUTION) --bucket $(BUCKET) --out $(OUT)

bench: setup build ## cold start, latency, memory and size against the reference (bench/README.md)
	$(RUN) python -m bench $(if $(ARTIFACTS),--artifacts $(ARTIFACTS))

soak: setup ## long load + faults + deeper fuzzing on loopback (SOAK_SECONDS, default 60)
	SOAK_SECONDS=$(SOAK_SECONDS) FUZZ_EXAMPLES=400 FUZZ_SECONDS=600 $(RUN) pytest tests/reliability -v

promote: setup ## load + probe model VERSION from S3, then sam deploy it with its manifest pin (ENV=prod)
	@test -n "$(VERSION)" || { echo "usage: make promote VERSION=<version> [ENV=prod]" >&2; exit 2; }
	$(RUN) python -m training.promote --version $(VERSION) --config-env $(ENV)

smoke: setup ## replay events/ and the README's curls against a deployed STACK (or URL=.../predict)
	$(RUN) python -m local.smoke $(if $(URL),--url $(URL),$(if $(STACK),--stack $(STACK)))

clean: ## remove build output and cached artifacts
	rm -rf .aws-sam .artifacts
