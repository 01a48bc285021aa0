#!/usr/bin/env bash
# Install everything Kyso needs on a fresh Debian 12 / Ubuntu 22.04+ machine.
# Skips whatever is already present; safe to run again.
#
#   scripts/install-deps.sh             build + run + test tools (make test)
#   scripts/install-deps.sh --run-only  build + run only; no validators, no venv (make run)
#
# Test tools: the peer validators and fixture producers (poppler, qpdf, MuPDF,
# Ghostscript, NSS tools, SoftHSM2, openssl CLI, headless X/WebDriver) and a
# Python venv at $REPO/.venv with the versions pinned in scripts/requirements-test.txt.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$REPO/scripts/requirements-test.txt"
VENV="$REPO/.venv"

RUN_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --run-only) RUN_ONLY=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# Build and run the Tauri app (plus the OS keychain it talks to).
RUN_PKGS=(
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  librsvg2-dev libayatana-appindicator3-dev libxdo-dev libssl-dev build-essential
  pkg-config file gnome-keyring libsecret-tools dbus libdbus-1-dev curl openssl
)
# Headless end-to-end runs, peer validators, fixture producers, benchmarks.
TEST_PKGS=(
  xvfb xauth webkit2gtk-driver imagemagick
  poppler-utils qpdf ghostscript mupdf-tools libnss3-tools softhsm2
  fonts-liberation2 python3-venv hyperfine time
)

# The UI is built with Node.js 20+ and npm; Debian's own nodejs only when none is installed.
command -v node >/dev/null && command -v npm >/dev/null || RUN_PKGS+=(nodejs npm)

PKGS=("${RUN_PKGS[@]}")
[ "$RUN_ONLY" = 1 ] || PKGS+=("${TEST_PKGS[@]}")

SUDO=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo" >&2; exit 1; }
  SUDO=(sudo)
fi

# ---- apt -------------------------------------------------------------------
missing=()
for p in "${PKGS[@]}"; do
  st="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [ "$st" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "apt: all ${#PKGS[@]} packages present"
else
  echo "apt: installing ${#missing[@]} missing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "apt: done"
fi

if [ "$RUN_ONLY" = 1 ]; then
  echo "venv: skipped (--run-only)"
  exit 0
fi

# ---- Python venv with the pinned test tools --------------------------------
# Fingerprint of the requirements: the venv is "complete" when it was built from
# exactly this file and its tools still import.
stamp_want="$(sha256sum "$REQ" | cut -d' ' -f1)"
stamp_file="$VENV/.kyso-requirements.sha256"

venv_ok() {
  [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/pyhanko" ] || return 1
  [ "$(cat "$stamp_file" 2>/dev/null || true)" = "$stamp_want" ] || return 1
  "$VENV/bin/python" -c 'import pyhanko, pyhanko.cli, reportlab, pyhanko.sign.validation' 2>/dev/null
}

# ---- cargo tools for the tests ---------------------------------------------
# tauri-driver drives the real desktop app through WebDriver (RECIPES §3).
if command -v tauri-driver >/dev/null; then
  echo "cargo: tauri-driver present"
else
  echo "cargo: installing tauri-driver"
  cargo install tauri-driver --version 2.1.0 --locked --quiet
fi

if venv_ok; then
  echo "venv: $VENV up to date"
  exit 0
fi

# First python3 on PATH that can build a venv (pyenv shims first, then the distro one).
PY=""
while IFS= read -r cand; do
  if "$cand" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    PY="$cand"; break
  fi
done < <(type -ap python3; echo /usr/bin/python3)
[ -n "$PY" ] || { echo "venv: no python3 >= 3.10 with venv/ensurepip on PATH (install python3-venv)" >&2; exit 1; }

echo "venv: building $VENV with $PY ($("$PY" -c 'import platform; print(platform.python_version())'))"
if [ -e "$VENV" ] && ! "$VENV/bin/python" -c '' 2>/dev/null; then
  rm -rf "$VENV"   # broken or half-made: start over
fi
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
"$VENV/bin/python" -c 'import pyhanko, pyhanko.cli, reportlab, pyhanko.sign.validation'
echo "$stamp_want" > "$stamp_file"
echo "venv: ready ($("$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | awk '$1=="pyHanko"||$1=="reportlab"||$1=="pyhanko-cli"{s = s (s ? ", " : "") $1 " " $2} END {print s}'))"
