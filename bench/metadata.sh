#!/usr/bin/env bash
# Issue 4: what the metadata store adds to a no-op run of a 10,000-job
# workflow: the same up-to-date tree with its metadata (10,000 records
# read and checked) and without any (.flowmake removed, timestamps only).
# Goal: under 10%.
source "$(dirname "$0")/lib.sh"
gen "$work/m" -samples 3333 -stages 3 >/dev/null
cd "$work/m"
"$fm" -j2 -q >/dev/null 2>&1
cp -a .flowmake "$work/meta-saved"
with=(); without=()
for i in 1 2 3 4 5; do
  rm -rf .flowmake; cp -a "$work/meta-saved" .flowmake
  with+=("$(wall "$fm" -j2)")
  rm -rf .flowmake
  without+=("$(wall "$fm" -j2)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
w=$(median "${with[@]}"); wo=$(median "${without[@]}")
printf 'no-op, 10,000 jobs: with metadata %.3f s, without %.3f s (median of 5): +%.1f%%\n' "$w" "$wo" "$(calc "($w - $wo) * 100 / $wo")"
