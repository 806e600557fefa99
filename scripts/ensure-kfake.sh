#!/usr/bin/env bash
# Prints the path of a kfake binary (franz-go's in-memory fake Kafka broker,
# see tools/kfake), building it into .tools/bin when missing or when the kfake
# version pinned in tools/kfake/go.mod changes. Progress goes to stderr, the
# path to stdout.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/tools/kfake"
bin_dir="$root/.tools/bin"
bin="$bin_dir/kfake"
stamp="$bin_dir/.kfake-version"

kfake_version="$(awk '$1 == "github.com/twmb/franz-go/pkg/kfake" { print $2 } $2 == "github.com/twmb/franz-go/pkg/kfake" { print $3 }' "$src/go.mod" | head -n1)"
if [[ -z "$kfake_version" ]]; then
  echo "error: could not find the github.com/twmb/franz-go/pkg/kfake requirement in $src/go.mod" >&2
  exit 1
fi

# Up to date: same pinned version, and no source file edited since the build.
if [[ -x "$bin" && "$(cat "$stamp" 2>/dev/null)" == "$kfake_version" \
      && ! "$src/main.go" -nt "$bin" && ! "$src/go.mod" -nt "$bin" && ! "$src/go.sum" -nt "$bin" ]]; then
  echo "$bin"
  exit 0
fi

go_bin="$(command -v go || true)"
[[ -z "$go_bin" && -x /usr/local/go/bin/go ]] && go_bin=/usr/local/go/bin/go
if [[ -z "$go_bin" ]]; then
  echo "error: kfake must be built from tools/kfake but Go is not installed (looked on PATH and in /usr/local/go/bin)." >&2
  echo "       Install Go 1.26+ (tools/kfake/go.mod asks for it), or point the tests at an existing Kafka broker." >&2
  exit 1
fi

mkdir -p "$bin_dir"
echo "building kfake $kfake_version with $("$go_bin" version) into $bin_dir" >&2
started=$(date +%s)
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
if ! (cd "$src" && GOFLAGS=-mod=mod "$go_bin" build -trimpath -o "$tmp" .) >&2; then
  echo "error: 'go build' in $src failed." >&2
  echo "       Is the Go module proxy reachable? (GOPROXY=$("$go_bin" env GOPROXY))" >&2
  exit 1
fi
mv -f "$tmp" "$bin"   # atomic, so concurrent callers never run a half-written binary
echo "$kfake_version" > "$stamp"
echo "built $bin in $(( $(date +%s) - started )) s" >&2
echo "$bin"
