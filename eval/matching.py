"""One-to-one, order-independent span matching by optimal assignment.

Greedy matching (as in nervaluate) can pair a gold span with the first overlapping prediction and
leave a better pair unmatched, so its results depend on the order of the predictions. Here every
candidate pair gets a weight, and the pairs chosen maximise the total weight (Hungarian algorithm),
computed separately on each connected component of the candidate graph: most components are a
single pair, so the cubic step only runs on the rare clusters of mutually overlapping spans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Weight = Callable[[int, int], "float | None"]  # weight of pairing gold i with prediction j, None if incompatible


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters shared by two half-open spans."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


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
    return pairs


def _hungarian(weights: list[list[float]]) -> list[tuple[int, int]]:
    """Maximum-weight assignment on a dense matrix (rows <= cols after transposition), O(n^2 m)."""
    transposed = len(weights) > len(weights[0])
    if transposed:
        weights = [list(col) for col in zip(*weights)]
    n, m = len(weights), len(weights[0])
    top = max(max(row) for row in weights)
    cost = [[top - w for w in row] for row in weights]
    inf = float("inf")
    u, v = [0.0] * (n + 1), [0.0] * (m + 1)
    owner, way = [0] * (m + 1), [0] * (m + 1)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = owner[j0], inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
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


def optimal_matching(candidates: Sequence[tuple[int, int]], weight: Weight) -> list[tuple[int, int]]:
    """The (gold, prediction) pairs of maximum total weight among the compatible candidates.

    Each gold and each prediction is used at most once; the result does not depend on the order of
    the candidates or of the predictions. Pairs are returned sorted.
    """
    edges = {}
    for g, p in candidates:
        w = weight(g, p)
        if w is not None and w > 0:
            edges[(g, p)] = w
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for g, p in edges:
        parent[find(("g", g))] = find(("p", p))
    components: dict = {}
    for (g, p), w in edges.items():
        components.setdefault(find(("g", g)), []).append((g, p, w))
    chosen = []
    for comp in components.values():
        if len(comp) == 1:
            chosen.append(comp[0][:2])
            continue
        rows = sorted({g for g, _, _ in comp})
        cols = sorted({p for _, p, _ in comp})
        row_at = {g: k for k, g in enumerate(rows)}
        col_at = {p: k for k, p in enumerate(cols)}
        matrix = [[0.0] * len(cols) for _ in rows]
        for g, p, w in comp:
            matrix[row_at[g]][col_at[p]] = w
        for r, c in _hungarian(matrix):
            if matrix[r][c] > 0:
                chosen.append((rows[r], cols[c]))
    return sorted(chosen)
