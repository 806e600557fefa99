#!/usr/bin/env bash
# Makes sure `nats-server` (Debian's nats-server package, with JetStream) is installed: the NATS
# intake tests run one of their own, and `make start` runs one when NATS_URL names this machine
# and nothing answers there (see ensure-debian-package.sh for what happens without root or apt-get).
exec "$(dirname "$0")/ensure-debian-package.sh" nats-server nats-server
