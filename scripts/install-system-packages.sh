#!/usr/bin/env bash
# Debian packages the project needs besides Python: git (for `git:` repositories), ripgrep
# (the search benchmark's anchor), OpenSSH (ssh for `git:` over ssh; its server for the
# tests that clone over ssh from 127.0.0.1), and headless Chromium with its WebDriver (the
# dashboard's browser tests, driven by Selenium).
set -euo pipefail
if command -v rg >/dev/null 2>&1 && command -v git >/dev/null 2>&1 \
  && command -v ssh >/dev/null 2>&1 && [ -x /usr/sbin/sshd ] \
  && command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq git ripgrep openssh-client \
    openssh-server chromium chromium-driver >/dev/null
else
  echo "git, ripgrep (rg), OpenSSH or Chromium is missing and apt-get is not available: install them by hand." >&2
fi
