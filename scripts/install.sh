#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine: pnpm (the version pinned in package.json),
# the workspace packages, and Debian's Chromium for browser tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  npm install -g "pnpm@$want" >/dev/null
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium (Debian package) for browser tests"
  if [ "$(id -u)" = 0 ]; then apt_get() { apt-get "$@"; }; else apt_get() { sudo apt-get "$@"; }; fi
  apt_get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq chromium >/dev/null
fi
if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile
else
  pnpm install
fi
