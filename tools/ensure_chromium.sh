#!/usr/bin/env bash
# Make sure a Chromium for tools/check_pages.py is installed (Debian's `chromium` package).
# As root with apt-get (CI, a fresh container) it installs it; otherwise it says what to do.
# $CHROMIUM may name another Chrome/Chromium binary instead.
set -euo pipefail
if [[ -n "${CHROMIUM:-}" ]]; then
  [[ -x "$CHROMIUM" ]] || { echo "error: CHROMIUM=$CHROMIUM is not an executable" >&2; exit 1; }
  exit 0
fi
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the page check (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  command -v chromium >/dev/null 2>&1 && exit 0
fi
cat >&2 <<'MSG'
error: the page check (make check-book, part of make test) needs Chromium, and none was found.
  Debian/Ubuntu: sudo apt-get install -y chromium fonts-dejavu-core
  elsewhere:     install Chrome or Chromium and set CHROMIUM=/path/to/the/binary
(Playwright's own browser download is not used and need not work.)
MSG
exit 1
