#!/usr/bin/env bash
# Records the conformance suite's expectations from Snakemake 7.21: plays
# every case under testdata/conformance (or the case directories given) with
# snakemake and writes each case's expected.yaml. Not part of CI; run it
# after adding or changing a case, and review the diff of expected.yaml.
#
#   scripts/record-conformance.sh [-j N] [-v] [testdata/conformance/NNN-name ...]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

if ! command -v snakemake >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "record-conformance: installing snakemake" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq snakemake >/dev/null
fi
version=$(snakemake --version)
case "$version" in
  7.21.*) ;;
  *) echo "record-conformance: snakemake $version; the suite is defined against 7.21" >&2 ;;
esac

go run ./internal/conformance/record "$@"
