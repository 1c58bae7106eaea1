# Shared helpers for the benchmark scripts. Source it.
set -euo pipefail
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="/usr/local/go/bin:$PATH"
work=$(mktemp -d /tmp/flowmake-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
fm="$work/flowmake"
(cd "$root" && go build -o "$fm" ./cmd/flowmake)

# gen DIR ARGS...: write a generated workflow (Rulefile, Makefile, Snakefile).
gen() { local dir=$1; shift; (cd "$root" && go run ./bench/gen -dir "$dir" "$@"); }

# timed LABEL CMD...: run CMD, print wall seconds and peak RSS.
timed() {
  local label=$1; shift
  local out
  out=$( { /usr/bin/time -f '%e %M' "$@" >/dev/null 2>"$work/err"; } 2>&1 ) || { cat "$work/err" >&2; return 1; }
  out=$(tail -1 "$work/err")
  printf '%-40s %8.2f s %8d MB\n' "$label" "${out% *}" "$(( ${out#* } / 1024 ))"
}

# wall CMD...: wall seconds of CMD, to stdout.
wall() {
  local s e
  s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
  calc "$e - $s"
}

# calc EXPR: floating-point arithmetic without bc.
calc() { awk "BEGIN { print $* }"; }
