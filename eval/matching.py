"""Corpus-wide span matching on arrays (the third stage: loaders -> spans -> matching -> scoring).

Spans of a whole corpus are parallel numpy arrays sorted by (document, start, end, canonical
record key). Candidate pairs share at least one character in the same document. A candidate whose
gold span and prediction have no other candidate is decided on its own, without any search; only
clusters of mutually overlapping spans go through the exact lexicographic assignment of
``newsclaims.matching.best_matching``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from newsclaims.matching import best_matching, overlap_rank_columns, overlapping_pairs

from .schemes import Scheme

EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class SpanArrays:
    """Spans of many documents as parallel arrays, in (doc, start, end) order."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray  # label codes; -1 for no label

    @classmethod
    def of(cls, doc, start, end, label) -> "SpanArrays":
        return cls(*(np.asarray(a, dtype=np.int64) for a in (doc, start, end, label)))

    def __len__(self) -> int:
        return len(self.doc)


def candidates(gold: SpanArrays, pred: SpanArrays) -> tuple[np.ndarray, np.ndarray]:
    """All (gold, prediction) index pairs that share at least one character in the same document."""
    if len(gold) == 0 or len(pred) == 0:
        return EMPTY, EMPTY
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


def pair_facts(gold: SpanArrays, pred: SpanArrays, g: np.ndarray, p: np.ndarray):
    """(same boundaries, same label) of index pairs, as arrays."""
    same_bounds = (gold.start[g] == pred.start[p]) & (gold.end[g] == pred.end[p])
    return same_bounds, gold.label[g] == pred.label[p]


RankColumns = Callable[[np.ndarray, np.ndarray], list]  # (gold idx, pred idx) -> rank components, one array each


def match(cand_g: np.ndarray, cand_p: np.ndarray, rank_columns: RankColumns) -> tuple[np.ndarray, np.ndarray]:
    """The lexicographically best one-to-one matching among candidate pairs (index arrays).

    ``rank_columns(g, p)`` gives the rank of each candidate pair as non-negative integer arrays, one
    per component (see ``newsclaims.matching``); every rank has a non-zero component. A candidate
    that is its gold's and its prediction's only one is chosen without search; the others are first
    pruned (``prune``), then matched exactly.
    """
    if len(cand_g) == 0:
        return EMPTY, EMPTY
    deg_g = np.bincount(cand_g)
    deg_p = np.bincount(cand_p)
    alone = (deg_g[cand_g] == 1) & (deg_p[cand_p] == 1)
    chosen = []
    if not alone.all():
        g, p = cand_g[~alone], cand_p[~alone]
        g, p, columns = prune(g, p, rank_columns(g, p), deg_p)
        ranks = dict(zip(zip(g.tolist(), p.tolist()), zip(*(c.tolist() for c in columns))))
        chosen = best_matching(ranks, lambda g, p: ranks[(g, p)])
    extra_g = np.array([g for g, _ in chosen], dtype=np.int64)
    extra_p = np.array([p for _, p in chosen], dtype=np.int64)
    g_idx = np.concatenate([cand_g[alone], extra_g])
    p_idx = np.concatenate([cand_p[alone], extra_p])
    order = np.lexsort((p_idx, g_idx))
    return g_idx[order], p_idx[order]


def prune(g: np.ndarray, p: np.ndarray, columns: list, deg_p: np.ndarray):
    """Drop candidate pairs that no optimal matching needs: each gold keeps only its k best-ranked
    predictions (ties by prediction index), where k is one more than the number of other golds that
    share a prediction with it. If a gold were matched outside its k best, one of them would be free
    (at most k - 1 other golds can take them), and taking it loses nothing. This keeps one gold span
    overlapped by 200,000 predictions from making the assignment cubic in 200,000."""
    shared = deg_p[p] > 1
    neighbours = np.zeros(int(g.max()) + 1, dtype=np.int64)
    if shared.any():
        order = np.argsort(p[shared], kind="stable")
        ps, gs = p[shared][order], g[shared][order]
        starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
        pairs = set()
        for a, b in zip(starts.tolist(), np.r_[starts[1:], len(ps)].tolist()):
            golds = gs[a:b].tolist()
            pairs.update((x, y) for x in golds for y in golds if x != y)
        if pairs:
            np.add.at(neighbours, np.array([x for x, _ in pairs], dtype=np.int64), 1)
    order = np.lexsort((p, *(-c for c in reversed(columns)), g))
    g, p, columns = g[order], p[order], [c[order] for c in columns]
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    place = np.arange(len(g)) - np.repeat(first, np.diff(np.r_[first, len(g)]))
    keep = place < neighbours[g] + 1
    return g[keep], p[keep], [c[keep] for c in columns]


def match_scheme(scheme: Scheme, gold: SpanArrays, pred: SpanArrays, cand_g: np.ndarray, cand_p: np.ndarray):
    """The scheme's matching among the candidates (see ``Scheme.rank_columns``)."""
    return match(cand_g, cand_p, lambda g, p: scheme.rank_columns(gold.start[g], gold.end[g], pred.start[p], pred.end[p],
                                                                  gold.label[g] == pred.label[p]))


def match_overlap(gold: SpanArrays, pred: SpanArrays, cand_g: np.ndarray, cand_p: np.ndarray):
    """Overlap matching (``newsclaims.matching.overlap_rank_columns``)."""
    return match(cand_g, cand_p, lambda g, p: overlap_rank_columns(gold.start[g], gold.end[g], pred.start[p], pred.end[p]))
