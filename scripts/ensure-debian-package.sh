#!/usr/bin/env bash
# Usage: ensure-debian-package.sh COMMAND PACKAGE
# Makes sure COMMAND is on PATH, installing Debian's PACKAGE with apt-get when it is missing.
# Quiet and idempotent: does nothing when the command is already there. Installing needs root
# (or passwordless sudo) and apt-get; elsewhere it says what is missing and exits 0, so the rest
# of the suite still runs (the test that needs the command then fails, naming it).
set -euo pipefail

command=$1 package=$2
export PATH="$PATH:/usr/sbin:/sbin"
command -v "$command" >/dev/null 2>&1 && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: $command is not installed and apt-get is not available; install $package by hand" >&2
  exit 0
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "warning: $command is not installed and installing it needs root; run: apt-get install $package" >&2
    exit 0
  fi
fi

echo "installing $package (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# apt's chatter is kept out of `make test`'s output unless something goes wrong.
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$package"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "error: could not install $package with apt-get" >&2
  exit 1
fi
command -v "$command" >/dev/null 2>&1 || { echo "error: $package installed but $command is not on PATH" >&2; exit 1; }
