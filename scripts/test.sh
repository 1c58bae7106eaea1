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

# The SLURM integration tests (cmd/flowmake/slurm_test.go) need the local
# single-node cluster; start it for the tests and stop it afterwards, unless it
# was already up. Where it cannot start (not root, no apt) the tests skip,
# except under CI (CI set), where that is an error. FLOWMAKE_SLURM=0 skips it.
if [ "${FLOWMAKE_SLURM:-1}" != 0 ]; then
  if bash scripts/local-slurm.sh status >/dev/null 2>&1; then
    echo "test: local SLURM cluster already up; leaving it running" >&2
  elif bash scripts/local-slurm.sh start >/tmp/flowmake-local-slurm.log 2>&1; then
    trap 'bash scripts/local-slurm.sh stop >/dev/null 2>&1 || true' EXIT
  elif [ -n "${CI:-}" ]; then
    cat /tmp/flowmake-local-slurm.log >&2
    echo "test: the local SLURM cluster did not start (CI is set, so this fails)" >&2
    exit 1
  else
    tail -n 5 /tmp/flowmake-local-slurm.log >&2
    echo "test: warning: no local SLURM cluster; the SLURM tests will skip" >&2
  fi
fi
go test -race -count=1 "$@" ./...
