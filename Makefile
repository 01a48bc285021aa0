# Kyso — the two set-up commands are `make run` and `make test` (README.md).
# Each installs what is missing (scripts/install-deps.sh), so both work on a fresh
# Debian/Ubuntu machine.

SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
# One feature set for clippy, tests and the desktop build, so Tauri compiles once.
DESKTOP_FEATURES := --features kyso-desktop/custom-protocol
PKI := target/test-data/pki
CORPUS := target/test-data/corpus

.PHONY: run test deps deps-run rust-toolchain ui lint test-ui test-rust test-desktop fuzz-check bench fuzz clean

## Install, build and start the desktop app, with the local reference exchange as its endpoint.
run: deps-run
	scripts/run-desktop.sh

## Install everything, then run every test of the project.
test: deps
	$(MAKE) test-ui
	$(MAKE) lint
	$(MAKE) test-rust
	$(MAKE) test-desktop
	$(MAKE) fuzz-check
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
	scripts/with-keyring.sh $(CARGO) test --workspace --locked $(DESKTOP_FEATURES)

## The real desktop app under Xvfb: it opens, then WebDriver signs a PDF through it.
test-desktop:
	$(CARGO) build -p kyso-desktop --locked $(DESKTOP_FEATURES)
	bash tests/pki/make-pki.sh $(PKI) && bash tests/corpus/make-corpus.sh $(CORPUS) $(PKI)
	scripts/desktop-smoke.sh target/debug/kyso-desktop
	KYSO_E2E_REQUIRE_SIGNING=1 KYSO_E2E_PDF=$(CORPUS)/reportlab-vi.pdf KYSO_E2E_P12=$(PKI)/signer-modern.p12 \
	  KYSO_E2E_P12_PASSWORD="$$(cat $(PKI)/p12-password.txt)" KYSO_E2E_SIGNER="Nguyễn Văn An" \
	  scripts/desktop-e2e.sh target/debug/kyso-desktop

## The fuzz targets still build (the long runs are `make fuzz`).
fuzz-check:
	$(CARGO) check --manifest-path fuzz/Cargo.toml --locked

## Kyso against pyHanko and pdfsig on the same files: writes docs/benchmarks.md.
bench: deps
	scripts/bench.sh

## Long fuzz runs (RECIPES §8): FUZZ_SECONDS per target (default 600); docs/fuzzing.md.
fuzz: deps
	scripts/fuzz.sh $${FUZZ_SECONDS:-600}

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules target/test-data
