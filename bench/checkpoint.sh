#!/usr/bin/env bash
# What a checkpoint's re-resolution adds to a run (issue 12: under 1 s
# after a 10,000-item checkpoint). On bench/gen's checkpoint shape (split
# writes N files into items/, one item job per file, an aggregate that
# globs checkpoint_output) flowmake runs with --stats, and from the
# per-job start and end times it prints:
#   gap       the checkpoint job's end to the first item job's start: the
#             re-resolution as the run sees it
#   overhead  wall minus the jobs' own wall, at -j1 (J), and CPU time
#             (user+sys, jobs included), each beside the same for the fan
#             shape of N jobs: what the checkpoint adds beyond a graph known
#             from the start is the difference. On a loaded machine the wall
#             figures mostly measure the neighbours; CPU time does not.
# Sizes above FULL_MAX (10000) are interrupted once items run: gap only.
# SNAKEMAKE=1 runs Snakemake on the same Snakefile too (LIMIT seconds,
# 600; killed 10 s after, as it may go on computing after SIGTERM), its gap
# from its log.
# Usage: bench/checkpoint.sh   (SIZES="1000 10000 100000" J=1 SNAKEMAKE=0)
source "$(dirname "$0")/lib.sh"
sizes=${SIZES:-1000 10000 100000}
j=${J:-1}
full_max=${FULL_MAX:-10000}
limit=${LIMIT:-600}
py=$(command -v /usr/bin/python3 || command -v python3)

# stats FILE: gap, wall and the jobs' summed wall of a --stats file.
stats() {
  "$py" - "$1" <<'EOF'
import json, sys
from datetime import datetime
def ts(s):  # RFC 3339 with nanoseconds; fromisoformat takes microseconds
    s = s.rstrip("Z")
    if "." in s:
        a, b = s.split(".")
        s = a + "." + b[:6]
    return datetime.fromisoformat(s).timestamp()
d = json.load(open(sys.argv[1]))
jobs = d["jobs"]
ck = [x for x in jobs if x["rule"] == "split"]
items = [x for x in jobs if x["rule"] == "item"]
gap = min(ts(x["start"]) for x in items) - ts(ck[0]["end"]) if ck and items else float("nan")
print("%.3f %.3f %.3f %d" % (gap, d["wall_seconds"], sum(x["wall_seconds"] for x in jobs), len(jobs)))
EOF
}

# snakegap LOG: the time from "Finished job" of the checkpoint to the first
# item's "rule item:" in a Snakemake log whose lines carry time stamps.
snakegap() {
  "$py" - "$1" <<'EOF'
import re, sys
end = first = None; ck = None; cur = None
for line in open(sys.argv[1]):
    t, _, l = line.rstrip("\n").partition(" ")
    t, l = float(t), l.strip()
    m = re.match(r"(checkpoint|rule) (\w+):", l)
    if m:
        cur = (m.group(2), t)
        if m.group(2) == "item" and first is None:
            first = t
        continue
    m = re.match(r"jobid: (\d+)", l)
    if m and cur and cur[0] == "split":
        ck = m.group(1)
    m = re.match(r"Finished job (\d+)\.", l)
    if m and m.group(1) == ck:
        end = t
print("%.3f" % (first - end) if end and first else "n/a")
EOF
}

printf '| N | flowmake gap (s) | wall (s) | CPU (s) | RSS (MB) | overhead (s) | fan wall (s) | fan CPU (s) | fan overhead (s) |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for n in $sizes; do
  d="$work/ck$n"
  gen "$d" -shape checkpoint -n "$n" >/dev/null
  if (( n > full_max )); then
    # Interrupted once items have run: the stats file holds the gap.
    (cd "$d" && exec "$fm" -j2 -q --stats "$work/s.json" >/dev/null 2>&1) &
    pid=$!
    until [[ -n $(ls "$d/done" 2>/dev/null | head -1) ]] || ! kill -0 $pid 2>/dev/null; do sleep 0.2; done
    sleep 1
    kill -INT $pid 2>/dev/null || true
    wait $pid || true
    read -r gap _ <<<"$(stats "$work/s.json")"
    printf '| %s | %s | (interrupted) | | | | | | |\n' "$n" "$gap"
    continue
  fi
  out=$( { cd "$d" && /usr/bin/time -f '%e %U %S %M' "$fm" -j"$j" -q --stats "$work/s.json" >/dev/null 2>"$work/err"; } 2>&1; tail -1 "$work/err")
  read -r _ usr sys rss <<<"$(tail -1 <<<"$out")"
  read -r gap wall jobs _ <<<"$(stats "$work/s.json")"
  f="$work/fan$n"
  gen "$f" -shape fan -n "$n" >/dev/null
  out=$( { cd "$f" && /usr/bin/time -f '%e %U %S %M' "$fm" -j"$j" -q --stats "$work/f.json" >/dev/null 2>"$work/err"; } 2>&1; tail -1 "$work/err")
  read -r _ fusr fsys _ <<<"$(tail -1 <<<"$out")"
  read -r _ fwall fjobs _ <<<"$(stats "$work/f.json")"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$gap" "$wall" "$(calc "$usr + $sys")" "$((rss / 1024))" \
    "$(calc "$wall - $jobs")" "$fwall" "$(calc "$fusr + $fsys")" "$(calc "$fwall - $fjobs")"
done

if [[ ${SNAKEMAKE:-0} == 1 ]]; then
  printf '\n| N | Snakemake gap (s) | wall (s) |\n| --- | --- | --- |\n'
  for n in $sizes; do
    d="$work/sm$n"
    gen "$d" -shape checkpoint -n "$n" >/dev/null
    s=$(date +%s.%N)
    (cd "$d" && timeout -k 10 "$limit" snakemake -c"$j" 2>&1 | "$py" -uc '
import sys, time
for l in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time(), l))' >"$work/sm.log") || true
    e=$(date +%s.%N)
    if grep -q 'steps (100%) done' "$work/sm.log"; then w=$(calc "$e - $s"); else w="> $limit"; fi
    printf '| %s | %s | %s |\n' "$n" "$(snakegap "$work/sm.log")" "$w"
  done
fi
