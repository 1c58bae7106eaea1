#!/usr/bin/env bash
# Builds and installs flowmake, then cooks the pea soup example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="/usr/local/go/bin:$PATH"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
go install ./cmd/flowmake
bin="$(go env GOPATH)/bin/flowmake"
"$bin" -C examples/peasoup -j4
cat examples/peasoup/pea-soup.txt
