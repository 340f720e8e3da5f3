"""Compiled (numba) depth-first branch and bound for small per-cycle assignment problems
(:func:`airdefense.engagement.wta.assign`).

Why: a decision cycle's problem is usually tiny (a few shooters, a few dozen threats, one or
two rounds to fire), and HiGHS spends ~10 ms setting up even a seven-variable MILP; over
hundreds of cycles that was most of a trial's assignment time. A depth-first search over the
allowed (shooter, threat) pairs proves the optimum of such a problem in microseconds.

The search (Land and Doig's branch and bound, depth first): pairs are ordered by threat, the
most valuable threat first and within it the pair of highest net first-round gain first; each
level fixes one pair's rounds, from the most the constraints allow down to none. Every node
is a feasible allocation (the pairs below it unfired), so the incumbent only improves. A node
is pruned when its value plus an optimistic bound on what the unfixed pairs can add is no
better than the incumbent: for the current threat ``w_t e^{z_t} (1 - q_min^{room_t})`` with
``q_min`` the lowest single-shot survival among its unfixed pairs, and for the threats after
it ``w_t (1 - q_min^{salvo_t})`` (nothing is fixed for them yet), prices left out. Both
ignore rounds, channels and price, so they can only overestimate: the pruning is exact.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def branch_and_bound(
    pair_s, pair_t, w, log_q, cost, shots, group, channels, max_salvo, node_limit, tol
):  # fmt: skip
    """Maximise ``sum_t w_t (1 - e^{z_t}) - sum c_s x_st`` over the P pairs given (ordered by
    threat, each threat's pairs contiguous; ``log_q`` (P,) per pair). Returns the rounds per
    pair (P,), the objective and whether the search finished within ``node_limit`` nodes
    (then the allocation is optimal)."""
    n_p = pair_s.size
    n_t = w.size
    n_g = channels.size
    # optimistic gain of each pair's threat from its pairs i.. on (smallest q among them)
    q_min = np.ones(n_p + 1)
    for i in range(n_p - 1, -1, -1):
        q = math.exp(log_q[i])
        same = i + 1 < n_p and pair_t[i + 1] == pair_t[i]
        q_min[i] = min(q, q_min[i + 1]) if same else q
    # static bound of the threats after each pair's threat (their z is still 0 there)
    after = np.zeros(n_p + 1)
    for i in range(n_p - 1, -1, -1):
        if i + 1 < n_p and pair_t[i + 1] == pair_t[i]:
            after[i] = after[i + 1]
        elif i + 1 < n_p:
            t = pair_t[i + 1]
            after[i] = after[i + 1] + w[t] * (1.0 - q_min[i + 1] ** max_salvo[t])
    left = shots.copy()
    room = max_salvo.copy()
    count = np.zeros((n_g, n_t), dtype=np.int64)
    free = channels.copy()
    z = np.zeros(n_t)
    k = np.zeros(n_p, dtype=np.int64)
    val_at = np.zeros(n_p + 1)  # objective before level i's pair is applied
    z_at = np.zeros(n_p + 1)  # its threat's z before
    best_k = np.zeros(n_p, dtype=np.int64)
    best = 0.0
    val = 0.0
    nodes = 0
    finished = True
    i = 0
    descending = True  # entering level i (else: coming back up to it)
    while True:
        if descending:
            nodes += 1
            if val > best + tol:
                best = val
                for a in range(n_p):
                    best_k[a] = k[a] if a < i else 0
            if i == n_p:
                descending = False
                i -= 1
                if i < 0:
                    break
                continue
            t = pair_t[i]
            bound = w[t] * math.exp(z[t]) * (1.0 - q_min[i] ** room[t]) + after[i]
            if nodes >= node_limit:
                finished = False
                bound = -np.inf
            if val + bound <= best + tol:
                descending = False
                i -= 1
                if i < 0:
                    break
                continue
            s = pair_s[i]
            g = group[s]
            kmax = min(left[s], room[t])
            if count[g, t] == 0 and free[g] <= 0:
                kmax = 0
            k[i] = kmax
            val_at[i] = val
            z_at[i] = z[t]
        else:
            # back at level i: take its pair's rounds off, try one fewer
            t = pair_t[i]
            s = pair_s[i]
            g = group[s]
            if k[i] > 0:
                left[s] += k[i]
                room[t] += k[i]
                count[g, t] -= k[i]
                if count[g, t] == 0:
                    free[g] += 1
                z[t] = z_at[i]
                val = val_at[i]
            if k[i] == 0 or nodes >= node_limit:
                if nodes >= node_limit:
                    finished = False
                k[i] = 0
                i -= 1
                if i < 0:
                    break
                continue
            k[i] -= 1
        # apply level i's rounds and go down
        t = pair_t[i]
        s = pair_s[i]
        g = group[s]
        if k[i] > 0:
            if count[g, t] == 0:
                free[g] -= 1
            count[g, t] += k[i]
            left[s] -= k[i]
            room[t] -= k[i]
            z_new = z[t] + k[i] * log_q[i]
            val = val + w[t] * (math.exp(z[t]) - math.exp(z_new)) - cost[s] * k[i]
            z[t] = z_new
        descending = True
        i += 1
    return best_k, best, finished
