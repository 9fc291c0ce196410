#!/usr/bin/env bash
# Stop the daemons that tools/slurm/start.sh STATE started, by the PIDs it
# recorded in STATE/pids (never by process name), in reverse order.
#
#   tools/slurm/stop.sh STATE
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: $0 STATE_FOLDER" >&2
    exit 2
fi
PIDS=$1/pids
[ -s "$PIDS" ] || exit 0
tac "$PIDS" | while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 20); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
        echo "stopped $name ($pid)"
    fi
done
: >"$PIDS"
