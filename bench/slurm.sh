#!/usr/bin/env bash
# Issue 9: --executor slurm on the local cluster (bash scripts/local-slurm.sh
# start), one sbatch per job against job arrays (--slurm-array-size):
#  - a one-job run: the end-to-end cost of one job, submit to outputs verified
#  - a fan of FAN trivial jobs (default 50) at -j FAN: wall per job, and the
#    sbatch and squeue calls (counted by shims that call the real commands)
#  - the time to submit SUBMIT jobs (default 1,000) at -j SUBMIT: the jobs
#    sleep, the run is interrupted once all are in the queue (it scancels
#    them), so the cluster is not held for long
# Each figure is the best of REPS runs (default 3).
source "$(dirname "$0")/lib.sh"
command -v sbatch >/dev/null && scontrol ping 2>/dev/null | grep -q 'is UP' ||
  { echo "bench/slurm.sh: no SLURM cluster; start one with: bash scripts/local-slurm.sh start" >&2; exit 1; }
fan=${FAN:-50} submit=${SUBMIT:-1000} reps=${REPS:-3} arraysize=${ARRAY:-1000}

# Shims log each sbatch (with its task count) and squeue call, and when
# an sbatch returned.
mkdir -p "$work/bin"
for name in sbatch squeue; do
  real=$(command -v $name)
  cat > "$work/bin/$name" <<EOF
#!/bin/bash
"$real" "\$@"; rc=\$?
n=1; for a in "\$@"; do case \$a in --array=0-*) n=\$(( \${a#--array=0-} + 1 )) ;; esac; done
echo "$name \$n \$(date +%s.%N)" >> "\$SHIM_LOG"
exit \$rc
EOF
  chmod +x "$work/bin/$name"
done
export PATH="$work/bin:$PATH" SHIM_LOG="$work/calls.log"

workflow() { # DIR N CMD
  mkdir -p "$1"
  cat > "$1/Rulefile" <<EOF
rule "all" {
  input = expand("fan/{i}.txt", { i = range($2) })
}
rule "fan" {
  output = "fan/{i}.txt"
  shell  = "$3"
}
EOF
}
calls() { grep -c "^$1 " "$SHIM_LOG" || true; }

# best MODE N: the best wall time of REPS runs of an N-job fan.
best() {
  local size=$1 n=$2 b=
  for _ in $(seq "$reps"); do
    workflow "$work/fan" "$n" 'echo ${wildcards.i} > ${output}'
    rm -rf "$work/fan/fan" "$work/fan/.flowmake" "$SHIM_LOG"
    local w; w=$(cd "$work/fan" && wall "$fm" --executor slurm -j "$n" --slurm-array-size "$size" -q)
    [ -e "$work/fan/fan/$(( n - 1 )).txt" ] || { echo "bench/slurm.sh: the run failed" >&2; exit 1; }
    if [ -z "$b" ] || awk "BEGIN { exit !($w < $b) }"; then b=$w; fi
  done
  echo "$b"
}

for mode in single array; do
  size=0; [ $mode = array ] && size=$arraysize
  one=$(best $size 1)
  all=$(best $size "$fan")
  printf '%-6s  1 job: %.2f s   %d jobs: %.2f s (%.0f ms/job), %d sbatch, %d squeue calls\n' "$mode" \
    "$one" "$fan" "$all" "$(calc "$all * 1000 / $fan")" "$(calls sbatch)" "$(calls squeue)"
done

# Submission of SUBMIT sleeping jobs: from flowmake's start to the return
# of the sbatch that put the last of them in the queue.
for mode in single array; do
  size=0; [ $mode = array ] && size=$arraysize
  workflow "$work/sub" "$submit" 'sleep 600; echo > ${output}'
  rm -rf "$work/sub/fan" "$work/sub/.flowmake" "$SHIM_LOG"
  touch "$SHIM_LOG"
  start=$(date +%s.%N)
  (cd "$work/sub" && exec "$fm" --executor slurm -j "$submit" --slurm-array-size "$size" -q >/dev/null 2>&1) &
  pid=$!
  until [ "$(awk '$1 == "sbatch" { n += $2 } END { print n + 0 }' "$SHIM_LOG")" -ge "$submit" ]; do
    kill -0 $pid 2>/dev/null || { echo "bench/slurm.sh: flowmake ended before submitting $submit jobs" >&2; exit 1; }
    sleep 0.05
  done
  last=$(awk '$1 == "sbatch" { t = $3 } END { print t }' "$SHIM_LOG")
  kill -INT $pid; wait $pid || true
  printf '%-6s  submitting %d jobs: %.2f s, %d sbatch calls\n' $mode "$submit" "$(calc "$last - $start")" "$(calls sbatch)"
done
