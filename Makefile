# Kyso — the two set-up commands are `make run` and `make test` (README.md).
# Each installs what is missing (scripts/install-deps.sh), so both work on a fresh
# Debian/Ubuntu machine.

SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test deps deps-run rust-toolchain build-desktop lint test-rust test-ui test-desktop bench fuzz clean

## Install, build and start the desktop app.
run: deps-run
	scripts/build-desktop.sh release
	KYSO_HOME="$${KYSO_HOME:-}" ./target/release/kyso-desktop

## Install everything, then run every test of the project.
test: deps
	$(MAKE) lint
	$(MAKE) test-rust
	$(MAKE) test-ui
	$(MAKE) test-desktop
	@echo "make test: all suites passed"

deps: rust-toolchain
	scripts/install-deps.sh

deps-run: rust-toolchain
	scripts/install-deps.sh --run-only

rust-toolchain:
	@command -v cargo >/dev/null || { echo "cargo is missing: install Rust from https://rustup.rs" >&2; exit 1; }
	@rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy rustfmt

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## The Rust suites: unit tests, the CLI against the peer validators, the desktop bindings.
test-rust:
	$(CARGO) test --workspace --locked

test-ui:
	cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run check && npm test

## Build the real desktop app and open it under Xvfb.
test-desktop:
	scripts/build-desktop.sh
	scripts/desktop-smoke.sh target/debug/kyso-desktop

## Kyso against pyHanko and pdfsig on the same files: writes docs/benchmarks.md.
bench: deps
	scripts/bench.sh

## Long fuzz runs (RECIPES §8): FUZZ_SECONDS per target (default 600).
fuzz:
	scripts/fuzz.sh $${FUZZ_SECONDS:-600}

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules
