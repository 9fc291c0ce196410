#!/usr/bin/env bash
# Stop the daemons that tools/slurm/start.sh started, by their recorded PIDs
# (never by process name), in reverse order.
set -euo pipefail
STATE=${SLURM_TEST_STATE:-/tmp/regions-connectome-slurm}
PIDS=$STATE/pids
[ -s "$PIDS" ] || { echo "stop.sh: no PIDs recorded in $PIDS"; exit 0; }
tac "$PIDS" | while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        echo "stopped $name ($pid)"
    fi
done
: > "$PIDS"
