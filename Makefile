# Floe: build, run and test.
#
#   make run    install what is missing, build release, serve on 127.0.0.1:8080 with ./floe-data
#   make test   install what is missing, build, run `swift test` and the pytest interop suite
#
# Works as root on a fresh Debian machine (apt-get without sudo); uses sudo only when not root.

SHELL := /bin/bash
.DEFAULT_GOAL := build

APT_PACKAGES := libsqlite3-dev libzstd-dev libsnappy-dev zlib1g-dev pkg-config
PYTHON       ?= python3
VENV         := .venv
REQUIREMENTS := Tests/Interop/requirements.txt
VENV_STAMP   := $(VENV)/.requirements.stamp
FLOE_DEBUG   := $(CURDIR)/.build/debug/floe
FLOE_RELEASE := $(CURDIR)/.build/release/floe

SWIFT_BUILD_FLAGS ?=
SWIFT_TEST_FLAGS  ?=
PYTEST_FLAGS      ?= -q --durations=20
FLOE_ARGS         ?=

.PHONY: deps build release run venv test unit interop bench

## deps: install the Debian packages the build needs, if any is missing
deps:
	@$(call apt_install,$(APT_PACKAGES))

## build: debug build (.build/debug/floe)
build: deps
	swift build $(SWIFT_BUILD_FLAGS)

## release: optimised build (.build/release/floe)
release: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)

## run: serve on the embedded default (./floe-data, 127.0.0.1:8080); FLOE_ARGS="--port 9000" adds flags
run: release
	$(FLOE_RELEASE) serve $(FLOE_ARGS)

## venv: Python environment of the interop suite, reinstalled when requirements.txt changes
venv: $(VENV_STAMP)

$(VENV_STAMP): $(REQUIREMENTS)
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { $(call apt_install,python3-venv); }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check --quiet -r $(REQUIREMENTS)
	touch $@

## test: everything; fails if any unit or interop test fails (both run either way)
test: deps venv build
	@status=0; \
	$(MAKE) --no-print-directory unit || status=1; \
	$(MAKE) --no-print-directory interop || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED" >&2; fi; \
	exit $$status

## unit: swift test
unit: deps
	swift test $(SWIFT_TEST_FLAGS)

## interop: pytest suite in Tests/Interop against the debug binary (pytest's "no tests ran" counts as failure)
interop: deps venv build
	@$(call apt_install,prometheus chromium haproxy)
	@FLOE_BIN=$(FLOE_DEBUG) FLOE_REST_INTEROP_BIN=$(CURDIR)/.build/debug/rest-interop FLOE_S3_INTEROP_BIN=$(CURDIR)/.build/debug/floe-s3-interop $(VENV)/bin/pytest $(PYTEST_FLAGS) Tests/Interop; \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "interop: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

# $(call apt_install,PACKAGES): apt-get install those of PACKAGES that dpkg does not know as installed.
define apt_install
missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
if [ -n "$$missing" ]; then \
  echo "installing Debian packages:" $$missing; \
  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
fi
endef

## bench: Floe against pyarrow and pyiceberg on the same corpora (Benchmarks/compare.sh); BENCH_ARGS=--quick is shorter
bench: deps venv
	@$(call apt_install,zstd wrk curl)
	$(VENV)/bin/pip install --disable-pip-version-check --quiet -r Benchmarks/requirements.txt
	bash Benchmarks/compare.sh $(BENCH_ARGS)

## soak: SOAK_MINUTES (default 30) of mixed traffic with flushes and SIGKILLs against the debug binary;
## prints events, kills, lost/duplicated, RSS/fd/buffer.db/data dir figures; fails on loss, duplication or growth
SOAK_MINUTES ?= 30
.PHONY: soak
soak: deps venv build
	FLOE_BIN=$(FLOE_DEBUG) $(VENV)/bin/python Tests/Interop/soak.py --minutes $(SOAK_MINUTES)

## lake-soak: the table after LAKE_SNAPSHOTS (default 3000) commits with maintenance inside floe serve
## (Benchmarks/lake_soak.py, release binary); fails on loss, duplication, or flush time, RSS, metadata or scans growing
LAKE_SNAPSHOTS ?= 3000
.PHONY: lake-soak
lake-soak: deps venv release
	FLOE_BIN=$(FLOE_RELEASE) $(VENV)/bin/python Benchmarks/lake_soak.py --snapshots $(LAKE_SNAPSHOTS)
