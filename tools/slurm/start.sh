#!/usr/bin/env bash
# Install (from Debian's packages) and start a single-node Slurm with
# accounting (slurmdbd + MariaDB), for the workflow's cluster tests and for
# developers. Needs root. Records the PIDs of the daemons it starts in
# $SLURM_TEST_STATE/pids; tools/slurm/stop.sh stops exactly those.
#
#   sudo tools/slurm/start.sh        # idempotent: does nothing if already up
#
# Partition "debug", account "workflow" (sacctmgr), cluster "local".
set -euo pipefail

STATE=${SLURM_TEST_STATE:-/tmp/regions-connectome-slurm}
PIDS=$STATE/pids
mkdir -p "$STATE"

if [ "$(id -u)" -ne 0 ]; then
    echo "start.sh: needs root (installs packages and starts daemons)" >&2
    exit 2
fi

if [ -s "$PIDS" ] && sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "Slurm already running (PIDs in $PIDS)"
    exit 0
fi

packages="slurmctld slurmd slurm-client munge slurmdbd mariadb-server"
missing=$(for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

node=$(hostname -s)
cpus=$(nproc)
free_mb=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
real_mb=$(( free_mb > 4000 ? free_mb - 2000 : free_mb * 3 / 4 ))
: > "$PIDS"

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq "$seconds"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    echo "start.sh: $what did not come up in ${seconds}s" >&2
    return 1
}

# munge
mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
chmod 400 /etc/munge/munge.key
runuser -u munge -- /usr/sbin/munged --foreground >"$STATE/munged.log" 2>&1 &
echo "munged $!" >> "$PIDS"
wait_for 20 munged munge -n

# MariaDB (accounting storage), loopback only
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
[ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
/usr/sbin/mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=127.0.0.1 \
    --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid \
    >"$STATE/mariadbd.log" 2>&1 &
echo "mariadbd $!" >> "$PIDS"
wait_for 30 mariadbd mariadb -e "SELECT 1"
mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmdb';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"

# Slurm configuration
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
chown slurm:slurm /var/spool/slurmctld /var/log/slurm /run/slurm
cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurmdb
StorageLoc=slurm_acct_db
PidFile=/run/slurm/slurmdbd.pid
LogFile=/var/log/slurm/slurmdbd.log
CONF
chown slurm:slurm /etc/slurm/slurmdbd.conf
chmod 600 /etc/slurm/slurmdbd.conf
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$node
SlurmUser=slurm
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
ReturnToService=2
MinJobAge=300
SchedulerType=sched/backfill
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$node CPUs=$cpus RealMemory=$real_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

runuser -u slurm -- /usr/sbin/slurmdbd -D >"$STATE/slurmdbd.log" 2>&1 &
echo "slurmdbd $!" >> "$PIDS"
wait_for 30 slurmdbd sacctmgr -n list cluster
sacctmgr -i add cluster local >/dev/null 2>&1 || true
sacctmgr -i add account workflow Description=tests Organization=local >/dev/null 2>&1 || true
sacctmgr -i add user root account=workflow >/dev/null 2>&1 || true

/usr/sbin/slurmctld -D >"$STATE/slurmctld.log" 2>&1 &
echo "slurmctld $!" >> "$PIDS"
wait_for 30 slurmctld scontrol ping
/usr/sbin/slurmd -D >"$STATE/slurmd.log" 2>&1 &
echo "slurmd $!" >> "$PIDS"
wait_for 60 "node $node (idle)" bash -c "sinfo -h -o %T | grep -qx idle"
echo "Slurm up: node $node, $cpus CPUs, ${real_mb} MB, partition debug, account workflow"
