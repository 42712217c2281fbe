#!/usr/bin/env python3
"""Times the peer accountants on σ = 1.1, q = 256/60000, T = 14063, δ = 1e-5; JSON on stdout.

    py=$(scripts/peers/setup.sh | tail -1); $py scripts/peers/time_accountants.py [--repeats 5]

Each measurement is one warm-up call, then the median (and min/max) of --repeats calls timed
with time.perf_counter. Every call builds its accountant from scratch, as a user asking for ε
once would. torch's thread count is set to the machine's core count (the accountants
themselves run in numpy/scipy). Progress goes to stderr.
"""
import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
import warnings

import dp_accounting
import torch
from dp_accounting import pld, rdp
from opacus.accountants import PRVAccountant, RDPAccountant
from opacus.accountants.utils import get_noise_multiplier

SIGMA, Q, STEPS, DELTA = 1.1, 256 / 60000, 14063, 1e-5


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def timed(label, key, fn, repeats):
    print(f"{label}: warm-up", file=sys.stderr, flush=True)
    value = fn()
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
        print(f"{label}: run {i + 1}/{repeats} {times[-1]:.4f}s", file=sys.stderr, flush=True)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "repeats": repeats,
        key: float(value),
    }


def opacus_epsilon(cls, **kwargs):
    def run():
        acc = cls()
        acc.history = [(SIGMA, Q, STEPS)]
        return acc.get_epsilon(delta=DELTA, **kwargs)
    return run


def dp_accounting_epsilon(make):
    def run():
        acc = make()
        acc.compose(dp_accounting.SelfComposedDpEvent(
            dp_accounting.PoissonSampledDpEvent(Q, dp_accounting.GaussianDpEvent(SIGMA)), STEPS))
        return acc.get_epsilon(DELTA)
    return run


def make_pld():
    return pld.PLDAccountant(
        neighboring_relation=dp_accounting.NeighboringRelation.ADD_OR_REMOVE_ONE,
        value_discretization_interval=1e-4,
    )


def calibrate(accountant, target):
    return lambda: get_noise_multiplier(
        target_epsilon=target, target_delta=DELTA, sample_rate=Q, steps=STEPS,
        accountant=accountant, epsilon_tolerance=0.01,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target-epsilon", type=float, default=2.0)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    n = cores()
    torch.set_num_threads(n)
    warnings.simplefilter("ignore")

    r = args.repeats
    results = {
        "opacus_rdp_epsilon": timed("Opacus RDP ε", "epsilon", opacus_epsilon(RDPAccountant), r),
        "opacus_prv_epsilon": timed("Opacus PRV ε (eps_error 0.01)", "epsilon", opacus_epsilon(PRVAccountant, eps_error=0.01), r),
        "dp_accounting_pld_epsilon": timed("dp_accounting PLD ε (1e-4)", "epsilon", dp_accounting_epsilon(make_pld), r),
        "dp_accounting_rdp_epsilon": timed("dp_accounting RDP ε", "epsilon", dp_accounting_epsilon(rdp.RdpAccountant), r),
        "opacus_calibrate_prv": timed("Opacus get_noise_multiplier prv", "noise_multiplier", calibrate("prv", args.target_epsilon), r),
        "opacus_calibrate_rdp": timed("Opacus get_noise_multiplier rdp", "noise_multiplier", calibrate("rdp", args.target_epsilon), r),
    }
    print(json.dumps({
        "machine": {
            "nproc": n,
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "processor": platform.processor(),
            "python": platform.python_version(),
            "versions": {
                name: importlib.metadata.version(name)
                for name in ("opacus", "dp-accounting", "prv-accountant", "torch", "numpy", "scipy")
            },
        },
        "case": {
            "noise_multiplier": SIGMA, "sample_rate": Q, "steps": STEPS, "delta": DELTA,
            "calibration_target_epsilon": args.target_epsilon, "calibration_epsilon_tolerance": 0.01,
            "pld_value_discretization_interval": 1e-4, "prv_eps_error": 0.01, "prv_delta_error": DELTA / 1000,
        },
        "method": "one warm-up call, then median/min/max of `repeats` calls timed with time.perf_counter; each call builds its accountant anew",
        "results": results,
    }, indent=1, allow_nan=False))


if __name__ == "__main__":
    main()
