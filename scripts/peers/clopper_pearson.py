#!/usr/bin/env python3
"""Prints golden Clopper-Pearson intervals for privacy-accounting/tests/audit.rs.

    python3 -m venv /tmp/scipyenv && /tmp/scipyenv/bin/pip install scipy
    /tmp/scipyenv/bin/python scripts/peers/clopper_pearson.py

Each interval is computed from scipy's Beta quantiles, straight from the definition:
lo = beta.ppf(a/2, x, n-x+1) (0 when x = 0), hi = beta.ppf(1-a/2, x+1, n-x) (1 when x = n),
with a = 1 - confidence. One-sided bounds use a instead of a/2. The output is Rust tuples
(x, n, confidence, lo, hi), ready to paste.
"""
import scipy
from scipy.stats import beta

CASES = [
    (0, 10, 0.95), (1, 10, 0.95), (5, 10, 0.95), (9, 10, 0.95), (10, 10, 0.95),
    (3, 17, 0.9), (37, 1000, 0.95), (500, 1000, 0.99), (999, 1000, 0.95),
    (1, 100000, 0.95), (12, 5000, 0.999), (4990, 5000, 0.999999),
    (2, 2000, 0.99999), (1000, 1000, 0.99999),
]
ONE_SIDED = [(7, 40, 0.95), (0, 40, 0.95), (40, 40, 0.9), (123, 456, 0.99)]


def two_sided(x, n, c):
    a = 1 - c
    lo = 0.0 if x == 0 else beta.ppf(a / 2, x, n - x + 1)
    hi = 1.0 if x == n else beta.ppf(1 - a / 2, x + 1, n - x)
    return lo, hi


def main():
    print(f"// scipy {scipy.__version__}: two-sided (x, n, confidence, lo, hi)")
    for x, n, c in CASES:
        lo, hi = map(float, two_sided(x, n, c))
        print(f"({x}, {n}, {c!r}, {lo!r}, {hi!r}),")
    print("// one-sided (x, n, confidence, lower, upper)")
    for x, n, c in ONE_SIDED:
        a = 1 - c
        lo = 0.0 if x == 0 else beta.ppf(a, x, n - x + 1)
        hi = 1.0 if x == n else beta.ppf(1 - a, x + 1, n - x)
        lo, hi = float(lo), float(hi)
        print(f"({x}, {n}, {c!r}, {lo!r}, {hi!r}),")


if __name__ == "__main__":
    main()
