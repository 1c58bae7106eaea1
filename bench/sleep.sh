#!/usr/bin/env bash
# Issue 3: 16 `sleep 1` jobs at -j4 and -j8; makespan over the ideal
# (16/j seconds). Goal: <= 1.05.
source "$(dirname "$0")/lib.sh"
gen "$work/s" -samples 16 -stages 1 -sleep 1 >/dev/null
cd "$work/s"
for j in 4 8; do
  rm -rf s1 .flowmake
  t=$(wall "$fm" -j$j -q)
  ideal=$(calc "16 / $j")
  printf 'flowmake -j%d: %.2f s, ideal %.2f s, ratio %.3f\n' "$j" "$t" "$ideal" "$(calc "$t / $ideal")"
  rm -rf s1
  t=$(wall make -j$j)
  printf 'make     -j%d: %.2f s, ideal %.2f s, ratio %.3f\n' "$j" "$t" "$ideal" "$(calc "$t / $ideal")"
done
