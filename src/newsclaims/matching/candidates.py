"""The span front end of matching: which pairs of spans are candidates, and how overlapping spans rank.

Spans are half-open (``end`` exclusive). Candidate pairs share at least one character in the same
document; given the documents' texts, they must also share enough tokens: a *token F1* (2 x shared
tokens / (tokens of one + tokens of the other), tokens as ``newsclaims.tokens.tokenize`` cuts them, a
token counted when a span touches it) of at least ``MIN_TOKEN_F1`` (why: ``newsclaims.eval.scoring``,
"Matching"). Spans of a whole corpus are parallel numpy arrays (``SpanArrays``) sorted by (document,
start, end, canonical record key); the assignment itself is ``assignment``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from newsclaims.tokens import tokenize

from .assignment import EMPTY, match

MIN_TOKEN_F1 = 0.5  # the least token F1 of a candidate pair, where texts are given


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters shared by two half-open spans."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


UNION_CAP = 2**40  # more characters than any span's union: makes "the smaller union" a non-negative rank


def overlap_rank_columns(gold_start, gold_end, pred_start, pred_end) -> list:
    """The rank of *overlap matching*, for arrays of pairs: one pair, then the characters shared,
    then the tightest pairs (the smallest union of the two spans). So the most pairs win; among
    those, the most shared characters; among those, the fewest characters covered by only one."""
    shared = np.maximum(0, np.minimum(gold_end, pred_end) - np.maximum(gold_start, pred_start))
    union = np.maximum(gold_end, pred_end) - np.minimum(gold_start, pred_start)
    return [np.ones_like(shared), shared, UNION_CAP - union]


def overlap_rank(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int, int]:
    """``overlap_rank_columns`` of one pair of spans."""
    count, shared, tightness = (int(column[0]) for column in overlap_rank_columns(*([x] for x in (a[0], a[1], b[0], b[1]))))
    return count, shared, tightness


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


@dataclass
class SpanArrays:
    """Spans of many documents as parallel arrays, in (doc, start, end) order."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray  # label codes; -1 for no label

    @classmethod
    def of(cls, doc, start, end, label) -> SpanArrays:
        return cls(*(np.asarray(a, dtype=np.int64) for a in (doc, start, end, label)))

    def __len__(self) -> int:
        return len(self.doc)

    def take(self, index: np.ndarray) -> SpanArrays:
        """The spans at ``index`` (indices or a boolean mask), in its order."""
        return SpanArrays(self.doc[index], self.start[index], self.end[index], self.label[index])


def candidates(gold: SpanArrays, pred: SpanArrays, texts: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All (gold, prediction) index pairs that share at least one character in the same document and,
    with ``texts`` (the text of each document, by document index), a token F1 of at least ``MIN_TOKEN_F1``."""
    cand_g, cand_p = _sharing_a_character(gold, pred)
    return (cand_g, cand_p) if texts is None else _enough_tokens(gold, pred, cand_g, cand_p, texts)


def _token_ranges(spans: SpanArrays, rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The [first, stop) token indices the spans at ``rows`` touch, of one document's tokens."""
    return (np.searchsorted(ends, spans.start[rows], side="right"), np.searchsorted(starts, spans.end[rows], side="left"))


def _enough_tokens(gold: SpanArrays, pred: SpanArrays, cand_g: np.ndarray, cand_p: np.ndarray, texts: Sequence[str]):
    """The candidate pairs whose token F1 is at least ``MIN_TOKEN_F1`` (only their documents are tokenised)."""
    if len(cand_g) == 0:
        return cand_g, cand_p
    shared, size = np.zeros(len(cand_g), dtype=np.int64), np.zeros(len(cand_g), dtype=np.int64)
    docs = gold.doc[cand_g]
    for d in np.unique(docs).tolist():
        tokens = np.array(tokenize(texts[d]), dtype=np.int64).reshape(-1, 2)
        at = np.flatnonzero(docs == d)
        first_g, stop_g = _token_ranges(gold, cand_g[at], tokens[:, 0], tokens[:, 1])
        first_p, stop_p = _token_ranges(pred, cand_p[at], tokens[:, 0], tokens[:, 1])
        shared[at] = np.maximum(0, np.minimum(stop_g, stop_p) - np.maximum(first_g, first_p))
        size[at] = (stop_g - first_g) + (stop_p - first_p)
    keep = (shared > 0) & (2 * shared >= MIN_TOKEN_F1 * size)
    return cand_g[keep], cand_p[keep]


def _sharing_a_character(gold: SpanArrays, pred: SpanArrays) -> tuple[np.ndarray, np.ndarray]:
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


def match_overlap(gold: SpanArrays, pred: SpanArrays, cand_g: np.ndarray, cand_p: np.ndarray):
    """Overlap matching (``overlap_rank_columns``) among the candidates."""
    return match(cand_g, cand_p, lambda g, p: overlap_rank_columns(gold.start[g], gold.end[g], pred.start[p], pred.end[p]))
