#!/usr/bin/env bash
# Makes sure `nft` (Debian's nftables package) is installed, for the nftables containment
# adapter and its test (see ensure-debian-package.sh for what happens without root or apt-get).
exec "$(dirname "$0")/ensure-debian-package.sh" nft nftables
