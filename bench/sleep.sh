#!/usr/bin/env bash
# Issues 3 and 12: 16 `sleep 1` jobs at -j4 and -j8; makespan (the whole
# run's wall time, from a fresh .flowmake/) over the ideal 16/j seconds,
# the median of REPS (3) runs, beside make. Goal: <= 1.03 at -j8.
source "$(dirname "$0")/lib.sh"
gen "$work/s" -samples 16 -stages 1 -sleep 1 >/dev/null
cd "$work/s"
reps=${REPS:-3}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for j in 4 8; do
  ideal=$(calc "16 / $j")
  fms=() mks=()
  for ((i = 0; i < reps; i++)); do
    rm -rf s1 .flowmake
    fms+=("$(wall "$fm" -j$j -q)")
    rm -rf s1
    mks+=("$(wall make -j$j)")
  done
  t=$(median "${fms[@]}")
  printf 'flowmake -j%d: %.2f s, ideal %.2f s, ratio %.3f (runs: %s)\n' "$j" "$t" "$ideal" "$(calc "$t / $ideal")" "${fms[*]}"
  t=$(median "${mks[@]}")
  printf 'make     -j%d: %.2f s, ideal %.2f s, ratio %.3f (runs: %s)\n' "$j" "$t" "$ideal" "$(calc "$t / $ideal")" "${mks[*]}"
done
