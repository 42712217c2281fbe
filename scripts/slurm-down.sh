#!/usr/bin/env bash
# Stops the one-node Slurm cluster of scripts/slurm-up.sh: cancels every job, then stops
# slurmd, slurmctld and munged. Idempotent: nothing running is not an error.
set -uo pipefail

# Only the cluster that slurm-up.sh configured: a real one is left alone.
if ! head -n 1 /etc/slurm/slurm.conf 2>/dev/null | grep -qF "# Written by dpgan's scripts/slurm-up.sh"; then
    exit 0
fi

if command -v scancel >/dev/null && pgrep -x slurmctld >/dev/null; then
    scancel --full --signal=KILL --user="$(id -un)" 2>/dev/null
    scancel --user="$(id -un)" 2>/dev/null
fi
for daemon in slurmd slurmctld munged; do
    pkill -x "$daemon" 2>/dev/null
done
for daemon in slurmd slurmctld munged; do
    for _ in $(seq 1 50); do
        pgrep -x "$daemon" >/dev/null || break
        sleep 0.1
    done
    pkill -9 -x "$daemon" 2>/dev/null
done
exit 0
