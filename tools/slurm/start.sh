#!/usr/bin/env bash
# Install (from Debian's packages) and start a private single-node Slurm with
# accounting (slurmdbd + MariaDB), for the workflow's cluster tests and for
# developers. Needs root.
#
#   tools/slurm/start.sh STATE      # then: export SLURM_CONF=STATE/slurm.conf
#   tools/slurm/stop.sh STATE
#
# Everything it writes (configuration, database, spool, logs, PIDs) is inside
# the folder STATE, and its daemons listen on free loopback ports: it does not
# touch /var/lib/mysql, and another MariaDB on the machine is left alone. The
# Slurm commands find it through SLURM_CONF. A munged already running is used
# as it is; otherwise one is started with its socket in STATE.
# One pointer lives outside STATE while it runs: Snakemake's jobstep plugin
# drops every SLURM_* variable (SLURM_CONF too: snakemake-executor-plugin-slurm
# issue 164) before its srun inside a job, so srun reads the default
# /etc/slurm/slurm.conf; that path is made a link to STATE/slurm.conf, and
# stop.sh removes it. If the machine has a slurm.conf of its own there, this
# script stops without touching it. Partition "debug", account "workflow", cluster "local".
# If a daemon does not come up, what was started is stopped again (exit 1).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 STATE_FOLDER" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "start.sh: needs root (installs packages and starts daemons)" >&2
    exit 2
fi
mkdir -p "$1"
STATE=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PIDS=$STATE/pids
: > "$PIDS"
trap 'status=$?; [ $status -eq 0 ] || bash "$HERE/stop.sh" "$STATE"; exit $status' EXIT

packages="slurmctld slurmd slurm-client munge slurmdbd mariadb-server"
missing=$(for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

DEFAULT_CONF=/etc/slurm/slurm.conf
if [ -L "$DEFAULT_CONF" ] && [ ! -e "$DEFAULT_CONF" ]; then
    rm -f "$DEFAULT_CONF" # left by a private Slurm whose folder is gone
fi
if [ -e "$DEFAULT_CONF" ]; then
    echo "start.sh: $DEFAULT_CONF exists ($(readlink -f "$DEFAULT_CONF")): another Slurm" \
        "is configured here, and jobs that Snakemake submits would read it (its jobstep" \
        "plugin drops SLURM_CONF); stop that one first (tools/slurm/stop.sh ITS_STATE)" >&2
    exit 1
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq "$seconds"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    echo "start.sh: $what did not come up in ${seconds}s (logs in $STATE)" >&2
    return 1
}

node=$(hostname -s)
cpus=$(nproc)
free_mb=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
real_mb=$((free_mb > 4000 ? free_mb - 2000 : free_mb * 3 / 4))
mkdir -p "$STATE"/{mysql,run,spool/slurmctld,spool/slurmd,log,munge,munge-socket}
chown -R slurm:slurm "$STATE"/spool "$STATE"/log "$STATE"/run
# The daemons' users must reach the folder (pytest's temporary folders are 0700).
chmod 755 "$STATE"

# munge: the machine's own if it runs, else a private one
munge_socket=/run/munge/munge.socket.2
if ! munge -n >/dev/null 2>&1; then
    # munged wants its key private and its socket's folder open to all
    munge_socket=$STATE/munge-socket/munge.socket
    dd if=/dev/urandom bs=1 count=1024 of="$STATE/munge/munge.key" 2>/dev/null
    chown -R munge:munge "$STATE/munge" "$STATE/munge-socket"
    chmod 700 "$STATE/munge"
    chmod 755 "$STATE/munge-socket"
    chmod 400 "$STATE/munge/munge.key"
    runuser -u munge -- /usr/sbin/munged --foreground --socket="$munge_socket" \
        --key-file="$STATE/munge/munge.key" --pid-file="$STATE/munge/munged.pid" \
        --seed-file="$STATE/munge/munged.seed" --log-file="$STATE/munge/munged.log" \
        >"$STATE/log/munged.out" 2>&1 &
    echo "munged $!" >>"$PIDS"
    wait_for 20 munged munge -n --socket="$munge_socket"
fi

# MariaDB (accounting storage): its own data folder, socket and port
db_port=$(free_port)
chown -R mysql:mysql "$STATE/mysql"
mariadb-install-db --user=mysql --datadir="$STATE/mysql" --auth-root-authentication-method=socket \
    >"$STATE/log/mariadb-install.log" 2>&1
/usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$STATE/mysql" --bind-address=127.0.0.1 \
    --port="$db_port" --socket="$STATE/mysql/mysqld.sock" --pid-file="$STATE/mysql/mysqld.pid" \
    >"$STATE/log/mariadbd.log" 2>&1 &
echo "mariadbd $!" >>"$PIDS"
mariadb_cli=(mariadb --no-defaults --socket="$STATE/mysql/mysqld.sock")
wait_for 30 mariadbd "${mariadb_cli[@]}" -e "SELECT 1"
"${mariadb_cli[@]}" -e "CREATE DATABASE slurm_acct_db;
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurmdb';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;"

# Slurm
dbd_port=$(free_port)
ctld_port=$(free_port)
slurmd_port=$(free_port)
cat >"$STATE/slurmdbd.conf" <<CONF
AuthType=auth/munge
AuthInfo=socket=$munge_socket
DbdHost=localhost
DbdPort=$dbd_port
SlurmUser=slurm
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=slurm
StoragePass=slurmdb
StorageLoc=slurm_acct_db
PidFile=$STATE/run/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
CONF
chown slurm:slurm "$STATE/slurmdbd.conf"
chmod 600 "$STATE/slurmdbd.conf"
cat >"$STATE/slurm.conf" <<CONF
ClusterName=local
SlurmctldHost=$node
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=slurm
AuthType=auth/munge
AuthInfo=socket=$munge_socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$dbd_port
AccountingStoragePass=$munge_socket
ReturnToService=2
MinJobAge=300
SchedulerType=sched/backfill
StateSaveLocation=$STATE/spool/slurmctld
SlurmdSpoolDir=$STATE/spool/slurmd
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
NodeName=$node CPUs=$cpus RealMemory=$real_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$STATE/slurm.conf
mkdir -p "$(dirname "$DEFAULT_CONF")"
ln -s "$SLURM_CONF" "$DEFAULT_CONF"
echo "$DEFAULT_CONF" >"$STATE/links"

runuser -u slurm -- env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmdbd -D \
    >"$STATE/log/slurmdbd.out" 2>&1 &
echo "slurmdbd $!" >>"$PIDS"
wait_for 30 slurmdbd sacctmgr -n list cluster
sacctmgr -i add cluster local >/dev/null
sacctmgr -i add account workflow Description=tests Organization=local >/dev/null
sacctmgr -i add user root account=workflow >/dev/null

/usr/sbin/slurmctld -D -f "$SLURM_CONF" >"$STATE/log/slurmctld.out" 2>&1 &
echo "slurmctld $!" >>"$PIDS"
wait_for 30 slurmctld scontrol ping
/usr/sbin/slurmd -D -f "$SLURM_CONF" >"$STATE/log/slurmd.out" 2>&1 &
echo "slurmd $!" >>"$PIDS"
wait_for 60 "node $node (idle)" bash -c "sinfo -h -o %T | grep -qx idle"
echo "Slurm up: node $node, $cpus CPUs, ${real_mb} MB, partition debug, account workflow;"
echo "  export SLURM_CONF=$SLURM_CONF"
