#!/usr/bin/env bash
# Debian packages the project needs besides Python: git (for `git:` repositories) and ripgrep
# (the search benchmark's anchor).
set -euo pipefail
if command -v rg >/dev/null 2>&1 && command -v git >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq git ripgrep >/dev/null
else
  echo "git or ripgrep (rg) is missing and apt-get is not available: install them by hand." >&2
fi
