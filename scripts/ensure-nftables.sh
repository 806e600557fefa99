#!/usr/bin/env bash
# Makes sure `nft` (Debian's nftables package) is installed, for the nftables containment
# adapter and its test. Quiet and idempotent: does nothing when nft is already on PATH.
# Installing needs root and apt-get; elsewhere it says what is missing and exits 0, so the
# rest of the suite still runs (the nftables test then fails, naming the missing command).
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"
command -v nft >/dev/null 2>&1 && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: nft is not installed and apt-get is not available; install nftables by hand" >&2
  exit 0
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "warning: nft is not installed and installing it needs root; run: apt-get install nftables" >&2
    exit 0
  fi
fi

echo "installing nftables (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# apt's chatter is kept out of `make test`'s output unless something goes wrong.
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends nftables; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "error: could not install nftables with apt-get" >&2
  exit 1
fi
command -v nft >/dev/null 2>&1 || { echo "error: nftables installed but nft is not on PATH" >&2; exit 1; }
