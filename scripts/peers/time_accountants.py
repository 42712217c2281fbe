#!/usr/bin/env python3
"""Times the peer accountants on σ = 1.1, q = 256/60000, T = 14063, δ = 1e-5 (JSON on stdout).

Median of --repeats runs after one warm-up, like `dpgan bench accountant`.
"""
import argparse
import json
import os
import platform
import statistics
import time

import dp_accounting
import torch
from dp_accounting import pld, rdp
from opacus.accountants import PRVAccountant, RDPAccountant
from opacus.accountants.utils import get_noise_multiplier

SIGMA, Q, STEPS, DELTA = 1.1, 256 / 60000, 14063, 1e-5


def timed(fn, repeats):
    value = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "value": float(value)}


def opacus_eps(cls):
    def run():
        acc = cls()
        acc.history = [(SIGMA, Q, STEPS)]
        return acc.get_epsilon(delta=DELTA)
    return run


def dp_accounting_eps(make):
    def run():
        acc = make()
        acc.compose(dp_accounting.SelfComposedDpEvent(
            dp_accounting.PoissonSampledDpEvent(Q, dp_accounting.GaussianDpEvent(SIGMA)), STEPS))
        return acc.get_epsilon(DELTA)
    return run


def calibrate(accountant, target):
    return lambda: get_noise_multiplier(target_epsilon=target, target_delta=DELTA, sample_rate=Q,
                                        steps=STEPS, accountant=accountant, epsilon_tolerance=0.01)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--target-epsilon", type=float, default=2.0)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    pld_make = lambda: pld.PLDAccountant(  # noqa: E731
        neighboring_relation=dp_accounting.NeighboringRelation.ADD_OR_REMOVE_ONE,
        value_discretization_interval=1e-4)
    results = {
        "opacus_rdp_epsilon": timed(opacus_eps(RDPAccountant), args.repeats),
        "opacus_prv_epsilon": timed(opacus_eps(PRVAccountant), args.repeats),
        "dp_accounting_rdp_epsilon": timed(dp_accounting_eps(rdp.RdpAccountant), args.repeats),
        "dp_accounting_pld_epsilon": timed(dp_accounting_eps(pld_make), max(1, args.repeats // 2)),
        "opacus_calibrate_rdp": timed(calibrate("rdp", args.target_epsilon), max(1, args.repeats // 2)),
        "opacus_calibrate_prv": timed(calibrate("prv", args.target_epsilon), 1),
    }
    print(json.dumps({
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "case": {"noise_multiplier": SIGMA, "sample_rate": Q, "steps": STEPS, "delta": DELTA,
                 "target_epsilon": args.target_epsilon},
        "results": results,
    }, indent=1))


if __name__ == "__main__":
    main()
