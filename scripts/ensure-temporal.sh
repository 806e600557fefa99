#!/usr/bin/env bash
# Prints the path of a Temporal CLI: `temporal` on PATH when present, else one
# built from source into .tools/bin. Progress goes to stderr, the path to stdout.
set -euo pipefail

TEMPORAL_CLI_VERSION=v1.5.1   # ships Temporal Server 1.29.1; v1.6.0+ has a go.mod replace that `go install` refuses
root="$(cd "$(dirname "$0")/.." && pwd)"
bin_dir="$root/.tools/bin"
stamp="$bin_dir/.temporal-version"

if command -v temporal >/dev/null 2>&1; then
  command -v temporal
  exit 0
fi
if [[ -x "$bin_dir/temporal" && "$(cat "$stamp" 2>/dev/null)" == "$TEMPORAL_CLI_VERSION" ]]; then
  echo "$bin_dir/temporal"
  exit 0
fi

go_bin="$(command -v go || true)"
[[ -z "$go_bin" && -x /usr/local/go/bin/go ]] && go_bin=/usr/local/go/bin/go
if [[ -z "$go_bin" ]]; then
  echo "error: the Temporal CLI is not on PATH and Go is not installed (looked on PATH and in /usr/local/go/bin)." >&2
  echo "       Install Go 1.25+ or the Temporal CLI, or set TEMPORAL_ADDRESS to use an existing cluster." >&2
  exit 1
fi

mkdir -p "$bin_dir"
echo "building Temporal CLI $TEMPORAL_CLI_VERSION with $("$go_bin" version) into $bin_dir (first build takes minutes; later ones are cached)" >&2
started=$(date +%s)
if ! GOBIN="$bin_dir" GOFLAGS=-mod=mod "$go_bin" install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2; then
  echo "error: 'go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION' failed." >&2
  echo "       Is the Go module proxy reachable? (GOPROXY=$("$go_bin" env GOPROXY))" >&2
  exit 1
fi
echo "$TEMPORAL_CLI_VERSION" > "$stamp"
echo "built $bin_dir/temporal in $(( $(date +%s) - started )) s" >&2
echo "$bin_dir/temporal"
