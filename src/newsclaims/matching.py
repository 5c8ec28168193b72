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

Rank = Callable[[int, int], "tuple | None"]  # rank of pairing gold i with prediction j; None: not allowed


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters shared by two half-open spans."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


UNION_CAP = 2**40  # more characters than any span's union: makes "the smaller union" a non-negative rank


def overlap_rank_columns(gold_start, gold_end, pred_start, pred_end) -> list:
    """The rank of *overlap matching*, for arrays of pairs: one pair, then the characters shared,
    then the tightest pairs (the smallest union of the two spans). So the most pairs win; among
    those, the most shared characters; among those, the fewest characters covered by only one."""
    import numpy as np

    shared = np.maximum(0, np.minimum(gold_end, pred_end) - np.maximum(gold_start, pred_start))
    union = np.maximum(gold_end, pred_end) - np.minimum(gold_start, pred_start)
    return [np.ones_like(shared), shared, UNION_CAP - union]


def overlap_rank(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int, int]:
    """``overlap_rank_columns`` of one pair of spans."""
    return tuple(int(column[0]) for column in overlap_rank_columns(*([x] for x in (a[0], a[1], b[0], b[1]))))


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


def _pruned_components(ranks: dict) -> list[list[tuple[int, int]]]:
    """Components of the candidate graph, with the edges no optimal matching needs removed.

    In a component of n gold and m > n predictions, some optimal matching uses, for each gold, one
    of its n best-ranked predictions: if a gold were matched outside its n best, one of those n is
    free (the other n - 1 golds use at most n - 1) and taking it loses nothing. So each gold keeps
    its n best edges (ties by prediction index), and symmetrically when m < n. Pruning can split a
    component; the pieces are pruned again until nothing changes. Without it, one gold span overlapped
    by 200,000 predictions makes the assignment cubic in 200,000.
    """
    out = []
    pending = connected_components(ranks)
    while pending:
        comp = pending.pop()
        rows = {g for g, _ in comp}
        cols = {p for _, p in comp}
        if len(comp) == 1 or len(rows) == len(cols):
            out.append(comp)
            continue
        side, keep = (0, len(rows)) if len(cols) > len(rows) else (1, len(cols))
        by_side: dict[int, list] = {}
        for pair in comp:
            by_side.setdefault(pair[side], []).append(pair)
        kept = []
        for pairs in by_side.values():
            pairs.sort(key=lambda pair: (tuple(-x for x in ranks[pair]), pair[1 - side]))
            kept += pairs[:keep]
        if len(kept) == len(comp):
            out.append(comp)
        else:
            pending += connected_components(kept)
    return sorted(out)


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
    for comp in _pruned_components(ranks):
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
