#!/usr/bin/env bash
# flowmake beside Snakemake, GNU make and Ninja on the bench/gen shapes, in
# one run on one machine, so the ratios are fair. For each shape and size:
#   dry    a dry run from scratch (nothing built yet)
#   full   a full build of trivial jobs at -j2
#   noop   a run when everything is up to date
#   incr   a rebuild after touching the first job's output
# Each figure is the median of REPS runs (default 3): wall seconds, CPU
# seconds (user+sys) and peak RSS in MB, from /usr/bin/time. Snakemake gets
# LIMIT seconds per step (default 300) and is "> LIMIT" past it.
#
#   bash bench/peers.sh                          # fan and pipeline, 1k and 10k
#   SHAPES="fan pipeline" SIZES="1000 10000 100000" bash bench/peers.sh
#   TOOLS="flowmake ninja" SIZES=1000000 bash bench/peers.sh
#
# Install the peers first: apt-get install snakemake make ninja-build time.
source "$(dirname "$0")/lib.sh"
gen_bin="$work/gen"
(cd "$root" && go build -o "$gen_bin" ./bench/gen)

shapes=${SHAPES:-fan pipeline}
sizes=${SIZES:-1000 10000}
tools=${TOOLS:-flowmake snakemake make ninja}
reps=${REPS:-3}
limit=${LIMIT:-300}

# The file each tool reads, and its command for a step.
file_of() { case $1 in flowmake) echo Rulefile ;; snakemake) echo Snakefile ;; make) echo Makefile ;; ninja) echo build.ninja ;; esac; }
command_of() { # TOOL STEP
  local dry=""
  [ "$2" = dry ] && dry=-n
  case $1 in
    flowmake) echo "$fm -j2 -q $dry" ;;
    snakemake) echo "snakemake -c2 --quiet $dry" ;;
    make) echo "make -j2 -s $dry" ;;
    ninja) echo "ninja -j2 $dry" ;;
  esac
}

# measure TOOL STEP: run the step REPS times (resetting as the step needs)
# and print "wall cpu rss" medians, or "> limit".
measure() {
  local tool=$1 step=$2 cmd walls=() cpus=() rsss=() i rc
  cmd=$(command_of "$tool" "$step")
  for ((i = 0; i < reps; i++)); do
    case $step in
      dry | full) clean ;;
      incr) touch "$(first_output)" ;;
    esac
    rc=0
    /usr/bin/time -f '%e %U %S %M' timeout "$limit" $cmd >/dev/null 2>"$work/err" || rc=$?
    case $rc in
      0) ;;
      124) echo "> $limit"; return ;;
      *) echo "bench: $tool $step failed: $(tail -3 "$work/err" | tr '\n' ' ')" >&2; echo failed; return ;;
    esac
    read -r w u s m < <(tail -1 "$work/err")
    walls+=("$w"); cpus+=("$(calc "$u + $s")"); rsss+=("$((m / 1024))")
  done
  echo "$(median "${walls[@]}") $(median "${cpus[@]}") $(median "${rsss[@]}")"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Outputs of all kinds; the workflow files and each tool's state are kept
# apart by clean, which removes everything but the workflow files.
clean() { find . -mindepth 1 -maxdepth 1 ! -name Rulefile ! -name Snakefile ! -name Makefile ! -name build.ninja -exec rm -rf {} +; }
first_output() { case $shape in fan) echo out/0.txt ;; pipeline) echo a/0.txt ;; chain) echo c/0.txt ;; critical) echo fast/0.txt ;; checkpoint) echo done/0.txt ;; esac; }

printf '| shape | N | jobs | step | tool | wall s | CPU s | peak RSS MB | wall / flowmake |\n|---|---|---|---|---|---|---|---|---|\n'
for shape in $shapes; do
  for n in $sizes; do
    dir="$work/$shape-$n"
    jobs=$("$gen_bin" -dir "$dir" -shape "$shape" -n "$n")
    cd "$dir"
    for step in dry full noop incr; do
      base=""
      for tool in $tools; do
        [ -f "$(file_of "$tool")" ] || continue
        command -v "${tool/flowmake/$fm}" >/dev/null || { echo "bench: $tool is not installed" >&2; continue; }
        # noop and incr need the tool's own full build first.
        if [ "$step" = noop ] || [ "$step" = incr ]; then
          clean
          timeout "$limit" $(command_of "$tool" full) >/dev/null 2>&1 || { printf '| %s | %s | %s | %s | %s | > %s | | | |\n' "$shape" "$n" "$jobs" "$step" "$tool" "$limit"; continue; }
        fi
        r=$(measure "$tool" "$step")
        if [[ $r == ">"* || $r == failed ]]; then
          printf '| %s | %s | %s | %s | %s | %s | | | |\n' "$shape" "$n" "$jobs" "$step" "$tool" "$r"
          continue
        fi
        read -r w c m <<<"$r"
        [ "$tool" = flowmake ] && base=$w
        ratio=""
        [ -n "$base" ] && ratio=$(calc "$w / ($base > 0 ? $base : 0.001)")
        printf '| %s | %s | %s | %s | %s | %.2f | %.2f | %d | %s |\n' "$shape" "$n" "$jobs" "$step" "$tool" "$w" "$c" "$m" "${ratio:+$(printf '%.1f' "$ratio") x}"
      done
    done
    cd "$work"
    rm -rf "$dir"
  done
done
