"""The fused multiply-add a·b + c (one rounding) on NumPy arrays, which NumPy lacks.

``torch.optim``'s updates on the CPU are ``lerp_``, ``addcmul_`` and ``add_(…, alpha=)``
kernels, and torch builds them (for x86-64 with AVX2 or AVX-512, and for ARM64) with the
multiply and the add contracted into one fused instruction: ``p.add_(g, alpha=-lr)`` is
fma(−lr, g, p), rounded once, not p + (−lr·g), rounded twice. To reproduce those updates bit
for bit, :func:`fma` computes the fused result exactly:

float32
    a·b is exact in float64 (24 + 24 bits < 53), and s = a·b + c rounded to float64 then to
    float32 is the fused result except where s lies exactly halfway between two float32 (the
    second rounding then cannot know which side the exact sum was on) or in float32's
    subnormal range. There (rare) s is rounded to float64 *to odd* instead (the error of the
    sum found by TwoSum, an inexact s with an even last bit moved one unit towards the exact
    value) before the cast: with 53 ≥ 24 + 2 bits that makes the double rounding a single
    correct one (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums: proved
    algorithms using rounding to odd", IEEE Trans. Computers 57(4), 2008).
float64
    The same paper's algorithm: a·b = uh + ul exactly (Dekker's product, Veltkamp's split),
    c + uh = th + tl exactly (TwoSum), v = tl + ul rounded to odd, the result th + v rounded
    to nearest. Exact while no intermediate overflows or falls below the normal range: where
    |a| or |b| is beyond about 10²⁹⁹ (the split overflows) or the result is not finite, the
    plain a·b + c (two roundings) is returned instead; a product below about 10⁻²⁹² may be
    off by its own rounding, far below c's last bit unless c is as small.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["fma"]

_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's splitter for 53-bit significands


def _to_odd(s: np.ndarray, err: np.ndarray, finite: bool = False) -> np.ndarray:
    """float64 ``s`` (a rounded sum, at least 1-d) rounded to odd instead: where the exact sum
    s + err is not s and s's last bit is even, the float64 next to s towards the exact sum.
    (``finite=True``: the caller replaces non-finite results anyway; they are not excluded.)"""
    bits = s.view(np.int64)
    fix = (err != 0) & ((bits & 1) == 0)
    if not finite:
        fix &= np.isfinite(s)
    if not fix.any():
        return s
    return np.where(fix, np.nextafter(s, np.copysign(np.inf, err)), s)


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo), hi + lo = a exactly, each with at most 26 significant bits (Veltkamp)."""
    t = _SPLIT * a
    hi = t - (t - a)
    return hi, a - hi


#: low 29 bits of a float64 significand that a float32 midpoint has (a 1, then 28 zeros)
_LOW29 = (1 << 29) - 1
_MID29 = 1 << 28
#: below this magnitude a float32 is subnormal (its last bit is not the 24th)
_F32_TINY = 2.0**-126


def fma(a: Any, b: Any, c: Any, dtype: Any) -> np.ndarray:
    """a·b + c rounded once to ``dtype`` (np.float32 or np.float64), elementwise, broadcast;
    ``c`` an array (the result has its shape, or the broadcast one).

    The operands must already hold values of ``dtype`` (float32 ones are widened exactly).
    Floating-point warnings are the caller's to silence (the engines run under
    ``np.errstate(all="ignore")``).
    """
    C = np.atleast_1d(np.asarray(c, dtype=np.float64))
    if dtype == np.float32:
        S = np.multiply(a, b, dtype=np.float64) + C  # the product is exact
        bits = S.view(np.int64)
        unsure = ((bits & _LOW29) == _MID29) | (np.abs(S) < _F32_TINY)
        if unsure.any():
            P = np.multiply(a, b, dtype=np.float64)
            S, err = _two_sum(P, np.broadcast_to(C, P.shape))
            S = _to_odd(S, err)
        return S.astype(np.float32).reshape(np.shape(S) if np.ndim(c) else ())
    A = np.asarray(a, dtype=np.float64)
    B = np.asarray(b, dtype=np.float64)
    p = A * B
    ah, al = _split(A)
    bh, bl = _split(B)
    ul = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # p + ul = a·b exactly
    th, tl = _two_sum(C, p)
    v, verr = _two_sum(tl, ul)
    r = th + _to_odd(np.atleast_1d(v), np.atleast_1d(verr), finite=True)
    ok = np.isfinite(r)
    if not ok.all():
        r = np.where(ok, r, p + C)
    return r if np.ndim(c) else r.reshape(())
