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


def connected_components(pairs) -> list[list[tuple[int, int]]]:
    """The (gold, prediction) pairs grouped by connected component of the bipartite graph they form."""
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
    chosen = []
    for pairs in connected_components(list(edges)):
        comp = [(g, p, edges[(g, p)]) for g, p in pairs]
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


# --- Corpus-wide span matching ------------------------------------------------------------------
# Spans of a whole corpus are numpy arrays; candidate pairs (gold, prediction) share a character.
# A pair whose gold and prediction have no other candidate is matched in every scheme at once,
# without any search; only the rare clusters of several mutually overlapping spans go through the
# optimal assignment above, scheme by scheme and label by label.

from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

from .schemes import SCHEMES, credit  # noqa: E402


@dataclass
class SpanArrays:
    """Spans of many documents: parallel arrays, sorted by (doc, start, end)."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray  # label codes; -1 for no label

    @classmethod
    def build(cls, doc, start, end, label) -> tuple["SpanArrays", np.ndarray]:
        """Sorted arrays and the permutation that sorted them (new position -> original index)."""
        doc, start, end, label = (np.asarray(a, dtype=np.int64) for a in (doc, start, end, label))
        ordered = len(doc) < 2 or bool(np.all((doc[:-1] < doc[1:]) | ((doc[:-1] == doc[1:]) & (
            (start[:-1] < start[1:]) | ((start[:-1] == start[1:]) & (end[:-1] <= end[1:]))))))
        if ordered:  # already in (doc, start, end) order, as most files are: no sort needed
            return cls(doc, start, end, label), np.arange(len(doc))
        order = np.lexsort((end, start, doc))
        return cls(doc[order], start[order], end[order], label[order]), order

    def __len__(self) -> int:
        return len(self.doc)


def _candidates(gold: SpanArrays, pred: SpanArrays) -> tuple[np.ndarray, np.ndarray]:
    """All (gold, prediction) index pairs that share at least one character, same document."""
    if len(gold) == 0 or len(pred) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    stride = int(max(gold.end.max(), pred.end.max())) + 1
    gs, ge = gold.doc * stride + gold.start, gold.doc * stride + gold.end
    ps, pe = pred.doc * stride + pred.start, pred.doc * stride + pred.end
    if np.all(ge[:-1] <= gs[1:]):  # gold spans do not overlap: each prediction meets a run of them
        lo = np.searchsorted(ge, ps, side="right")
        hi = np.searchsorted(gs, pe, side="left")
        count = np.maximum(hi - lo, 0)
        pred_idx = np.repeat(np.arange(len(pred)), count)
        first = np.repeat(np.cumsum(count) - count, count)
        gold_idx = np.repeat(lo, count) + (np.arange(len(pred_idx)) - first)
        return gold_idx, pred_idx
    pairs = []  # overlapping gold spans (nested quotes): a sweep per document
    bounds_g = np.searchsorted(gold.doc, np.arange(int(max(gold.doc.max(), pred.doc.max())) + 2))
    bounds_p = np.searchsorted(pred.doc, np.arange(len(bounds_g)))
    for d in range(len(bounds_g) - 1):
        g0, g1, p0, p1 = bounds_g[d], bounds_g[d + 1], bounds_p[d], bounds_p[d + 1]
        if g1 > g0 and p1 > p0:
            spans_g = list(zip(gold.start[g0:g1].tolist(), gold.end[g0:g1].tolist()))
            spans_p = list(zip(pred.start[p0:p1].tolist(), pred.end[p0:p1].tolist()))
            pairs += [(g0 + i, p0 + j) for i, j in overlapping_pairs(spans_g, spans_p)]
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def _weight_function(scheme: str, gold: SpanArrays, pred: SpanArrays):
    def weight(g: int, p: int) -> float:
        gs, ge, ps, pe = int(gold.start[g]), int(gold.end[g]), int(pred.start[p]), int(pred.end[p])
        shared = min(ge, pe) - max(gs, ps)
        jaccard = shared / (max(ge, pe) - min(gs, ps))
        value = credit(scheme, (gs, ge) == (ps, pe), bool(gold.label[g] == pred.label[p]))
        return value * 1e4 + 1.0 + 0.5 * jaccard  # credit first, then more pairs, then closer boundaries

    return weight


@dataclass
class Matches:
    """For each scheme, the matched (gold, prediction) index pairs, overall and within each label."""

    overall: dict  # scheme -> (gold_idx, pred_idx) arrays
    by_label: dict  # scheme -> (gold_idx, pred_idx) arrays of pairs whose gold and prediction share a label


def match_spans(gold: SpanArrays, pred: SpanArrays, schemes=SCHEMES) -> Matches:
    """Optimal one-to-one matches of every scheme, overall and per label (see schemes.py)."""
    cand_g, cand_p = _candidates(gold, pred)
    deg_g = np.bincount(cand_g, minlength=len(gold))
    deg_p = np.bincount(cand_p, minlength=len(pred))
    alone = (deg_g[cand_g] == 1) & (deg_p[cand_p] == 1)
    lone_g, lone_p = cand_g[alone], cand_p[alone]
    lone_same = gold.label[lone_g] == pred.label[lone_p]
    extra = {s: [] for s in schemes}
    extra_label = {s: [] for s in schemes}
    rest = list(zip(cand_g[~alone].tolist(), cand_p[~alone].tolist()))
    if rest:
        for pairs in connected_components(rest):
            for scheme in schemes:
                weight = _weight_function(scheme, gold, pred)
                extra[scheme] += optimal_matching(pairs, weight)
                same = [(g, p) for g, p in pairs if gold.label[g] == pred.label[p]]
                if same:
                    extra_label[scheme] += optimal_matching(same, weight)
    overall, by_label = {}, {}
    for scheme in schemes:
        eg = np.array([g for g, _ in extra[scheme]], dtype=np.int64)
        ep = np.array([p for _, p in extra[scheme]], dtype=np.int64)
        overall[scheme] = (np.concatenate([lone_g, eg]), np.concatenate([lone_p, ep]))
        lg = np.array([g for g, _ in extra_label[scheme]], dtype=np.int64)
        lp = np.array([p for _, p in extra_label[scheme]], dtype=np.int64)
        by_label[scheme] = (np.concatenate([lone_g[lone_same], lg]), np.concatenate([lone_p[lone_same], lp]))
    return Matches(overall, by_label)
