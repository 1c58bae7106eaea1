#!/usr/bin/env bash
# Issue 2: time and peak memory of `flowmake -n` (and --dag) on a generated
# 100,000-job workflow (3 chained rules x 33,333 samples + all). With
# snakemake installed, its dry run on a 10,000-job version for comparison.
source "$(dirname "$0")/lib.sh"
gen "$work/w100k" -samples 33333 -stages 3 >/dev/null
cd "$work/w100k"
for i in 1 2 3; do timed "flowmake -n (100k jobs) run $i" "$fm" -n; done
timed "flowmake --dag (100k jobs)" "$fm" --dag
gen "$work/w10k" -samples 3333 -stages 3 >/dev/null
cd "$work/w10k"
timed "flowmake -n (10k jobs)" "$fm" -n
if command -v snakemake >/dev/null; then
  timed "snakemake -n (10k jobs)" snakemake -n -c1 --quiet
fi
