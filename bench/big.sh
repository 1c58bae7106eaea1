#!/usr/bin/env bash
# flowmake beside Ninja on 100,000 and 1,000,000 jobs (issue 12): a dry
# run from scratch, a no-op when everything is up to date, and a rebuild
# after touching the first job's output, on the `fan` and `pipeline`
# shapes. Sizes count jobs: the 1M pipeline is 333,333 samples x 3 stages.
# The up-to-date state is written by `gen -built` (the files a build
# writes and Ninja's .ninja_log) and `flowmake -F --touch` (flowmake's
# metadata), so no tool has to build a million jobs first. Runs alternate
# between the tools; each figure is the median of REPS (3) runs of wall
# seconds, CPU seconds (user+sys) and peak RSS in MB.
#
#   bash bench/big.sh                      # fan and pipeline, 100k and 1M jobs
#   SHAPES=fan SIZES=100000 REPS=5 bash bench/big.sh
#   FULL=1 SIZES=100000 bash bench/big.sh   # and a real full build at -j2 (minutes)
source "$(dirname "$0")/lib.sh"
command -v ninja >/dev/null || { echo "bench: needs ninja (apt-get install ninja-build)" >&2; exit 1; }
gen_bin="$work/gen"
(cd "$root" && go build -o "$gen_bin" ./bench/gen)
shapes=${SHAPES:-fan pipeline}
sizes=${SIZES:-100000 1000000}
reps=${REPS:-3}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# once CMD...: "wall cpu rssMB" of one run.
once() {
  /usr/bin/time -f '%e %U %S %M' "$@" >/dev/null 2>"$work/err" || { tail -3 "$work/err" >&2; exit 1; }
  read -r w u s m < <(tail -1 "$work/err")
  echo "$w $(calc "$u + $s") $((m / 1024))"
}

# row LABEL TOOL RESULTS...: the medians of "wall cpu rss" results.
row() {
  local label=$1 tool=$2 ws=() cs=() ms=() r
  shift 2
  for r in "$@"; do read -r w c m <<<"$r"; ws+=("$w"); cs+=("$c"); ms+=("$m"); done
  printf '| %s | %s | %.2f | %.2f | %d |\n' "$label" "$tool" "$(median "${ws[@]}")" "$(median "${cs[@]}")" "$(median "${ms[@]}")"
}

printf '| graph, step | tool | wall s | CPU s | peak RSS MB |\n|---|---|---|---|---|\n'
for shape in $shapes; do
  for size in $sizes; do
    n=$size
    [ "$shape" = pipeline ] && n=$((size / 3))
    # Each tool its own built tree: --touch gives flowmake's outputs new
    # times, which Ninja's log would then call out of date.
    scratch="$work/$shape-$size-scratch" built="$work/$shape-$size" nbuilt="$work/$shape-$size-ninja"
    jobs=$("$gen_bin" -dir "$scratch" -shape "$shape" -n "$n")
    "$gen_bin" -dir "$built" -shape "$shape" -n "$n" -built >/dev/null
    "$gen_bin" -dir "$nbuilt" -shape "$shape" -n "$n" -built >/dev/null
    label="$shape $jobs jobs"

    cd "$scratch"
    dry=()
    for ((i = 0; i < reps; i++)); do dry+=("$(once "$fm" -q -n)"); done
    row "$label, dry run" flowmake "${dry[@]}"
    if [ "${FULL:-0}" = 1 ]; then
      row "$label, full build of trivial jobs at -j2" flowmake "$(once "$fm" -j2 -q)"
    fi

    cd "$built"
    first=out/0.txt
    [ "$shape" = pipeline ] && first=a/0.txt
    row "$label, --touch (the metadata)" flowmake "$(once "$fm" -q -F --touch)"
    fnoop=() nnoop=() fincr=() nincr=()
    for ((i = 0; i < reps; i++)); do
      fnoop+=("$(once "$fm" -j2 -q)")
      nnoop+=("$(cd "$nbuilt" && once ninja -j2)")
    done
    for ((i = 0; i < reps; i++)); do
      touch "$first" "$nbuilt/$first"
      fincr+=("$(once "$fm" -j2 -q)")
      nincr+=("$(cd "$nbuilt" && once ninja -j2)")
    done
    row "$label, no-op" flowmake "${fnoop[@]}"
    row "$label, no-op" ninja "${nnoop[@]}"
    row "$label, rebuild after touching one input" flowmake "${fincr[@]}"
    row "$label, rebuild after touching one input" ninja "${nincr[@]}"
    cd "$work"
    rm -rf "$scratch" "$built" "$nbuilt"
  done
done
