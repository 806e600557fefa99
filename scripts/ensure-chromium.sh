#!/usr/bin/env bash
# Makes sure Debian's `chromium` is installed, for the dashboard's browser test (playwright-core
# drives it; npm's browser downloads cannot reach their hosts from a closed network). See
# ensure-debian-package.sh for what happens without root or apt-get.
exec "$(dirname "$0")/ensure-debian-package.sh" chromium chromium
