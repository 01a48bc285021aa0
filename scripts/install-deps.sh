#!/usr/bin/env bash
# Install everything Kyso needs on a fresh Debian 12 / Ubuntu 22.04+ machine.
# Skips whatever is already present; safe to run again.
#
#   scripts/install-deps.sh             build + run + test tools (make test)
#   scripts/install-deps.sh --run-only  build + run only; no validators, no venvs (make run)
#
# Test tools: the peer validators and fixture producers (poppler, qpdf, MuPDF,
# Ghostscript, NSS tools, SoftHSM2, openssl CLI, headless X/WebDriver), a Python venv
# at $REPO/.venv with the versions pinned in scripts/requirements-test.txt, and one at
# $REPO/.venv-api with the API contract tools pinned in scripts/requirements-api.txt
# (apart, so that their pins never have to agree with pyHanko's).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

RUN_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --run-only) RUN_ONLY=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
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
  xvfb xauth x11-utils webkit2gtk-driver imagemagick
  poppler-utils qpdf ghostscript mupdf-tools libnss3-tools softhsm2 opencryptoki opensc
  fonts-liberation2 python3-venv hyperfine time rpm
)

# The UI is built with Node.js 20+ and npm; Debian's own nodejs only when none is installed.
command -v node >/dev/null && command -v npm >/dev/null || RUN_PKGS+=(nodejs npm)

# Documents from the wild for crates/kyso-cli/tests/wild.rs: the packages listed there.
WILD_PKGS=()
while read -r p _; do
  case "$p" in ''|'#'*) ;; *) WILD_PKGS+=("$p") ;; esac
done < "$REPO/tests/wild/packages.txt"

PKGS=("${RUN_PKGS[@]}")
[ "$RUN_ONLY" = 1 ] || PKGS+=("${TEST_PKGS[@]}" "${WILD_PKGS[@]}")

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

# ---- cargo tools for the tests ---------------------------------------------
# tauri-driver drives the real desktop app through WebDriver (docs/testing.md §3).
if command -v tauri-driver >/dev/null; then
  echo "cargo: tauri-driver present"
else
  echo "cargo: installing tauri-driver"
  cargo install tauri-driver --version 2.1.0 --locked --quiet
fi

# ---- Python venvs with pinned tools ----------------------------------------
# py_at_least PYTHON MIN: PYTHON runs, is version MIN (e.g. 3.11) or later and can build a venv.
py_at_least() {
  "$1" -c "import sys, venv, ensurepip; sys.exit(sys.version_info < tuple(map(int, '$2'.split('.'))))" 2>/dev/null
}

# The first python3 on PATH (pyenv shims first, then the distro one, then a versioned
# python3.X such as Ubuntu 22.04's python3.11 package) that is at least MIN.
find_python() {
  local cand
  while IFS= read -r cand; do
    py_at_least "$cand" "$1" && { echo "$cand"; return 0; }
  done < <(type -ap python3; echo /usr/bin/python3; type -ap python3.13 python3.12 python3.11 || true)
  return 1
}

# ensure_venv DIR REQUIREMENTS MIN_PYTHON 'EXECUTABLES' 'IMPORTS' 'SHOWN PACKAGES'
# The venv is "complete" when it was built from exactly this requirements file (its
# sha256 in DIR/.kyso-requirements.sha256), its EXECUTABLES are there and its IMPORTS
# (a Python import list) still import; otherwise it is (re)built.
ensure_venv() {
  local dir="$1" req="$2" min="$3" bins="$4" imports="$5" shown="$6"
  local stamp_file="$dir/.kyso-requirements.sha256" stamp_want ok=1 b py
  stamp_want="$(sha256sum "$req" | cut -d' ' -f1)"

  [ -x "$dir/bin/python" ] || ok=0
  for b in $bins; do [ -x "$dir/bin/$b" ] || ok=0; done
  [ "$ok" = 1 ] && [ "$(cat "$stamp_file" 2>/dev/null || true)" = "$stamp_want" ] \
    && "$dir/bin/python" -c "import $imports" 2>/dev/null \
    && { echo "venv: $dir up to date"; return 0; }

  py="$(find_python "$min")" || {
    echo "venv: $dir needs a python3 >= $min with venv/ensurepip on PATH (install python3-venv, or python$min-venv)" >&2
    return 1
  }
  echo "venv: building $dir with $py ($("$py" -c 'import platform; print(platform.python_version())'))"
  if [ -e "$dir" ] && ! py_at_least "$dir/bin/python" "$min"; then
    rm -rf "$dir"   # broken, half-made or too old: start over
  fi
  rm -f "$stamp_file"
  "$py" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  "$dir/bin/python" -c "import $imports"
  echo "$stamp_want" > "$stamp_file"
  echo "venv: ready ($("$dir/bin/python" -m pip list --disable-pip-version-check 2>/dev/null \
    | awk -v want=" $shown " 'index(want, " " $1 " ") {s = s (s ? ", " : "") $1 " " $2} END {print s}'))"
}

# pyHanko and friends: peer validator and fixture producer (tests/, scripts/bench.sh).
ensure_venv "$REPO/.venv" "$REPO/scripts/requirements-test.txt" 3.10 pyhanko \
  'pyhanko, pyhanko.cli, reportlab, pyhanko.sign.validation' 'pyHanko reportlab pyhanko-cli'
# schemathesis and openapi-spec-validator: docs/exchange-api.yaml (scripts/check-api.sh).
ensure_venv "$REPO/.venv-api" "$REPO/scripts/requirements-api.txt" 3.11 'st openapi-spec-validator' \
  'schemathesis, openapi_spec_validator, hypothesis' 'schemathesis openapi-spec-validator'
