"""One layer's spans, corpus-wide: gold and predictions as arrays in canonical order, ready to match.

``layer_data`` (quotes, numeric claims: records held as dicts) and ``entity_layer_data`` (entities:
records held as ``records.EntityTable`` columns) give the same ``LayerData``. Order is canonical, for
the gold as for the predictions (document, start, end, then a code of the record's content that
sorts as the content does), never file order; predictions become a set here. Hedges (predictions
of one span that differ in judged fields) are judged here as their worst alternative
(``LayerData.alternatives``, ``worst_record``, ``worst_clustering``). These are ``scoring``'s rule
"Order and duplicates".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import product

import numpy as np

from newsclaims.counts import PRF
from newsclaims.labels import ENTITY_LABELS
from newsclaims.matching import EMPTY, SpanArrays, candidates, match, overlap_rank_columns

from .entity_columns import EntityTable
from .spans import content_key


@dataclass
class LayerData:
    """One layer of one run: gold and placed predictions as records and as ``SpanArrays`` in canonical
    order, the predictions that could not be placed, and the candidate pairs (sharing a character; in ``layer_data``, enough tokens too)."""

    layer: str
    doc_ids: list[str]
    texts: dict[str, str]
    gold: list[dict]  # gold records in (document, start, end) order; their documents are g.doc
    pred: list[dict]  # placed predictions in (document, start, end, content) order; documents p.doc
    unplaced: list[tuple[int, dict]]
    g: SpanArrays
    p: SpanArrays
    cand_g: np.ndarray
    cand_p: np.ndarray
    known_given: dict = field(default_factory=dict)  # field -> whether a placed record gives it, where arrays told

    def given(self, *fields: str) -> bool:
        """Whether some predicted record (placed or not) gives one of the fields, or the layer was
        predicted empty: an empty list predicts nothing, so every field is predicted (and scores 0)."""
        if len(self.pred) == 0 and not self.unplaced:
            return True
        placed = any(self.known_given[f] if f in self.known_given else any(r.get(f) is not None for r in self.pred)
                     for f in fields)
        return placed or any(r.get(f) is not None for _, r in self.unplaced for f in fields)

    def n_unplaced_per_doc(self) -> np.ndarray:
        return np.bincount(np.array([d for d, _ in self.unplaced], dtype=np.int64), minlength=len(self.doc_ids))

    def predicted_per_doc(self) -> np.ndarray:
        return np.bincount(self.p.doc, minlength=len(self.doc_ids)) + self.n_unplaced_per_doc()

    def gold_per_doc(self) -> np.ndarray:
        return np.bincount(self.g.doc, minlength=len(self.doc_ids))

    def per_doc_prf(self, g_idx: np.ndarray) -> list[PRF]:
        """PRF per document: one true positive per gold record of a matched pair."""
        tp = np.bincount(self.g.doc[g_idx], minlength=len(self.doc_ids))
        return [PRF.of(float(t), int(pr), int(go)) for t, pr, go in zip(tp, self.predicted_per_doc(), self.gold_per_doc())]

    def doc_of(self, g: int) -> str:
        """The doc_id of gold record g."""
        return self.doc_ids[int(self.g.doc[g])]

    def filtered(self, keep, paired: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The candidates for which ``keep(gold record, predicted record, doc_id)`` is true. Given
        ``paired`` (the predictions a matching paired), a hedge is kept only when ``keep`` is true
        for every alternative of its prediction as well (``alternatives``)."""
        pairs = list(zip(self.cand_g.tolist(), self.cand_p.tolist()))
        others = self.alternatives(self.cand_p, paired) if paired is not None else [()] * len(pairs)
        mask = np.array([all(keep(self.gold[g], self.pred[q], self.doc_ids[self.g.doc[g]]) for q in (p, *alts))
                         for (g, p), alts in zip(pairs, others)], dtype=bool)
        return (self.cand_g[mask], self.cand_p[mask]) if len(mask) else (EMPTY, EMPTY)

    @cached_property
    def span_group(self) -> np.ndarray:
        """For each prediction, a number shared by the predictions of its document and span (they are
        neighbours in canonical order)."""
        p = self.p
        new = np.r_[True, (p.doc[1:] != p.doc[:-1]) | (p.start[1:] != p.start[:-1]) | (p.end[1:] != p.end[:-1])]
        return np.cumsum(new[:len(p)]) - 1

    @cached_property
    def label_hedged(self) -> np.ndarray:
        """For each prediction, whether its span is predicted with another label as well (a hedge
        of labels: in a per-label view it counts as the wrong label)."""
        group, label = self.span_group, self.p.label
        if not len(group):
            return np.zeros(0, dtype=bool)
        low = np.full(int(group[-1]) + 1, np.iinfo(np.int64).max)
        high = np.full(int(group[-1]) + 1, np.iinfo(np.int64).min)
        np.minimum.at(low, group, label)
        np.maximum.at(high, group, label)
        return (low != high)[group]

    def alternatives(self, p_idx: np.ndarray, paired: np.ndarray | None = None) -> list[Sequence[int]]:
        """For each prediction of ``p_idx``, its *alternatives*: the other predictions of its document
        and span that the matching leaves unpaired (``paired``: the predictions it paired; default
        ``p_idx``). A prediction with alternatives is a hedge, judged as its worst alternative."""
        paired = np.asarray(p_idx if paired is None else paired, dtype=np.int64)
        group = self.span_group
        spare: dict[int, list[int]] = {}
        if len(group) and len(p_idx):
            unpaired = np.bincount(group)[group] > 1
            unpaired[paired] = False
            for q in np.flatnonzero(unpaired).tolist():
                spare.setdefault(int(group[q]), []).append(q)
        out: list[Sequence[int]] = [()] * len(p_idx)
        if not spare:
            return out
        with_spare = np.zeros(int(group[-1]) + 1, dtype=bool)
        with_spare[list(spare)] = True
        for k in np.flatnonzero(with_spare[group[p_idx]]).tolist():  # only predictions of a hedged span look further
            p = int(p_idx[k])
            out[k] = [q for q in spare[int(group[p])] if q != p]
        return out

    def judged(self, pairs: Sequence[tuple[int, int]], checks: Callable[[str, dict], Sequence[Check]],
               paired: np.ndarray | None = None) -> list[dict]:
        """For each (gold, prediction) pair, the prediction as judged: with its alternatives among the
        predictions left unpaired (``paired``: those paired; default: the pairs'), its worst alternative
        on each attribute of ``checks(doc_id, gold)`` (``worst_record``)."""
        p_idx = np.array([p for _, p in pairs], dtype=np.int64)
        others = self.alternatives(p_idx, paired)
        return [worst_record(self.pred[p], [self.pred[q] for q in alts], checks(self.doc_of(g), self.gold[g]))
                if alts else self.pred[p] for (g, p), alts in zip(pairs, others)]

    def match_overlap(self, right: Callable[[dict, dict, str], int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Overlap matching (``newsclaims.matching.overlap_rank_columns``) among the candidates, then,
        among pairings equal on it, the most judged attributes right: ``right(gold, pred, doc_id)``
        counts them. So a prediction goes to a gold record of its span on which it is right, whatever
        the gold's order; a hedge is then judged as its worst alternative (``worst_record``)."""
        def columns(g: np.ndarray, p: np.ndarray) -> list:
            ranks = overlap_rank_columns(self.g.start[g], self.g.end[g], self.p.start[p], self.p.end[p])
            if right is None:
                return ranks
            rights = [right(self.gold[i], self.pred[j], self.doc_ids[self.g.doc[i]]) for i, j in zip(g.tolist(), p.tolist())]
            return [*ranks, np.array(rights, dtype=np.int64).reshape(len(g))]

        return match(self.cand_g, self.cand_p, columns)


Check = tuple[tuple[str, ...], Callable[[dict], bool]]  # a judged attribute: its fields, and whether a prediction is right on it


def worst_record(pred: dict, alternatives: Sequence[dict], checks: Sequence[Check]) -> dict:
    """A hedge as its worst alternative: ``pred`` with, for each judged attribute ``(fields, right)``,
    the fields of a prediction among it and its alternatives that is wrong on the attribute (one
    that gives them first: a wrong value given is worse than none), when one is."""
    if not alternatives:
        return pred
    record = pred
    for fields, right in checks:
        wrong = [q for q in (pred, *alternatives) if not right(q)]
        if wrong:
            worst = next((q for q in wrong if any(q.get(f) is not None for f in fields)), wrong[0])
            if worst is not pred:
                record = {**record, **{f: worst.get(f) for f in fields}}
    return record


MAX_HEDGE_COMBINATIONS = 4096  # hedged items' alternatives scored exactly up to this many combinations


def worst_clustering(gold: dict, pred: dict, hedged: dict, scorers: dict) -> dict:
    """Clustering scores where each hedged item (item -> its alternative cluster ids besides
    ``pred[item]``) counts, for each number, as its worst alternative: every combination of the
    alternatives is scored and each number is its least value. Beyond MAX_HEDGE_COMBINATIONS
    combinations the items are taken one at a time, each at its alternative of least F1."""
    hedged = {item: [pred[item], *(c for c in choices if c != pred[item])] for item, choices in hedged.items()}
    hedged = {item: choices for item, choices in hedged.items() if len(choices) > 1}
    if not hedged:
        return {name: scorer(gold, pred) for name, scorer in scorers.items()}
    items = sorted(hedged, key=repr)
    if np.prod([float(len(hedged[i])) for i in items]) > MAX_HEDGE_COMBINATIONS:
        pred = dict(pred)
        for item in items:
            def f1(choice, item=item):
                return sum(scorer(gold, {**pred, item: choice})["f1"] or 0 for scorer in scorers.values())
            pred[item] = min(hedged[item], key=lambda c: (f1(c), hedged[item].index(c)))
        combos = [pred]
    else:
        combos = [{**pred, **dict(zip(items, choice))} for choice in product(*(hedged[i] for i in items))]
    results = [{name: scorer(gold, c) for name, scorer in scorers.items()} for c in combos]
    return {name: {key: (min((r[name][key] for r in results if r[name][key] is not None), default=None)
                         if key in ("precision", "recall", "f1") else value)
                   for key, value in results[0][name].items()} for name in scorers}


class _Codes(dict):
    def __missing__(self, key):  # no label, or one outside the list
        return -1


def _arrays(docs: list[int], records: list[dict], label_field: str, names) -> SpanArrays:
    from operator import itemgetter, methodcaller

    code = _Codes((name, i) for i, name in enumerate(names))
    n = len(records)
    return SpanArrays(np.repeat(np.arange(len(docs), dtype=np.int64), docs),
                      np.fromiter(map(itemgetter("start"), records), dtype=np.int64, count=n),
                      np.fromiter(map(itemgetter("end"), records), dtype=np.int64, count=n),
                      np.fromiter(map(code.__getitem__, map(methodcaller("get", label_field), records)), dtype=np.int64, count=n))


def _ranks(values: list) -> np.ndarray:
    """Each value's rank among the distinct values, sorted (so codes sort as the values do)."""
    rank = {value: i for i, value in enumerate(sorted(set(values), key=lambda v: (v is not None, v)))}
    return np.fromiter(map(rank.__getitem__, values), dtype=np.int64, count=len(values))


def _content_codes(records: list[dict], layer: str) -> np.ndarray:
    """Each record's ``spans.content_key`` as an integer that sorts as the keys do (never by file order)."""
    return _ranks([content_key(r, layer) for r in records])


def _canonical(arrays: SpanArrays, records: list[dict], tie) -> tuple[SpanArrays, list[dict], np.ndarray]:
    """Arrays and records in (doc, start, end, tie) order; also the order's sorted tie codes."""
    order = np.lexsort((tie, arrays.end, arrays.start, arrays.doc))
    if not np.array_equal(order, np.arange(len(order))):
        arrays = arrays.take(order)
        records = [records[i] for i in order.tolist()]
    return arrays, records, tie[order]


def _dedupe(p: SpanArrays, content: np.ndarray) -> np.ndarray:
    """Of records in canonical order, which to keep: the first of each (document, offsets, content)."""
    if len(p) < 2:
        return np.ones(len(p), dtype=bool)
    same = ((p.doc[1:] == p.doc[:-1]) & (p.start[1:] == p.start[:-1]) & (p.end[1:] == p.end[:-1])
            & (content[1:] == content[:-1]))
    return np.r_[True, ~same]


def layer_data(layer: str, texts: dict[str, str], gold_layer: dict[str, list[dict]], aligned: dict, label_field: str,
               names: Sequence[str]) -> LayerData:
    """One layer of quotes or numeric claims as arrays, gold and predictions in canonical order, labels
    coded as indices into ``names`` (read from ``label_field``). Here predictions become a set: records
    with the same document, offsets and ``spans.content_key`` count once. (Entities: ``entity_layer_data``.)"""
    doc_ids = sorted(texts)
    gold, gold_sizes, pred, pred_sizes, unplaced = [], [], [], [], []
    for d, doc_id in enumerate(doc_ids):
        records = gold_layer.get(doc_id, [])
        gold += records
        gold_sizes.append(len(records))
        placed = aligned.get(doc_id, {}).get(layer)
        pred += placed.records if placed else []
        pred_sizes.append(len(placed.records) if placed else 0)
        unplaced += [(d, r) for r in placed.unplaced] if placed else []
    g, gold, _ = _canonical(_arrays(gold_sizes, gold, label_field, names), gold, _content_codes(gold, layer))
    p, pred, content = _canonical(_arrays(pred_sizes, pred, label_field, names), pred, _content_codes(pred, layer))
    keep = _dedupe(p, content)
    if not keep.all():
        p = p.take(keep)
        pred = [r for r, k in zip(pred, keep.tolist()) if k]
    cand_g, cand_p = candidates(g, p, [texts[d] for d in doc_ids])  # quotes and claims: enough shared tokens
    return LayerData(layer, doc_ids, texts, gold, pred, unplaced, g, p, cand_g, cand_p)


def _in_order(*keys: np.ndarray) -> bool:
    """Whether rows are already sorted by the keys, first key first (a file written in order
    needs no sorting)."""
    if len(keys[0]) < 2:
        return True
    tied = np.ones(len(keys[0]) - 1, dtype=bool)  # neighbours equal in every key so far
    for key in keys:
        step = np.diff(key)
        if np.any(tied & (step < 0)):
            return False
        tied &= step == 0
    return True


class TableRecords(Sequence):
    """The rows of an ``EntityTable`` as a sequence of dicts, each made when asked for."""

    def __init__(self, table: EntityTable):
        self.table = table

    def __getitem__(self, i):
        return self.table.record(int(i))

    def __len__(self) -> int:
        return len(self.table)


def _entity_content(table: EntityTable) -> np.ndarray:
    """Each mention's (label, entity_id) as an integer that sorts as the pair does."""
    entity = table.entity_ids.ranks(table.entity)
    return table.labels.ranks(table.label) * (int(entity.max(initial=0)) + 1) + entity


def entity_layer_data(texts: dict[str, str], gold: EntityTable, pred: EntityTable, unplaced: list[tuple[int, dict]],
                      names=ENTITY_LABELS) -> LayerData:
    """The entities layer from its tables (doc = index into ``texts``' order), as ``layer_data`` does
    for the other layers: arrays in canonical order, predictions a set of (document, offsets, label,
    entity_id). ``unplaced`` holds (index into the sorted doc_ids, record)."""
    doc_ids = sorted(texts)
    position = {doc_id: i for i, doc_id in enumerate(doc_ids)}
    to_sorted = np.fromiter(map(position.__getitem__, texts), dtype=np.int64, count=len(texts))

    def arrays(table: EntityTable) -> SpanArrays:
        return SpanArrays(to_sorted[table.doc], table.start, table.end, table.label_codes(names))

    g = arrays(gold)
    gold_content = _entity_content(gold)
    if not _in_order(g.doc, g.start, g.end, gold_content):
        order = np.lexsort((gold_content, g.end, g.start, g.doc))
        g, gold = g.take(order), gold.take(order)
    p = arrays(pred)
    content = _entity_content(pred)
    if _in_order(p.doc, p.start, p.end, content):
        order = np.arange(len(p))
    else:
        order = np.lexsort((content, p.end, p.start, p.doc))
        p, content = p.take(order), content[order]
    keep = _dedupe(p, content)
    if not keep.all():
        order = order[keep]
        p = p.take(keep)
    pred = pred.take(order) if not np.array_equal(order, np.arange(len(order))) else pred
    known_given = {"label": bool(np.any(p.label >= 0)), "entity_id": bool(np.any(pred.entity >= 0))}
    cand_g, cand_p = candidates(g, p)
    return LayerData("entities", doc_ids, texts, TableRecords(gold), TableRecords(pred), unplaced, g, p, cand_g, cand_p,
                     known_given)
