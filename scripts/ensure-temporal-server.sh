#!/usr/bin/env bash
# Builds the real Temporal Server (`temporal-server`) and its SQL schema tool
# (`temporal-sql-tool`) into .tools/bin, for running Temporal on PostgreSQL
# (bench/temporal-servers.ts, kind 'server-postgres'). Skips what is already built.
# Progress goes to stderr; stdout gets two lines: the server path, then the tool path.
# The versioned SQL schema ships inside the server module:
#   $(go env GOMODCACHE)/go.temporal.io/server@$TEMPORAL_SERVER_VERSION/schema/postgresql/v12/{temporal,visibility}/versioned
set -euo pipefail

TEMPORAL_SERVER_VERSION=v1.29.1   # the server the CLI v1.5.1 dev server embeds
root="$(cd "$(dirname "$0")/.." && pwd)"
bin_dir="$root/.tools/bin"
stamp="$bin_dir/.temporal-server-version"

go_bin="$(command -v go || true)"
[[ -z "$go_bin" && -x /usr/local/go/bin/go ]] && go_bin=/usr/local/go/bin/go

if [[ -x "$bin_dir/temporal-server" && -x "$bin_dir/temporal-sql-tool" \
      && "$(cat "$stamp" 2>/dev/null)" == "$TEMPORAL_SERVER_VERSION" ]]; then
  echo "$bin_dir/temporal-server"
  echo "$bin_dir/temporal-sql-tool"
  exit 0
fi

if [[ -z "$go_bin" ]]; then
  echo "error: Go is not installed (looked on PATH and in /usr/local/go/bin); it is needed to build" >&2
  echo "       Temporal Server $TEMPORAL_SERVER_VERSION. Install Go 1.25+, or run Temporal yourself and set TEMPORAL_ADDRESS." >&2
  exit 1
fi

mkdir -p "$bin_dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
echo "building Temporal Server $TEMPORAL_SERVER_VERSION and its SQL tool with $("$go_bin" version) into $bin_dir (first build takes many minutes)" >&2
for pkg in server tools/sql; do
  if ! GOBIN="$work" GOFLAGS=-mod=mod "$go_bin" install "go.temporal.io/server/cmd/$pkg@$TEMPORAL_SERVER_VERSION" >&2; then
    echo "error: 'go install go.temporal.io/server/cmd/$pkg@$TEMPORAL_SERVER_VERSION' failed." >&2
    echo "       Is the Go module proxy reachable? (GOPROXY=$("$go_bin" env GOPROXY))" >&2
    exit 1
  fi
done
# `go install` names binaries after their package folder (server, sql): give them unambiguous names.
mv -f "$work/server" "$bin_dir/temporal-server"
mv -f "$work/sql" "$bin_dir/temporal-sql-tool"
echo "$TEMPORAL_SERVER_VERSION" > "$stamp"
echo "built temporal-server and temporal-sql-tool in $(( $(date +%s) - started )) s" >&2
echo "$bin_dir/temporal-server"
echo "$bin_dir/temporal-sql-tool"
