#!/usr/bin/env bash
# The installers as a user's machine gets them: the .deb unpacked (dpkg -x) into a temporary
# root, its files and declared dependencies checked (every library its binaries load comes
# from a package it depends on, directly or not), the `kyso` command run and the app started
# from there under Xvfb; the .rpm's files and requirements listed and checked.
#
#   scripts/test-package.sh            bundles the debug build first (scripts/package.sh debug)
#   scripts/test-package.sh DEB RPM    checks these
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -eq 2 ]; then
  DEB="$1"; RPM="$2"
else
  mapfile -t made < <("$REPO/scripts/package.sh" debug)
  DEB="${made[0]}"; RPM="${made[1]}"
fi
fail() { echo "package: $*" >&2; exit 1; }
ROOT="$(mktemp -d)"
trap 'rm -rf "$ROOT"' EXIT

# ---- the .deb ---------------------------------------------------------------------------
dpkg -x "$DEB" "$ROOT"
for f in usr/bin/kyso-desktop usr/bin/kyso usr/share/applications/Kyso.desktop \
         usr/share/icons/hicolor/32x32/apps/kyso-desktop.png \
         usr/share/icons/hicolor/128x128/apps/kyso-desktop.png; do
  [ -e "$ROOT/$f" ] || fail "$DEB has no /$f"
done
entry="$ROOT/usr/share/applications/Kyso.desktop"
for line in "Exec=kyso-desktop" "Icon=kyso-desktop" "Name[vi]=Kyso — Ký số" "Type=Application"; do
  grep -qxF "$line" "$entry" || fail "the desktop entry lacks \"$line\": $(cat "$entry")"
done

depends="$(dpkg-deb -f "$DEB" Depends)"
for pkg in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1 libdbus-1-3; do
  grep -qw -- "$pkg" <<<"$depends" || fail "Depends lacks $pkg: $depends"
done

# Every library the binaries load is found, and comes from a package the .deb depends on
# (or from one of theirs, or from the C library every system has).
closure="$(apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances $(tr ',|' '  ' <<<"$depends") 2>/dev/null \
  | grep -v '^ ' | sed 's/:.*//' | sort -u)"
for bin in usr/bin/kyso-desktop usr/bin/kyso; do
  libs="$(ldd "$ROOT/$bin")"
  ! grep -q "not found" <<<"$libs" || fail "$bin: $(grep 'not found' <<<"$libs")"
  while read -r lib; do
    owner="$(dpkg -S "$lib" 2>/dev/null | head -n 1 | cut -d: -f1)" || true
    [ -n "$owner" ] || continue
    case "$owner" in libc6|libgcc-s1) continue ;; esac
    grep -qx -- "$owner" <<<"$closure" || fail "$bin loads $lib from $owner, which the .deb does not depend on"
  done < <(awk '/=> \// {print $3}' <<<"$libs")
done

"$ROOT/usr/bin/kyso" --version >/dev/null || fail "kyso --version failed"
"$ROOT/usr/bin/kyso" --help | grep -q "Ký số" || fail "kyso --help has no Vietnamese line"
# The app from the unpacked root, under Xvfb: its window opens and paints.
"$REPO/scripts/desktop-smoke.sh" "$ROOT/usr/bin/kyso-desktop" "$REPO/target/package-smoke.png"

# ---- the .rpm ---------------------------------------------------------------------------
if command -v rpm >/dev/null; then
  listed="$(rpm -qpl "$RPM" 2>/dev/null)"
  for f in /usr/bin/kyso-desktop /usr/bin/kyso /usr/share/applications/Kyso.desktop; do
    grep -qxF "$f" <<<"$listed" || fail "$RPM has no $f"
  done
  requires="$(rpm -qp --requires "$RPM" 2>/dev/null)"
  for req in "libwebkit2gtk-4.1.so.0" "libgtk-3.so.0" "libayatana-appindicator-gtk3" "dbus-libs"; do
    grep -qF "$req" <<<"$requires" || fail "$RPM does not require $req"
  done
else
  fail "rpm is missing (apt: rpm): the .rpm cannot be checked"
fi
echo "package: OK — $(basename "$DEB") ($(du -h "$DEB" | cut -f1)), $(basename "$RPM") ($(du -h "$RPM" | cut -f1))"
