#!/usr/bin/env bash
# Issue 12: critical-path scheduling weighted by the run history, on the
# `critical` shape (a chain of 10 slow jobs beside N short ones) at -j2.
# A first run records the durations; the outputs are deleted (the history
# in .flowmake/ stays) and the second run is timed, then the same with the
# ready jobs in FIFO order (FLOWMAKE_SCHEDULE=fifo) and with the path
# counted in jobs (unweighted). The lower bound is max(chain, work / 2)
# from the job durations each run recorded (--stats). Goal: the weighted
# run within 1.10 x the bound; FIFO measurably worse.
# SLEEP (seconds of a slow job, 1) and N (short jobs, 40) steer it.
source "$(dirname "$0")/lib.sh"
sleep=${SLEEP:-1}
n=${N:-40}
gen "$work/c" -shape critical -n "$n" -sleep "$sleep" >/dev/null
cd "$work/c"
clean() { rm -rf fast slow all.txt stats.json; }

# timed_run ORDER: wall seconds of one -j2 run, and its lower bound.
timed_run() {
  clean
  local t
  t=$(FLOWMAKE_SCHEDULE=$1 wall "$fm" -j2 -q --stats stats.json)
  lb=$(jq '([.jobs[] | select(.rule == "slow0" or .rule == "slow" or .rule == "all") | .wall_seconds] | add) as $chain
           | ([.jobs[].wall_seconds] | add / 2) as $half | [$chain, $half] | max' stats.json)
  printf '%s %s\n' "$t" "$lb"
}

"$fm" -j2 -q # the history the weighted order learns from
printf 'critical shape: 10 x %g s chain beside %d x %g s jobs, -j2\n' "$sleep" "$n" "$(calc "$sleep / 4")"
printf '%-12s %10s %13s %8s\n' order makespan 'lower bound' ratio
for order in critical fifo unweighted; do
  read -r t lb < <(timed_run "$order")
  printf '%-12s %8.2f s %10.2f s %8.3f\n' "$order" "$t" "$lb" "$(calc "$t / $lb")"
done
