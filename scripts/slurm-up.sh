#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine (REFERENCE.md §9): Debian's slurmctld, slurmd,
# slurm-client and munge, run as root without systemd. Used by tests/slurm.rs; handy for trying
# `dpgan sweep --executor slurm` on one machine. Stop it with scripts/slurm-down.sh.
#
# Idempotent: installs the packages once, rewrites the configuration, and starts only the
# daemons that are not running. Prints `sinfo` once the node is idle.
# Needs root (the daemons, and apt-get the first time).
# `--install-only`: install the packages (once) and stop there (the test command's set-up).
set -euo pipefail
install_only=0
[ "${1:-}" = "--install-only" ] && install_only=1

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "slurm-up: needs root to $1" >&2
        exit 2
    fi
}
installed=1
for program in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sbatch /usr/sbin/munged; do
    [ -x "$program" ] || installed=0
done
if [ "$installed" = 0 ]; then
    echo "slurm-up: installing slurmctld slurmd slurm-client munge (Debian packages)" >&2
    need_root "install Debian's Slurm packages"
    packages="slurmctld slurmd slurm-client munge"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages >&2; }
fi
[ "$install_only" = 1 ] && exit 0
need_root "start the Slurm daemons"

conf=/etc/slurm
marker="# Written by dpgan's scripts/slurm-up.sh"
if [ -f "$conf/slurm.conf" ] && ! head -n 1 "$conf/slurm.conf" | grep -qF "$marker"; then
    echo "slurm-up: $conf/slurm.conf exists and is not this script's: a real cluster's" \
        "configuration is left alone (move it away to use the one-node test cluster)" >&2
    exit 2
fi
mkdir -p "$conf" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm /run/munge
chown munge:munge /run/munge
chmod 0755 /run/munge

# munge: one key, made once.
if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
    su -s /bin/sh munge -c /usr/sbin/munged
fi

host=$(hostname -s)
node=$(slurmd -C | head -n 1)
cat > "$conf/slurm.conf.new" <<CONF
$marker: a one-node cluster for tests and trials.
ClusterName=dpgan
SlurmctldHost=$host
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
ReturnToService=2
SlurmUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
MinJobAge=600
CONF
mv "$conf/slurm.conf.new" "$conf/slurm.conf"
echo "CgroupPlugin=cgroup/v1" > "$conf/cgroup.conf"

pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd

# Wait for the node to take jobs.
for _ in $(seq 1 60); do
    state=$(sinfo -h -o '%t' 2>/dev/null | head -n 1 || true)
    case "$state" in
        idle | mix | alloc) sinfo; exit 0 ;;
        down* | drain*) scontrol update NodeName="$(sinfo -h -o '%n' | head -n 1)" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 0.5
done
echo "slurm-up: the node did not become idle in 30 s; see /var/log/slurm/" >&2
sinfo >&2 || true
exit 1
