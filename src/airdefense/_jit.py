"""Small compiled (numba) helpers shared by the kernels of several stages."""

from __future__ import annotations

from numba import njit


@njit(cache=True, fastmath=False, nogil=True)
def interp1(x, xp, fp):
    """np.interp(x, xp, fp) for one x on an increasing table (numpy's bracketing,
    xp[j] <= x < xp[j + 1], and formula; clamped beyond the table)."""
    n = xp.shape[0]
    if x != x:
        return x
    if x < xp[0]:
        return fp[0]
    if x >= xp[n - 1]:
        return fp[n - 1]
    # uniform grid guess, then exact bracketing
    j = int((x - xp[0]) / (xp[1] - xp[0]))
    if j < 0:
        j = 0
    if j > n - 2:
        j = n - 2
    while j > 0 and xp[j] > x:
        j -= 1
    while j < n - 2 and xp[j + 1] <= x:
        j += 1
    if xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    res = slope * (x - xp[j]) + fp[j]
    if res != res:
        res = slope * (x - xp[j + 1]) + fp[j + 1]
        if res != res and fp[j] == fp[j + 1]:
            res = fp[j]
    return res
