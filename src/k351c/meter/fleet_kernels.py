"""The fleet load's inner loops, compiled by numba: per meter and interval, the hash, the uniforms, P, Q, U.

numpy spent most of the load's time on broadcasts whose innermost axis is the three phases (a
loop of three elements per call) and on temporaries; one compiled pass writes each value once.
The arithmetic is the load model's, operation for operation (numba keeps IEEE order: no fused
multiply-add, no reassociation), so the results are bit-identical to the numpy expressions they
replaced. The hash is ``loads._splitmix`` and the spread ``fleet_load.spread``, the same Python
functions compiled for scalars. Compiled code is cached beside the module (``cache=True``), so a
process after the first loads it instead of compiling (about 2 s).
"""

from __future__ import annotations

import numba
import numpy as np

from k351c.meter.loads import _splitmix

_FIELD_BITS = 16
_FIELD_MASK = np.uint64((1 << _FIELD_BITS) - 1)
_FIELD_SCALE = 1.0 / float(1 << _FIELD_BITS)

splitmix = numba.njit(cache=True)(_splitmix)


def _spread(r: float, width: float) -> float:
    """1 + width * (2 r - 1): the noise factor of a uniform r, in fleet_load.spread's operation order."""
    out = r * 2.0
    out -= 1.0
    out *= width
    out += 1.0
    return out


spread = numba.njit(cache=True)(_spread)


@numba.njit(cache=True)
def field(z: np.uint64 | np.ndarray, j: int) -> float:
    """The j-th 16-bit field (low bits first) of a 64-bit hash (``splitmix``'s, typed as its arrays)
    as a uniform in (0, 1)."""
    bits = (z >> np.uint64(_FIELD_BITS * j)) & _FIELD_MASK
    return (np.float64(bits) + 0.5) * _FIELD_SCALE


@numba.njit(cache=True, nogil=True)
def quad_uniform(keys: np.ndarray, idx: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Four uniforms per (key, index) from one hash into ``out`` (len(keys), len(idx), 4)."""
    for a in range(keys.size):
        for b in range(idx.size):
            z = splitmix(np.uint64(idx[b]) ^ keys[a])
            for j in range(4):
                out[a, b, j] = field(z, j)
    return out


@numba.njit(cache=True, nogil=True)
def power(
    keys: np.ndarray,
    idx: np.ndarray,
    base: np.ndarray,
    scale: np.ndarray,
    tan_phi: np.ndarray,
    voltage: np.ndarray,
    noise: float,
    voltage_noise: float,
    p: np.ndarray,
    q: np.ndarray,
    u: np.ndarray,
) -> None:
    """P, Q, U (n, m, 3) of meters with hash ``keys`` in intervals ``idx``.

    ``base`` (m,) is the per-phase shape power, ``scale`` (n, 3) size times phase weight,
    ``voltage`` (n, 3) each phase's mean voltage. Per interval the hash's fields 0-2 are the phases'
    noise and field 3 the supply's deviation: p = base * scale * spread(r, noise), q = p tan(phi),
    u = voltage * spread(r3, voltage_noise).
    """
    for a in range(keys.size):
        for b in range(idx.size):
            z = splitmix(np.uint64(idx[b]) ^ keys[a])
            deviation = spread(field(z, 3), voltage_noise)
            for ph in range(3):
                value = base[b] * scale[a, ph]
                value *= spread(field(z, ph), noise)
                p[a, b, ph] = value
                q[a, b, ph] = value * tan_phi[a]
                u[a, b, ph] = voltage[a, ph] * deviation


@numba.njit(cache=True, nogil=True)
def current(p: np.ndarray, q: np.ndarray, u: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Each phase's current |S| / U into ``out`` (arrays (N, 3)); 0 V divides by 1 (no current flows)."""
    for a in range(p.shape[0]):
        for ph in range(3):
            volts = u[a, ph]
            out[a, ph] = np.hypot(p[a, ph], q[a, ph]) / (volts if volts > 0 else 1.0)
    return out
