#!/usr/bin/env bash
# Issue 12: jobs without a shell. 10,000 trivial jobs whose commands have
# no shell syntax (5,000 x `touch s1/N.txt`, then `cp s1/N.txt s2/N.txt`)
# at -j2: flowmake exec'ing them directly against the same tree built with
# the direct path off (every command under bash -euo pipefail -c), beside
# GNU make (which execs such commands directly too) on the same graph.
# Alternating, ROUNDS rounds (3); wall, user and sys CPU (of flowmake and
# all its jobs) and peak RSS per run, then the medians.
source "$(dirname "$0")/lib.sh"
n=${N:-5000}
rounds=${ROUNDS:-3}
fmbash="$work/flowmake-bash"
(cd "$root" && go build -ldflags "-X github.com/flowmake/flowmake/exec.directExec=off" -o "$fmbash" ./cmd/flowmake)

d="$work/wf"
mkdir -p "$d"
cd "$d"
cat > Rulefile <<EOF
config {
  n = $n
}

rule "all" {
  input = expand("s2/{s}.txt", { s = [for i in range(config.n) : tostring(i)] })
}

rule "s1" {
  output = "s1/{s}.txt"
  shell  = "touch \${output}"
}

rule "s2" {
  input  = "s1/{s}.txt"
  output = "s2/{s}.txt"
  shell  = "cp \${input} \${output}"
}
EOF
{
  printf 'all:'
  for ((i = 0; i < n; i++)); do printf ' s2/%d.txt' "$i"; done
  printf '\n.PHONY: all\n\ns1/%%.txt:\n\t@touch $@\n\ns2/%%.txt: s1/%%.txt\n\t@cp $< $@\n\n.SECONDARY:\n'
} > Makefile
jobs=$(( n * 2 ))

# one LABEL CMD...: a clean full run; appends "wall user sys rss" to $work/LABEL.
one() {
  local label=$1; shift
  rm -rf s1 s2 .flowmake; mkdir -p s1 s2 # make's recipes do not make directories
  /usr/bin/time -o "$work/t" -f '%e %U %S %M' "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  [[ $(ls s2 | wc -l) == "$n" ]] || { echo "$label: not all outputs written" >&2; exit 1; }
  tail -1 "$work/t" >> "$work/$label"
  read -r w u s m < <(tail -1 "$work/t")
  printf '  %-9s wall %6.2f s  user %6.2f s  sys %6.2f s  cpu %6.2f s  %6.0f jobs/s  rss %4d MB\n' \
    "$label" "$w" "$u" "$s" "$(calc "$u + $s")" "$(calc "$jobs / $w")" "$(( m / 1024 ))"
}
for ((r = 1; r <= rounds; r++)); do
  echo "round $r ($jobs jobs, -j2)"
  if (( r % 2 )); then
    one bash "$fmbash" -j2 -q; one direct "$fm" -j2 -q; one make make -j2
  else
    one make make -j2; one direct "$fm" -j2 -q; one bash "$fmbash" -j2 -q
  fi
done

# median COL FILE: the median of a column (1 wall, 2 user, 3 sys, 5 user+sys).
median() {
  awk -v c="$1" '{ v = (c == 5) ? $2 + $3 : $c; print v }' "$2" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
echo "median of $rounds"
for label in bash direct make; do
  printf '  %-9s wall %6.2f s  cpu %6.2f s  (user %.2f, sys %.2f)  %6.0f jobs/s\n' "$label" \
    "$(median 1 "$work/$label")" "$(median 5 "$work/$label")" "$(median 2 "$work/$label")" "$(median 3 "$work/$label")" \
    "$(calc "$jobs / $(median 1 "$work/$label")")"
done
b=$(median 5 "$work/bash"); dct=$(median 5 "$work/direct"); bw=$(median 1 "$work/bash"); dw=$(median 1 "$work/direct")
printf 'direct vs bash: cpu %+.1f%%, wall %+.1f%%\n' "$(calc "($dct - $b) * 100 / $b")" "$(calc "($dw - $bw) * 100 / $bw")"
