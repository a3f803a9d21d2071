"""The inner product of the hot paths, single-threaded.

``a @ b`` on 1-d float arrays calls BLAS ``ddot``, which OpenBLAS splits over its threads
above 10,000 entries. On a machine whose cores are busy (other processes, MPI ranks, other
users), waking those threads costs a scheduler tick each time: ``a @ b`` on 40,000 entries
was measured at 4 us when idle and 12-16 ms (a few ticks of 4 ms) under load, slower than
the sparse product it followed. :func:`dot` sums the products in this thread instead
(``np.einsum``, about 11 us for 40,000 entries), so a step's norm or value never waits on
other threads.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dot"]

#: at most this many entries, BLAS runs ``ddot`` in the calling thread (OpenBLAS's limit)
SINGLE_THREADED = 10_000


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """``sum_i a_i b_i`` of two 1-d float arrays of one length, in the calling thread."""
    if a.size <= SINGLE_THREADED:
        return float(a @ b)
    return float(np.einsum("i,i->", a, b))
