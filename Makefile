# Kyso — the two set-up commands are `make run` and `make test` (README.md).
# Each installs what is missing (scripts/install-deps.sh), so both work on a fresh
# Debian/Ubuntu machine.

SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
# One feature set for clippy, tests and the desktop build, so Tauri compiles once.
DESKTOP_FEATURES := --features kyso-desktop/custom-protocol
# One build for every test step: the same selection as `cargo test --workspace` (so it resolves
# the same features and the test run compiles nothing more), and it includes every binary the
# later steps run (kyso, kyso-exchange, kyso-desktop).
BUILD_ALL := $(CARGO) build --workspace --all-targets --locked $(DESKTOP_FEATURES)
PKI := target/test-data/pki
CORPUS := target/test-data/corpus

.PHONY: run test deps deps-run rust-toolchain ui lint test-ui test-rust test-api test-desktop test-package package fuzz-check bench fuzz clean

## Install, build and start the desktop app, with the local reference exchange as its endpoint.
run: deps-run
	scripts/run-desktop.sh

## Install everything, then run every test of the project.
test: deps
	$(MAKE) test-ui
	$(MAKE) lint
	$(MAKE) fuzz-check
	$(MAKE) test-rust
	$(MAKE) test-api
	$(MAKE) test-desktop
	$(MAKE) test-package
	@echo "make test: every suite passed"

deps: rust-toolchain
	scripts/install-deps.sh

deps-run: rust-toolchain
	scripts/install-deps.sh --run-only

rust-toolchain:
	@command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
	@rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy rustfmt

## The UI: type check, unit tests, and the bundle the desktop binary embeds.
test-ui:
	cd ui && npm install --no-audit --no-fund --loglevel=error && npm run check && npm test && npm run build

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked $(DESKTOP_FEATURES) -- -D warnings

## Unit tests, the CLI against the peer validators, the desktop's generated bindings; under
## a private session bus with an unlocked gnome-keyring (the vault tests use the real one).
test-rust:
	$(BUILD_ALL)
	KYSO_TEST_EXCHANGE_BIN=$(CURDIR)/target/debug/kyso-exchange \
	  scripts/with-keyring.sh $(CARGO) test --workspace --locked $(DESKTOP_FEATURES)

## The HTTP API against docs/exchange-api.yaml: the file is valid OpenAPI 3.1, and schemathesis
## finds no answer of the reference exchange that disagrees with it (scripts/check-api.sh).
test-api:
	$(BUILD_ALL)
	scripts/check-api.sh target/debug/kyso-exchange

## The real desktop app under Xvfb: it opens, then WebDriver walks the journeys of
## ui/e2e/app.e2e.mjs through it (first run, sign, verify, send, the clerk, a token, a batch,
## offline then online, English, accessibility) against a real keyring, SoftHSM2, the
## reference exchange and a TSA.
test-desktop:
	$(BUILD_ALL)
	bash tests/pki/make-pki.sh $(PKI) && bash tests/corpus/make-corpus.sh $(CORPUS) $(PKI)
	scripts/desktop-smoke.sh target/debug/kyso-desktop
	KYSO_E2E_PKI=$(PKI) KYSO_E2E_PDF=$(CORPUS)/reportlab-vi.pdf scripts/desktop-e2e.sh target/debug/kyso-desktop

## The installers of the debug build `make test` made (the same files and dependencies as
## `make package`'s): unpacked, checked, and the app started from the unpacked root.
test-package:
	$(BUILD_ALL)
	scripts/test-package.sh

## The .deb and .rpm of a release build (docs/packaging.md), in target/release/bundle/.
package: deps-run
	scripts/package.sh release

## The fuzz targets still build with their own lock file (the long runs are `make fuzz`);
## early in `make test`, since a dependency added to a crate breaks it.
fuzz-check:
	$(CARGO) check --manifest-path fuzz/Cargo.toml --locked

## Kyso against pyHanko, pdfsig and MuPDF on the same files, and `kyso sync` against the
## reference exchange and curl: writes docs/benchmarks.md.
bench: deps
	scripts/bench.sh

## Long fuzz runs (docs/testing.md §8): FUZZ_SECONDS per target (default 600); docs/fuzzing.md.
fuzz: deps
	scripts/fuzz.sh $${FUZZ_SECONDS:-600}

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules target/test-data
