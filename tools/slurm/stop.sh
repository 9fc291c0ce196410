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
# the links start.sh made outside STATE, if they still point into it
if [ -s "$1/links" ]; then
    while read -r link; do
        if [[ "$(readlink "$link" || true)" == "$1"/* ]]; then rm -f "$link"; fi
    done <"$1/links"
    : >"$1/links"
fi
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
