#!/usr/bin/env python3
"""Writes privacy-accounting/tests/golden/accountants.json from the peer accountants.

    py=$(scripts/peers/setup.sh | tail -1); $py scripts/peers/golden_accountants.py

Every number in the file is computed by the peers themselves (Opacus 1.6, dp_accounting 0.6,
prv_accountant 0.2), called through their own APIs; nothing of theirs is re-implemented here.
The cases are a fixed list (no randomness) and the JSON keeps a fixed key order, so the file
only changes when a peer's output does. A peer that fails on a case gets null for its field
(with a warning on stderr) and the run goes on. Progress and per-peer timings go to stderr.

Options: --out PATH (default: the committed golden file), --only NAME[,NAME...] (a subset of
cases, for trying things out; calibration is skipped then unless --calibration).
"""
import argparse
import importlib.metadata
import inspect
import json
import math
import platform
import sys
import time
import warnings
from pathlib import Path

import dp_accounting
import prv_accountant
from dp_accounting import pld, rdp
from opacus.accountants import PRVAccountant, RDPAccountant
from opacus.accountants.analysis.rdp import compute_rdp
from opacus.accountants.utils import get_noise_multiplier

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "privacy-accounting" / "tests" / "golden" / "accountants.json"
GENERATOR = "scripts/peers/golden_accountants.py"

# (name, noise multiplier σ, sample rate q, steps T, δ). The first five are the reference
# vectors of the peers' own tests and tutorials; the rest span realistic DP-SGD settings and
# the corners (tiny q with 1e6 steps, q = 1, q ≥ 0.5, σ = 0.5, σ = 20, δ from 1e-10 to 1e-3),
# keeping ε below ~200 so every peer can compute it.
CASES = [
    ("opacus_rdp_test", 1.5, 0.04, 2250, 1e-5),
    ("tf_privacy_tutorial", 1.1, 256 / 60000, 14063, 1e-5),
    ("opacus_prv_test_1", 0.8, 0.001, 100, 1e-6),
    ("opacus_prv_test_2", 1.5, 0.05, 1000, 1e-6),
    ("tf_privacy_mnist", 1.3, 150 / 60000, 15 * 400, 1e-5),
    ("tiny_q_million_steps", 1.0, 1e-4, 1_000_000, 1e-5),
    ("tiny_q_million_steps_tiny_delta", 2.0, 1e-4, 1_000_000, 1e-10),
    ("small_sigma_tiny_q", 0.5, 1e-4, 10_000, 1e-5),
    ("small_sigma_small_q", 0.5, 0.01, 100, 1e-5),
    ("small_sigma_large_delta", 0.5, 0.001, 1000, 1e-3),
    ("small_sigma_moderate_q", 0.5, 0.05, 100, 1e-5),
    ("small_sigma_half_batch_single_step", 0.5, 0.5, 1, 1e-5),
    ("sigma_0.6", 0.6, 0.02, 500, 1e-5),
    ("sigma_0.7_q_0.1", 0.7, 0.1, 50, 1e-6),
    ("full_batch_single_step", 1.0, 1.0, 1, 1e-5),
    ("full_batch_100", 5.0, 1.0, 100, 1e-5),
    ("full_batch_large_sigma", 20.0, 1.0, 1000, 1e-5),
    ("full_batch_sigma_20_single_step", 20.0, 1.0, 1, 1e-10),
    ("full_batch_tiny_delta", 10.0, 1.0, 10_000, 1e-10),
    ("half_batch_10", 1.0, 0.5, 10, 1e-5),
    ("half_batch_100", 2.0, 0.5, 100, 1e-5),
    ("q_0.6_sigma_10", 10.0, 0.6, 5000, 1e-6),
    ("q_0.8", 3.0, 0.8, 200, 1e-6),
    ("single_step", 1.0, 0.01, 1, 1e-5),
    ("single_step_q_0.05", 0.8, 0.05, 1, 1e-5),
    ("large_sigma_many_steps", 20.0, 0.01, 100_000, 1e-5),
    ("large_sigma_tiny_q", 20.0, 1e-4, 1_000_000, 1e-3),
    ("q_0.004_50k", 1.2, 0.004, 50_000, 1e-7),
    ("q_0.001_100k", 1.0, 0.001, 100_000, 1e-6),
    ("delta_1e-9", 1.5, 0.01, 10_000, 1e-9),
    ("delta_1e-8", 2.5, 0.02, 20_000, 1e-8),
    ("q_0.003_30k", 0.9, 0.003, 30_000, 1e-5),
    ("sigma_4_q_0.1", 4.0, 0.1, 5000, 1e-5),
    ("sigma_8_q_0.25", 8.0, 0.25, 10_000, 1e-5),
    ("q_0.064", 1.0, 0.064, 3000, 1e-5),
    ("q_0.0005_200k", 0.75, 0.0005, 200_000, 1e-5),
    ("dpgan_default_run", 1.04, 32 / 350, 274, 1e-5),
    ("q_0.2_delta_1e-4", 1.0, 0.2, 100, 1e-4),
    ("sigma_6_half_batch_tiny_delta", 6.0, 0.5, 1000, 1e-10),
    ("tiny_q_single_step", 1.3, 1e-4, 1, 1e-3),
    ("q_0.001_million", 2.0, 0.001, 1_000_000, 1e-5),
    ("small_sigma_long", 0.6, 2e-4, 500_000, 1e-6),
]

# (target ε, δ, q, T, accountant) for opacus.accountants.utils.get_noise_multiplier.
CALIBRATION = [
    (1.0, 1e-5, 256 / 60000, 14063, "rdp"),
    (3.0, 1e-5, 256 / 60000, 14063, "rdp"),
    (8.0, 1e-5, 256 / 60000, 14063, "prv"),
    (3.0, 1e-5, 256 / 60000, 14063, "prv"),
    (10.0, 1e-5, 32 / 350, 274, "rdp"),
    (10.0, 1e-5, 32 / 350, 274, "prv"),
    (1.0, 1e-6, 0.01, 5000, "prv"),
    (8.0, 1e-5, 0.05, 1000, "rdp"),
    (1.0, 1e-5, 0.001, 100_000, "rdp"),
    (3.0, 1e-5, 0.02, 2000, "prv"),
]
CALIBRATION_TOLERANCE = 0.01

# PLD grid. A case whose PLD at the default grid took more than ~60 s on the 2-core reference
# machine would be listed here with a coarser grid (none needed so far); every case records the
# grid it used.
PLD_INTERVAL = 1e-4
PLD_INTERVAL_OVERRIDES = {}
# Over ≥ 1e5 compositions the 1e-4 grid's pessimistic rounding adds up to more than 0.01 in ε;
# those cases also get the PLD on a 1e-5 grid ("pld_dp_accounting_fine").
PLD_FINE_INTERVAL = 1e-5
PLD_FINE_MIN_STEPS = 100_000

# Opacus PRVAccountant.get_epsilon defaults: eps_error 0.01, delta_error δ/1000.
PRV_EPS_ERROR = 0.01
PRV_DELTA_ERROR_FRACTION = 1e-3

ADD_OR_REMOVE = dp_accounting.NeighboringRelation.ADD_OR_REMOVE_ONE


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def finite_or_none(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def event(sigma, q, steps):
    return dp_accounting.SelfComposedDpEvent(
        dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps
    )


def peer(name, field, fn, timings):
    """Runs one peer computation; on failure warns and returns None (null in the JSON)."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except Exception as err:  # a peer that cannot compute a case is recorded as null
        log(f"  WARNING: {field} failed on {name}: {type(err).__name__}: {err}")
        return None
    finally:
        timings.append(f"{field} {time.perf_counter() - start:.1f}s")


# ---- the peers, one function each ------------------------------------------------------------

def rdp_opacus(sigma, q, steps, delta):
    acc = RDPAccountant()
    acc.history = [(sigma, q, steps)]
    eps, order = acc.get_privacy_spent(delta=delta)  # default alphas
    if not math.isfinite(eps):
        raise ValueError(f"ε = {eps}")
    return {"epsilon": float(eps), "order": float(order)}


def rdp_opacus_vector(sigma, q, steps):
    vec = compute_rdp(q=q, noise_multiplier=sigma, steps=steps, orders=RDPAccountant.DEFAULT_ALPHAS)
    return [finite_or_none(v) for v in vec]


def rdp_dp_accounting(sigma, q, steps, delta):
    acc = rdp.RdpAccountant()  # default orders, add/remove-one
    acc.compose(event(sigma, q, steps))
    eps, order = acc.get_epsilon_and_optimal_order(delta)
    if not math.isfinite(eps):
        raise ValueError(f"ε = {eps}")
    # dp_accounting drops an order whose fractional-α series does not converge in 1000 terms
    # (it warns and sets that order's RDP to inf); the per-order vector shows which (null).
    # `_rdp` is the accountant's composed RDP per order: no public accessor exists.
    return {"epsilon": float(eps), "order": float(order)}, [finite_or_none(v) for v in acc._rdp]


def pld_accountant(sigma, q, steps, interval):
    # PLDAccountant does not take pessimistic_estimate: it calls
    # privacy_loss_distribution.from_gaussian_mechanism(standard_deviation=σ, sampling_prob=q,
    # value_discretization_interval=…, neighboring_relation=…), whose pessimistic_estimate
    # defaults to True (checked in pld_settings() and cross-checked once in main()).
    acc = pld.PLDAccountant(neighboring_relation=ADD_OR_REMOVE, value_discretization_interval=interval)
    acc.compose(event(sigma, q, steps))
    return acc


def pld_explicit(sigma, q, steps, interval):
    """The same PLD built directly with pessimistic_estimate=True spelled out."""
    return pld.privacy_loss_distribution.from_gaussian_mechanism(
        standard_deviation=sigma,
        sampling_prob=q,
        value_discretization_interval=interval,
        pessimistic_estimate=True,
        neighboring_relation=ADD_OR_REMOVE,
    ).self_compose(steps)


def prv_opacus(sigma, q, steps, delta):
    # Opacus's PRVAccountant.get_epsilon builds the discrete PRV with self._get_dprv(eps_error,
    # delta_error) (PoissonSubsampledGaussianPRV → compute_safe_domain_size → Domain.create_aligned
    # → TruncatedPrivacyRandomVariable → discretize → compose_heterogeneous), then calls
    # dprv.compute_epsilon(delta, delta_error, eps_error), which returns (lower, estimate, upper),
    # and returns only the upper bound. We make exactly those two calls on Opacus's objects.
    acc = PRVAccountant()
    acc.history = [(sigma, q, steps)]
    delta_error = delta * PRV_DELTA_ERROR_FRACTION
    dprv = acc._get_dprv(eps_error=PRV_EPS_ERROR, delta_error=delta_error)
    lower, estimate, upper = dprv.compute_epsilon(delta, delta_error, PRV_EPS_ERROR)
    values = [finite_or_none(v) for v in (lower, estimate, upper)]
    if None in values:
        raise ValueError(f"non-finite PRV bounds {(lower, estimate, upper)}")
    return dict(zip(("lower", "estimate", "upper"), values))


def prv_microsoft(sigma, q, steps, delta):
    acc = prv_accountant.PRVAccountant(
        prvs=prv_accountant.PoissonSubsampledGaussianMechanism(noise_multiplier=sigma, sampling_probability=q),
        max_self_compositions=steps,
        eps_error=PRV_EPS_ERROR,
        delta_error=delta * PRV_DELTA_ERROR_FRACTION,
    )
    lower, estimate, upper = acc.compute_epsilon(delta=delta, num_self_compositions=[steps])
    values = [finite_or_none(v) for v in (lower, estimate, upper)]
    if None in values:
        raise ValueError(f"non-finite PRV bounds {(lower, estimate, upper)}")
    return dict(zip(("lower", "estimate", "upper"), values))


# ---- one case ---------------------------------------------------------------------------------

def case_values(name, sigma, q, steps, delta):
    timings = []
    out = {"name": name, "noise_multiplier": sigma, "sample_rate": q, "steps": steps, "delta": delta}

    out["rdp_opacus"] = peer(name, "rdp_opacus", lambda: rdp_opacus(sigma, q, steps, delta), timings)
    both = peer(name, "rdp_dp_accounting", lambda: rdp_dp_accounting(sigma, q, steps, delta), timings)
    out["rdp_dp_accounting"], dp_vector = both if both is not None else (None, None)
    out["rdp_opacus_rdp_vector"] = peer(name, "rdp_opacus_rdp_vector", lambda: rdp_opacus_vector(sigma, q, steps), timings)
    out["rdp_dp_accounting_rdp_vector"] = dp_vector

    interval = PLD_INTERVAL_OVERRIDES.get(name, PLD_INTERVAL)
    out["pld_value_discretization_interval"] = interval
    acc = peer(name, "pld_dp_accounting", lambda: pld_accountant(sigma, q, steps, interval), timings)
    pld_eps = None if acc is None else peer(name, "pld_get_epsilon", lambda: finite_or_none(acc.get_epsilon(delta)), timings)
    out["pld_dp_accounting"] = None if pld_eps is None else {"epsilon": pld_eps}
    if pld_eps is None:
        out["delta_for_epsilon_pld"] = None
    else:
        probe = round(pld_eps, 2)
        d = peer(name, "pld_get_delta", lambda: finite_or_none(acc.get_delta(probe)), timings)
        out["delta_for_epsilon_pld"] = None if d is None else {"epsilon": probe, "delta": d}
    del acc
    if steps >= PLD_FINE_MIN_STEPS and interval <= PLD_INTERVAL:
        fine = peer(
            name, "pld_dp_accounting_fine",
            lambda: finite_or_none(pld_accountant(sigma, q, steps, PLD_FINE_INTERVAL).get_epsilon(delta)),
            timings,
        )
        out["pld_dp_accounting_fine"] = (
            None if fine is None else {"epsilon": fine, "value_discretization_interval": PLD_FINE_INTERVAL}
        )

    out["prv_opacus"] = peer(name, "prv_opacus", lambda: prv_opacus(sigma, q, steps, delta), timings)
    out["prv_accountant"] = peer(name, "prv_accountant", lambda: prv_microsoft(sigma, q, steps, delta), timings)
    log("  " + ", ".join(timings))
    return out


def calibration_values(target, delta, q, steps, accountant):
    def run():
        sigma = get_noise_multiplier(
            target_epsilon=target, target_delta=delta, sample_rate=q, steps=steps,
            accountant=accountant, epsilon_tolerance=CALIBRATION_TOLERANCE,
        )
        acc = RDPAccountant() if accountant == "rdp" else PRVAccountant()
        acc.history = [(sigma, q, steps)]
        return float(sigma), float(acc.get_epsilon(delta=delta))

    timings = []
    result = peer(f"calibration ε={target} {accountant}", "get_noise_multiplier", run, timings)
    log("  " + ", ".join(timings))
    sigma, eps = result if result is not None else (None, None)
    return {
        "target_epsilon": target, "sample_rate": q, "steps": steps, "delta": delta,
        "accountant": accountant, "epsilon_tolerance": CALIBRATION_TOLERANCE,
        "noise_multiplier": sigma,
        # Opacus's own ε at the returned σ (its get_epsilon; for PRV the upper bound).
        "epsilon_at_noise_multiplier": finite_or_none(eps),
    }


# ---- checks on the peers' settings ------------------------------------------------------------

def pld_settings():
    """Reads the PLD's Gaussian defaults from the library and checks PLDAccountant passes none."""
    params = inspect.signature(pld.privacy_loss_distribution.from_gaussian_mechanism).parameters
    source = inspect.getsource(pld.PLDAccountant)
    settings = {
        "neighboring_relation": "ADD_OR_REMOVE_ONE",
        "value_discretization_interval": PLD_INTERVAL,
        "pessimistic_estimate": params["pessimistic_estimate"].default,
        "use_connect_dots": params["use_connect_dots"].default,
        "log_mass_truncation_bound": params["log_mass_truncation_bound"].default,
    }
    for key in ("pessimistic_estimate", "use_connect_dots", "log_mass_truncation_bound"):
        if key in source:
            raise SystemExit(f"PLDAccountant now passes {key}; revisit pld_settings()")
    if settings["pessimistic_estimate"] is not True:
        raise SystemExit("from_gaussian_mechanism's pessimistic_estimate default is no longer True")
    return settings


def cross_check(cases):
    """Once: the explicit pessimistic PLD and Opacus's public PRV get_epsilon match our calls."""
    name, sigma, q, steps, delta = cases[0]
    acc_eps = pld_accountant(sigma, q, steps, PLD_INTERVAL).get_epsilon(delta)
    explicit_eps = pld_explicit(sigma, q, steps, PLD_INTERVAL).get_epsilon_for_delta(delta)
    # Composing with the accountant's initial identity PLD moves ε in the last few digits only.
    if abs(acc_eps - explicit_eps) > 1e-9 * max(1.0, abs(explicit_eps)):
        raise SystemExit(f"{name}: PLDAccountant ε {acc_eps} != explicit pessimistic PLD ε {explicit_eps}")
    public = PRVAccountant()
    public.history = [(sigma, q, steps)]
    upper = public.get_epsilon(delta=delta)
    ours = prv_opacus(sigma, q, steps, delta)["upper"]
    if upper != ours:
        raise SystemExit(f"{name}: Opacus PRV get_epsilon {upper} != upper {ours}")
    log(f"cross-check on {name}: PLD accountant {acc_eps} ≈ explicit pessimistic {explicit_eps}; "
        f"Opacus PRV get_epsilon == upper ({upper})")
    return name


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", help="comma-separated case names")
    parser.add_argument("--calibration", action="store_true", help="with --only: run calibration too")
    args = parser.parse_args()

    names = [c[0] for c in CASES]
    assert len(set(names)) == len(names), "duplicate case names"
    cases = CASES
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - set(names)
        if unknown:
            raise SystemExit(f"unknown cases: {sorted(unknown)}")
        cases = [c for c in CASES if c[0] in wanted]

    total = time.perf_counter()
    settings = pld_settings()
    checked_on = cross_check(cases)

    results = []
    for i, c in enumerate(cases, 1):
        log(f"[{i}/{len(cases)}] {c[0]}: σ={c[1]} q={c[2]:.6g} T={c[3]} δ={c[4]:g}")
        start = time.perf_counter()
        results.append(case_values(*c))
        log(f"  case {time.perf_counter() - start:.1f}s, total {time.perf_counter() - total:.0f}s")

    calibration = []
    if not args.only or args.calibration:
        for i, c in enumerate(CALIBRATION, 1):
            log(f"[calibration {i}/{len(CALIBRATION)}] ε={c[0]} δ={c[1]:g} q={c[2]:.6g} T={c[3]} {c[4]}")
            calibration.append(calibration_values(*c))

    by_name = {r["name"]: r for r in results}
    tf_case = by_name.get("tf_privacy_mnist")
    tf_vector = None
    if tf_case is not None:
        tf_vector = {
            "case": "tf_privacy_mnist",
            "noise_multiplier": tf_case["noise_multiplier"],
            "sample_rate": tf_case["sample_rate"],
            "steps": tf_case["steps"],
            "delta": tf_case["delta"],
            # dp_accounting's RDP accountant (its RDP → (ε, δ) conversion is the improved one of
            # Balle et al. 2020 / Canonne–Kamath–Steinke), default orders.
            "epsilon_rdp_balle": (tf_case["rdp_dp_accounting"] or {}).get("epsilon"),
            # Opacus's RDP accountant (the classic conversion ε = r + log(1/δ)/(α − 1)).
            "epsilon_rdp_opacus": (tf_case["rdp_opacus"] or {}).get("epsilon"),
        }

    nulls = sorted(
        f"{r['name']}.{k}" for r in results for k, v in r.items() if v is None
    ) + sorted(
        f"calibration[{i}]" for i, c in enumerate(calibration) if c["noise_multiplier"] is None
    )

    golden = {
        "generator": GENERATOR,
        "versions": {
            "opacus": importlib.metadata.version("opacus"),
            "dp_accounting": importlib.metadata.version("dp-accounting"),
            "prv_accountant": importlib.metadata.version("prv-accountant"),
            "python": platform.python_version(),
            "numpy": importlib.metadata.version("numpy"),
            "scipy": importlib.metadata.version("scipy"),
        },
        "notes": {
            "rdp_opacus": "opacus.accountants.RDPAccountant, history [(σ, q, T)], get_privacy_spent(delta=δ) with DEFAULT_ALPHAS: (epsilon, best order)",
            "rdp_opacus_rdp_vector": "opacus.accountants.analysis.rdp.compute_rdp(q, σ, T, DEFAULT_ALPHAS): the RDP composed over T steps, one per opacus_orders entry",
            "rdp_dp_accounting": "dp_accounting.rdp.RdpAccountant() (default orders, add/remove-one) composed with SelfComposedDpEvent(PoissonSampledDpEvent(q, GaussianDpEvent(σ)), T); get_epsilon_and_optimal_order(δ)",
            "rdp_dp_accounting_rdp_vector": "dp_accounting's composed RDP at dp_accounting_orders; null where it dropped an order whose fractional series did not converge",
            "pld_dp_accounting": "dp_accounting.pld.PLDAccountant(ADD_OR_REMOVE_ONE, value_discretization_interval=pld_value_discretization_interval), same event, get_epsilon(δ); Gaussian PLD settings in pld_settings (pessimistic)",
            "pld_dp_accounting_fine": "the same PLD on a 1e-5 grid, only for cases of ≥ 1e5 steps, where the 1e-4 grid's pessimistic rounding accumulates",
            "delta_for_epsilon_pld": "the same PLD (pld_dp_accounting's grid): get_delta(epsilon) with epsilon = round(PLD ε, 2)",
            "prv_opacus": "Opacus PRVAccountant internals as its get_epsilon uses them: _get_dprv(eps_error=0.01, delta_error=δ/1000) then DiscretePRV.compute_epsilon(δ, δ/1000, 0.01) -> (lower, estimate, upper); upper is what get_epsilon returns",
            "prv_accountant": "Microsoft prv_accountant.PRVAccountant(PoissonSubsampledGaussianMechanism, eps_error=0.01, delta_error=δ/1000).compute_epsilon(δ, [T]) -> (lower, estimate, upper)",
            "calibration": "opacus.accountants.utils.get_noise_multiplier(target_epsilon, target_delta, sample_rate, steps, accountant, epsilon_tolerance=0.01); epsilon_at_noise_multiplier is that accountant's get_epsilon at the returned σ",
            "null": "a peer that raised or returned a non-finite value on that case",
        },
        "pld_settings": dict(settings, cross_checked_on=checked_on),
        "prv_settings": {"eps_error": PRV_EPS_ERROR, "delta_error": "delta / 1000"},
        "opacus_orders": [float(a) for a in RDPAccountant.DEFAULT_ALPHAS],
        "dp_accounting_orders": [float(a) for a in rdp.rdp_privacy_accountant.DEFAULT_RDP_ORDERS],
        "cases": results,
        "calibration": calibration,
        "tf_privacy_vector": tf_vector,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(golden, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    log(f"wrote {args.out}: {len(results)} cases, {len(calibration)} calibrations, "
        f"{time.perf_counter() - total:.0f}s; nulls: {nulls or 'none'}")


if __name__ == "__main__":
    main()
