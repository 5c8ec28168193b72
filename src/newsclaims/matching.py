"""One-to-one matching of two sets of spans, optimal under a lexicographic rank.

Every candidate pair (gold i, prediction j) gets a *rank*: a tuple of non-negative integers (the
last may be a fraction) such as ``(credit, 1, shared characters)``. The chosen pairs maximise the summed rank lexicographically — first the
summed first component, then, among the matchings that tie on it, the second, and so on. This is an
ordering, not a weighted sum whose constants a lucky case could beat: the tuple is turned into one
exact integer weight in a radix large enough that no total of a later component can outweigh one
unit of an earlier one (Python integers do not round).

The assignment (Hungarian algorithm) runs separately on each connected component of the candidate
graph; most components are a single pair. Rows and columns are visited in sorted index order, so the
result is a function of the candidates alone, whatever order they come in. Callers that want the
result to be independent of the order of their *records* sort the records canonically first.

This module is the package's one matcher: scoring (``newsclaims.eval``) and inter-annotator
agreement (``newsclaims.agreement``) both use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction

Rank = Callable[[int, int], "tuple | None"]  # rank of pairing gold i with prediction j; None: not allowed


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters shared by two half-open spans."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def overlap_rank(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int, Fraction]:
    """The rank of *overlap matching*: one pair, then the characters shared, then how close the
    boundaries are (shared / union, the Jaccard index). So the most pairs win, then the most shared
    characters, then the tightest pairs."""
    shared = overlap(a, b)
    return (1, shared, Fraction(shared, max(a[1], b[1]) - min(a[0], b[0])))


def overlapping_pairs(gold: Sequence[tuple[int, int]], pred: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Every (gold index, prediction index) whose spans share at least one character, by a sweep."""
    events = sorted([(s, e, 0, i) for i, (s, e) in enumerate(gold)] + [(s, e, 1, j) for j, (s, e) in enumerate(pred)])
    active: list[list[tuple[int, int]]] = [[], []]  # (end, index) of open gold and open predicted spans
    pairs = []
    for start, end, side, index in events:
        for k in (0, 1):
            active[k] = [(e, i) for e, i in active[k] if e > start]
        for _, other in active[1 - side]:
            pairs.append((index, other) if side == 0 else (other, index))
        active[side].append((end, index))
    return sorted(pairs)


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
            i0, delta, j1 = owner[j0], None, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if delta is None or minv[j] < delta:
                        delta, j1 = minv[j], j
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
