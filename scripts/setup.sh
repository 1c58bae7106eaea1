#!/usr/bin/env bash
# Installs what building and testing flowmake needs on a fresh Debian
# machine: Go (if absent), bash/coreutils, python3 (script jobs),
# graphviz (the DOT tests render with `dot`), tmux and bash-completion (the
# shell-completion and live-progress tests type into a terminal), chromium
# (the report test loads the HTML in headless Chromium), ninja (bench/gen's
# workloads are checked against make and Ninja), numpy, scipy and matplotlib
# for Debian's python3 and ImageMagick (examples/cosmic and its test).
# Idempotent; quiet when all is there already.
set -euo pipefail

need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v make >/dev/null 2>&1 || need+=(make)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v ninja >/dev/null 2>&1 || need+=(ninja-build)
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
/usr/bin/python3 -c 'import scipy.spatial' >/dev/null 2>&1 || need+=(python3-scipy)
/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1 || need+=(python3-matplotlib)
[ -x /usr/bin/convert ] || need+=(imagemagick)
[ -f /usr/share/bash-completion/bash_completion ] || need+=(bash-completion)
command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || need+=(golang-go)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
