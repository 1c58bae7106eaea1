#!/usr/bin/env bash
# Builds and installs flowmake, then runs an example: the pea soup (the
# default), or with `cosmic` the cosmic-web movie (examples/cosmic).
set -euo pipefail
cd "$(dirname "$0")/.."
example="${1:-peasoup}"
case "$example" in
  peasoup | cosmic) ;;
  *) echo "usage: bash scripts/demo.sh [peasoup|cosmic]" >&2; exit 2 ;;
esac
bash scripts/setup.sh
export PATH="/usr/local/go/bin:$PATH"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
go install ./cmd/flowmake
bin="$(go env GOPATH)/bin/flowmake"
if [ "$example" = peasoup ]; then
  "$bin" -C examples/peasoup -j4
  cat examples/peasoup/pea-soup.txt
  exit 0
fi
# flowmake runs `python3`; Debian's numpy, scipy and matplotlib belong to
# /usr/bin/python3, which a pyenv or virtualenv python3 on PATH may hide.
if ! python3 -c 'import numpy, scipy.spatial, matplotlib' 2>/dev/null; then
  shim="$(mktemp -d)"
  trap 'rm -rf "$shim"' EXIT
  ln -s /usr/bin/python3 "$shim/python3"
  export PATH="$shim:$PATH"
fi
"$bin" -C examples/cosmic -j4
echo "demo: the movie is examples/cosmic/movie.gif"
