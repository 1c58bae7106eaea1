#!/usr/bin/env bash
# local-slurm.sh start|stop|status - the single-node SLURM cluster on loopback
# that the SLURM integration tests (cmd/flowmake/slurm_test.go) run against.
#
#   start   install slurmctld, slurmd, slurm-client and munge from Debian if
#           missing, write /etc/slurm/slurm.conf, start the daemons, wait until
#           the node is ready (~20 s on a fresh machine, ~0.3 s when it is up).
#           Needs root. Idempotent.
#   stop    cancel remaining jobs, stop the daemons `start` started.
#   status  exit 0 when the cluster answers and its node can run jobs.
#
# The work is done by scripts/slurm/{start,stop}-local-slurm.sh (copied from
# the shared cheat-sheet, see scripts/slurm/README.md); this wrapper only gives
# them one entry point, so that a fresh clone needs nothing outside the repo.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

case "${1:-}" in
start) exec bash "$here/slurm/start-local-slurm.sh" ;;
stop) exec bash "$here/slurm/stop-local-slurm.sh" ;;
status)
  command -v sinfo >/dev/null 2>&1 || { echo "local-slurm: not installed (no sinfo on PATH)"; exit 1; }
  scontrol ping 2>/dev/null | grep -q 'is UP' || { echo "local-slurm: slurmctld does not answer"; exit 1; }
  state=$(sinfo -h -N -o %T 2>/dev/null | head -n1)
  case "$state" in
  idle | mixed | allocated | completing) echo "local-slurm: up, node $state"; exit 0 ;;
  *) echo "local-slurm: slurmctld up, node '${state:-none}'"; exit 1 ;;
  esac
  ;;
*)
  echo "usage: $0 start|stop|status" >&2
  exit 2
  ;;
esac
