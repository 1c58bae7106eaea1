#!/usr/bin/env bash
# The test command: sets up a fresh machine, checks formatting and vet, and
# runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="/usr/local/go/bin:$PATH"
# Debian's golang-go may be older than go.mod asks; the module proxy serves
# the toolchain go.mod names.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
go test -race -count=1 "$@" ./...
