"""One-to-one assignment of ranked candidate pairs, optimal under a lexicographic rank.

Every candidate pair (gold i, prediction j) gets a *rank*: a tuple of non-negative integers (the
last may be a fraction) such as ``(credit, 1, shared characters)``. The chosen pairs maximise the
summed rank lexicographically — first the summed first component, then, among the matchings that tie
on it, the second, and so on. This is an ordering, not a weighted sum whose constants a lucky case
could beat: the tuple is turned into one exact integer weight in a radix large enough that no total
of a later component can outweigh one unit of an earlier one (Python integers do not round).

Candidates no optimal matching needs are dropped first (``prune``, the one place this is done); the
assignment (Hungarian algorithm) then runs separately on each connected component of what is left;
most components are a single pair. Rows and columns are visited in sorted index order, so the result
is a function of the candidates alone, whatever order they come in. Callers that want the result to
be independent of the order of their *records* sort the records canonically first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

Rank = Callable[[int, int], "tuple | None"]  # rank of pairing gold i with prediction j; None: not allowed
RankColumns = Callable[[np.ndarray, np.ndarray], list]  # (gold idx, pred idx) -> rank components, one array each
EMPTY = np.zeros(0, dtype=np.int64)


def _hungarian(weights: list[list[int]]) -> list[tuple[int, int]]:
    """Maximum-weight assignment on a dense integer matrix, O(n^2 m); exact (integers only)."""
    transposed = len(weights) > len(weights[0])
    if transposed:
        weights = [list(col) for col in zip(*weights)]
    n, m = len(weights), len(weights[0])
    top = max(max(row) for row in weights)
    cost = [[top - w for w in row] for row in weights]
    big = top * (n + m + 2) + 1  # larger than any reduced cost: plays the part of infinity, exactly
    u, v = [0] * (n + 1), [0] * (m + 1)
    owner, way = [0] * (m + 1), [0] * (m + 1)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = [big] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0, j1 = owner[j0], 0
            delta: int | None = None
            for j in range(1, m + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if delta is None or minv[j] < delta:
                        delta, j1 = minv[j], j
            assert delta is not None  # m >= n: some column is always unused
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    pairs = [(owner[j] - 1, j - 1) for j in range(1, m + 1) if owner[j]]
    return [(j, i) for i, j in pairs] if transposed else pairs


def connected_components(pairs: Iterable[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The (gold, prediction) pairs grouped by connected component of the bipartite graph they form,
    each component sorted, components in order of their first pair."""
    pairs = sorted(set(pairs))
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for g, p in pairs:
        parent[find(("g", g))] = find(("p", p))
    groups: dict = {}
    for g, p in pairs:
        groups.setdefault(find(("g", g)), []).append((g, p))
    return list(groups.values())


def _neighbours(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """For each index on one side, how many others on its side share a partner with it."""
    counts = np.zeros(int(own.max()) + 1, dtype=np.int64)
    shared = np.bincount(other)[other] > 1
    if shared.any():
        order = np.argsort(other[shared], kind="stable")
        partners, owners = other[shared][order], own[shared][order]
        starts = np.flatnonzero(np.r_[True, partners[1:] != partners[:-1]])
        pairs: set[tuple[int, int]] = set()
        for a, b in zip(starts.tolist(), np.r_[starts[1:], len(partners)].tolist()):
            group = owners[a:b].tolist()
            pairs.update((x, y) for x in group for y in group if x != y)
        if pairs:
            np.add.at(counts, np.array([x for x, _ in pairs], dtype=np.int64), 1)
    return counts


def _keep_best(own: np.ndarray, other: np.ndarray, columns: list) -> np.ndarray:
    """Which pairs one side keeps: each index its k best-ranked pairs (ties: the lower partner index
    first), k one more than its ``_neighbours``."""
    order = np.lexsort((other, *(-c for c in reversed(columns)), own))
    first = np.flatnonzero(np.r_[True, own[order][1:] != own[order][:-1]])
    place = np.empty(len(own), dtype=np.int64)
    place[order] = np.arange(len(own)) - np.repeat(first, np.diff(np.r_[first, len(own)]))
    return place < _neighbours(own, other)[own] + 1


def prune(g: np.ndarray, p: np.ndarray, columns: list) -> tuple[np.ndarray, np.ndarray, list]:
    """The candidate pairs (index arrays, rank components ``columns``) without those no optimal matching needs.

    Each gold keeps only its k best-ranked predictions (ties by prediction index), where k is one more
    than the number of other golds that share a prediction with it: if an optimal matching paired the
    gold outside its k best, one of them would be free (the k - 1 other golds take at most k - 1), and
    taking it loses nothing. Then each prediction keeps its best golds by the same rule, and the two
    turns repeat until nothing changes. This keeps one gold span overlapped by 200,000 predictions
    from making the assignment cubic in 200,000.
    """
    while len(g):
        keep = _keep_best(g, p, columns)
        g, p, columns = g[keep], p[keep], [c[keep] for c in columns]
        keep_p = _keep_best(p, g, columns)
        g, p, columns = g[keep_p], p[keep_p], [c[keep_p] for c in columns]
        if keep.all() and keep_p.all():
            break
    return g, p, columns


def _assign(ranks: dict) -> list[tuple[int, int]]:
    """The best pairs of pruned candidates (pair -> rank tuple), by component; sorted."""
    chosen = []
    for comp in connected_components(ranks):
        if len(comp) == 1:
            if any(ranks[comp[0]]):
                chosen.append(comp[0])
            continue
        rows = sorted({g for g, _ in comp})
        cols = sorted({p for _, p in comp})
        most = min(len(rows), len(cols))
        # radix per component: more than any matching's total of the later components
        radix = math.floor(max(max(ranks[pair]) for pair in comp) * most) + 1
        row_at = {g: k for k, g in enumerate(rows)}
        col_at = {p: k for k, p in enumerate(cols)}
        matrix = [[0] * len(cols) for _ in rows]
        for pair in comp:
            weight = 0
            for part in ranks[pair]:
                weight = weight * radix + part
            matrix[row_at[pair[0]]][col_at[pair[1]]] = weight
        for r, c in _hungarian(matrix):
            if matrix[r][c] > 0:
                chosen.append((rows[r], cols[c]))
    return sorted(chosen)


def best_matching(candidates: Iterable[tuple[int, int]], rank: Rank) -> list[tuple[int, int]]:
    """The (gold, prediction) pairs whose summed rank is lexicographically greatest.

    Each gold and each prediction is used at most once; pairs whose rank is None, or all zeros, are
    never chosen (put a constant 1 in the rank to prefer more pairs). Returns the pairs sorted.
    """
    ranks = {}
    for g, p in set(candidates):
        r = rank(g, p)
        if r is not None:
            ranks[(g, p)] = tuple(r)
    if not ranks:
        return []
    pairs = sorted(ranks)
    level = {r: i for i, r in enumerate(sorted(set(ranks.values())))}  # the ranks' order, as integers for ``prune``
    kept_gold, kept_pred, _ = prune(np.array([g for g, _ in pairs], dtype=np.int64), np.array([p for _, p in pairs], dtype=np.int64),
                                    [np.array([level[ranks[pair]] for pair in pairs], dtype=np.int64)])
    return _assign({pair: ranks[pair] for pair in zip(kept_gold.tolist(), kept_pred.tolist())})


def match(cand_g: np.ndarray, cand_p: np.ndarray, rank_columns: RankColumns) -> tuple[np.ndarray, np.ndarray]:
    """``best_matching`` of candidate index arrays, sorted by gold then prediction.

    ``rank_columns(g, p)`` gives the rank of each candidate pair as non-negative integer arrays, one
    per component; every rank has a non-zero component. A candidate that is its gold's and its
    prediction's only one is chosen without search; only the others are ranked, pruned and assigned.
    """
    if len(cand_g) == 0:
        return EMPTY, EMPTY
    alone = (np.bincount(cand_g)[cand_g] == 1) & (np.bincount(cand_p)[cand_p] == 1)
    chosen = []
    if not alone.all():
        g, p = cand_g[~alone], cand_p[~alone]
        g, p, columns = prune(g, p, rank_columns(g, p))
        chosen = _assign(dict(zip(zip(g.tolist(), p.tolist()), zip(*(c.tolist() for c in columns)))))
    g_idx = np.concatenate([cand_g[alone], np.array([g for g, _ in chosen], dtype=np.int64)])
    p_idx = np.concatenate([cand_p[alone], np.array([p for _, p in chosen], dtype=np.int64)])
    order = np.lexsort((p_idx, g_idx))
    return g_idx[order], p_idx[order]
