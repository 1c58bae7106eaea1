#!/usr/bin/env bash
# flowmake beside Snakemake, GNU make and Ninja on the bench/gen shapes, in
# one run on one machine, so the ratios are fair. For each shape and size:
#   dry    a dry run from scratch (nothing built yet)
#   full   a full build of trivial jobs at -j2
#   noop   a run when everything is up to date
#   incr   a rebuild after touching the first job's output
# Each figure is the median of REPS runs (default 3): wall seconds, CPU
# seconds (user+sys) and peak RSS in MB, from /usr/bin/time; FULL_REPS
# sets the runs of the full build alone. Every tool gets LIMIT seconds per
# step (default 300) and is "> LIMIT" past it. The no-op and the rebuild
# start from the tool's own full build, except Snakemake's, which starts
# from make's (the same files; Snakemake builds at ~15 jobs/s).
#
#   bash bench/peers.sh                          # fan and pipeline, 1k and 10k
#   SHAPES="fan pipeline" SIZES="1000 10000 100000" bash bench/peers.sh
#   TOOLS="flowmake ninja" SIZES=1000000 STEPS="dry noop" bash bench/peers.sh
#
# Install the peers first: apt-get install snakemake make ninja-build time.
source "$(dirname "$0")/lib.sh"
gen_bin="$work/gen"
(cd "$root" && go build -o "$gen_bin" ./bench/gen)

shapes=${SHAPES:-fan pipeline}
sizes=${SIZES:-1000 10000}
tools=${TOOLS:-flowmake snakemake make ninja} # flowmake first: the ratios are to it
steps=${STEPS:-dry full noop incr}
reps=${REPS:-3}
full_reps=${FULL_REPS:-$reps} # full builds are the long ones
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
  local runs=$reps
  [ "$step" = full ] && runs=$full_reps
  for ((i = 0; i < runs; i++)); do
    case $step in
      dry | full) clean ;;
      incr) touch "$(first_output)" ;;
    esac
    rc=0
    /usr/bin/time -f '%e %U %S %M' timeout -k 10 "$limit" $cmd >/dev/null 2>"$work/err" || rc=$?
    case $rc in
      0) ;;
      124 | 137) echo "> $limit"; return ;; # Snakemake ignores SIGTERM: -k kills it
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

# row STEP TOOL TEXT...: a table row, kept per step until the size is done.
declare -A rows
row() { local step=$1 tool=$2; shift 2; rows[$step]+="| $shape | $n | $jobs | $step | $tool | $* |"$'\n'; }

printf '| shape | N | jobs | step | tool | wall s | CPU s | peak RSS MB | wall / flowmake |\n|---|---|---|---|---|---|---|---|---|\n'
for shape in $shapes; do
  for n in $sizes; do
    dir="$work/$shape-$n"
    jobs=$("$gen_bin" -dir "$dir" -shape "$shape" -n "$n")
    cd "$dir"
    rows=()
    declare -A base=()
    for tool in $tools; do
      [ -f "$(file_of "$tool")" ] || continue
      command -v "${tool/flowmake/$fm}" >/dev/null || { echo "bench: $tool is not installed" >&2; continue; }
      built=""
      for step in $steps; do
        # noop and incr start from the tool's own full build (full leaves
        # one; dry cleans it away).
        case $step in
          dry | full) built="" ;;
          noop | incr)
            if [ -z "$built" ]; then
              clean
              # Snakemake builds at ~15 jobs/s; make makes the same files
              # for its no-op (Snakemake judges files without its own
              # metadata by their times).
              builder=$tool
              [ "$tool" = snakemake ] && [ -f Makefile ] && builder=make
              if ! timeout -k 10 "$limit" $(command_of "$builder" full) >/dev/null 2>&1; then
                row "$step" "$tool" "build > $limit | | | "
                continue
              fi
            fi ;;
        esac
        r=$(measure "$tool" "$step")
        [ "$step" = full ] && built=1
        if [[ $r == ">"* || $r == failed ]]; then
          row "$step" "$tool" "$r | | | "
          [ "$step" = full ] && built=""
          continue
        fi
        read -r w c m <<<"$r"
        [ "$tool" = flowmake ] && base[$step]=$w
        ratio=""
        [ -n "${base[$step]:-}" ] && ratio=$(printf '%.1f x' "$(calc "$w / (${base[$step]} > 0 ? ${base[$step]} : 0.005)")")
        row "$step" "$tool" "$(printf '%.2f | %.2f | %d | %s' "$w" "$c" "$m" "$ratio")"
      done
    done
    for step in $steps; do printf '%s' "${rows[$step]:-}"; done
    cd "$work"
    rm -rf "$dir"
  done
done
