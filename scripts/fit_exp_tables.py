#!/usr/bin/env python3
"""Recomputes the constants of the table-based float exp/expm1 kernels.

Prints, for L = 16 and L = 8 table entries, what ExpTable<L> in
ops/kernels/exp-inl.h holds:
  kPow2[j]   2^(j/L) rounded to the nearest float,
  kLoRel[j]  (2^(j/L) - kPow2[j]) / kPow2[j] rounded to float,
  kC0, kC1   exp(r)   ~ 1 + r + kC0 r^2 + kC1 r^3,
  kM0..kM2   expm1(r) ~ r + r^2 (kM0 + kM1 r + kM2 r^2),
with the fits taken on |r| <= ln2 / (2L) (Chebyshev, near-minimax) and the
fit error of each printed in units of 2^-23. Needs python3-mpmath (Debian);
a development aid only, nothing in the build runs it.
"""
import mpmath as mp

mp.mp.dps = 50


def to_float32(v):
    """Nearest IEEE single to the real v (normal range), as a Python float."""
    if v == 0:
        return 0.0
    sign = -1 if v < 0 else 1
    m, e = mp.frexp(abs(v))  # abs(v) = m * 2^e, 0.5 <= m < 1
    return sign * float(mp.nint(m * 2**24)) * 2.0 ** (int(e) - 24)


def fit(g, half_width, terms):
    coeffs, _ = mp.chebyfit(g, [-half_width, half_width], terms, error=True)
    return [to_float32(c) for c in reversed(coeffs)]  # lowest degree first


def worst(approx, exact, half_width, samples=4000):
    err = 0
    for k in range(1, samples):
        r = -half_width + 2 * half_width * mp.mpf(k) / samples
        if r != 0:
            err = max(err, abs(approx(r) / exact(r) - 1))
    return float(err * 2**23)


def main():
    for L in (16, 8):
        h = mp.log(2) / (2 * L)
        pow2 = [to_float32(mp.power(2, mp.mpf(j) / L)) for j in range(L)]
        lo = [to_float32((mp.power(2, mp.mpf(j) / L) - p) / p) for j, p in enumerate(pow2)]
        c0, c1 = fit(lambda r: (mp.exp(r) - 1 - r) / r**2 if r else mp.mpf(1) / 2, h, 2)
        m0, m1, m2 = fit(lambda r: (mp.expm1(r) - r) / r**2 if r else mp.mpf(1) / 2, h, 3)
        e_exp = worst(lambda r: 1 + r + c0 * r**2 + c1 * r**3, mp.exp, h)
        e_em1 = worst(lambda r: r + r**2 * (m0 + m1 * r + m2 * r**2), mp.expm1, h)
        print(f"L = {L}: kScale = {to_float32(L / mp.log(2))!r}, kStep = {to_float32(mp.log(2) / L)!r}")
        print(f"  kC0 = {c0!r}, kC1 = {c1!r}  (exp fit error {e_exp:.3f} eps)")
        print(f"  kM0 = {m0!r}, kM1 = {m1!r}, kM2 = {m2!r}  (expm1 fit error {e_em1:.3f} eps)")
        print("  kPow2  = " + ", ".join(f"{p.hex()}" for p in pow2))
        print("  kLoRel = " + ", ".join(f"{v.hex()}" for v in lo))


if __name__ == "__main__":
    main()
