#!/usr/bin/env bash
# Issue 3: per-job overhead of 10,000 trivial jobs (5,000 samples x 2
# chained rules: echo, then cat) at -j2, beside GNU make on the same graph
# in the same run; snakemake on a 1,000-job version when installed.
source "$(dirname "$0")/lib.sh"
n=${N:-5000}
gen "$work/t" -samples "$n" -stages 2 >/dev/null
cd "$work/t"
jobs=$(( n * 2 ))
run() { rm -rf s1 s2 .flowmake; wall "$@"; }
for i in 1 2 3; do
  f=$(run "$fm" -j2 -q); m=$(run make -j2)
  printf 'run %d: flowmake %.2f s (%.0f us/job), make %.2f s (%.0f us/job), ratio %.2f\n' "$i" \
    "$f" "$(calc "$f * 1000000 / $jobs")" "$m" "$(calc "$m * 1000000 / $jobs")" "$(calc "$f / $m")"
done
rm -rf s1 s2 .flowmake
printf 'no-op after build: '; rm -rf s1 s2; "$fm" -j2 -q >/dev/null 2>&1
printf 'flowmake %.3f s, make %.3f s\n' "$(wall "$fm" -j2)" "$(wall make -j2)"
if command -v snakemake >/dev/null; then
  gen "$work/s" -samples 500 -stages 2 >/dev/null
  cd "$work/s"
  s=$(wall snakemake -c2 --quiet); f=$(run "$fm" -j2 -q)
  printf '1,000 jobs: snakemake %.2f s (%.0f us/job), flowmake %.2f s (%.0f us/job)\n' "$s" "$(calc "$s * 1000")" "$f" "$(calc "$f * 1000")"
fi
