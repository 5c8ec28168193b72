"""Scoring: the one pipeline from the gold and a set of predictions to every number.

``score(gold, predictions)`` is what ``newsclaims eval``, ``newsclaims baselines refresh`` and the
tests call. Its rules, each enforced in one place (named in brackets):

Order and duplicates
- No number depends on the order of records or documents. Predictions are sets: exact copies of a
  record, and records equal after placing (all fields but ``id``), count once [``spans``]. Where
  several one-to-one pairings are equally good, the choice is made on records in a canonical order,
  never in file order [``newsclaims.matching``]. Bootstrap resamples documents sorted by doc_id.

Matching
- Every pairing is one-to-one and optimal, as an ordering (lexicographic), not a weighted sum
  [``newsclaims.matching``]. Candidates share at least one character.
- The four entity schemes (strict, exact, partial, type) maximise their own credit, then as in
  overlap matching [``schemes``]. Their counts equal nervaluate's
  wherever greedy matching is optimal, and exceed them where it is not.
- *Overlap matching* (quote content, claim spans, and the pairs on which attribute accuracies are
  taken) maximises the number of pairs, then the shared characters, then the closeness of the
  boundaries (summed Jaccard).
- An end-to-end score matches on its own condition: among the pairs that overlap (quotes) or have
  the same boundaries (claims) *and* have the right attributes, the most pairs, then as in overlap
  matching. So a right answer is never hidden by a wrong one beside it.

Attributes
- An attribute given as an id is judged by the id alone; a name or span only when no id is given
  [``attribution``]. No record can be right by one field and wrong by another of the same attribute.
- A speaker, cue or source given as text is placed at the occurrence nearest to its record; one that
  cannot be placed is predicted and wrong, and listed [``spans``].
- Values match within a relative 1e-6; units match after folding case and plural; names after
  folding case, articles and possessives [``normalise``].
- Attribute accuracies (speaker, type, value, unit, approx, source), cue P/R/F1 and group B-cubed
  are taken on the overlap-matched pairs, so a detection error is not counted twice.

What is reported
- A layer that is predicted (present in some line) always has a numeric main score. A field that no
  record gives is "not predicted" for that field's own metrics only (its accuracy, cue F1, group
  B-cubed, linking; per-label and macro scores when no label is given); in a main score that needs
  it, a missing field is simply wrong. A layer that no line gives is "not predicted".
- A score with nothing to score is None (``newsclaims.counts``). Precision, recall and F1 are
  computed in one place, from counts that add (``newsclaims.counts.PRF``).
- Main scores: entities, strict micro F1; quotes, end-to-end F1 (overlap and speaker right);
  numeric claims, end-to-end F1 (same boundaries and value, unit and source right). Each has a 95%
  percentile interval from a seeded document-level bootstrap.
- Linking (entity_id) is computed over the gold mentions that have an entity_id and that a
  prediction gives with exactly the same boundaries (spaCy's ``score_links`` rule); a predicted
  mention without an entity_id is its own cluster. B-cubed and CEAF-e; the count of mentions used
  and of linked gold mentions are reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from newsclaims.counts import PRF, Accuracy, macro_f1, total
from newsclaims.labels import APPROX_VALUES, ENTITY_LABELS, LAYERS, QUOTE_TYPES
from newsclaims.matching import best_matching, overlapping_pairs
from newsclaims.tokens import tokenize

from .attribution import UNPLACED, Judge
from .matching import EMPTY, SpanArrays, candidates, match, match_overlap, match_scheme, pair_facts
from .metrics import bcubed, bootstrap_f1, ceaf_e
from .normalise import fold_unit, same_value
from .records import EntityTable, concat, table_of
from .schemes import CATEGORIES, SCHEMES, Scheme, SchemeCounts
from .spans import align_document, content_key

NOT_PREDICTED = "not predicted"
LABEL_FIELDS = {"entities": ("label", ENTITY_LABELS), "quotes": ("type", QUOTE_TYPES),
                "numeric_claims": ("approx", APPROX_VALUES)}
MAIN_SCORES = {
    "entities": ("strict micro F1", "entity mentions with the same boundaries and type as a gold mention"),
    "quotes": ("end-to-end quote+speaker F1", "quotes overlapping a gold quote whose speaker is right"),
    "numeric_claims": ("end-to-end claim F1", "claims with exactly a gold claim's span and the right value, unit and source"),
}
CONTEXT = 40  # characters of context either side of an error
MAX_SURFACE = 120  # characters of a span's text copied into an error entry
MAX_LISTED = 1000  # errors listed per class and layer (the summary counts them all)


@dataclass
class Options:
    resamples: int = 1000
    seed: int = 0


@dataclass
class Scores:
    """Every number of one evaluation: ``layers[layer]`` is a dict of results or NOT_PREDICTED."""

    layers: dict
    options: Options = field(default_factory=Options)

    def main(self, layer: str) -> dict | str:
        result = self.layers.get(layer, NOT_PREDICTED)
        return result if result == NOT_PREDICTED else result["main"]

    def flat(self) -> dict:
        """Flat, self-describing keys: ``"entities.schemes.strict.micro.f1": 0.75`` (errors left out)."""
        out = {}

        def walk(prefix: str, value):
            if isinstance(value, dict):
                for k, v in value.items():
                    if k not in ("errors", "per_document"):
                        walk(f"{prefix}.{k}" if prefix else str(k), v)
            else:
                out[prefix] = value

        walk("", self.layers)
        return out


# --- One layer's spans, corpus-wide ----------------------------------------------------------------

@dataclass
class LayerData:
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
        """Whether some predicted record (placed or not) gives one of the fields."""
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

    def filtered(self, keep) -> tuple[np.ndarray, np.ndarray]:
        """The candidates for which ``keep(gold record, predicted record, doc_id)`` is true."""
        mask = np.array([bool(keep(self.gold[g], self.pred[p], self.doc_ids[self.g.doc[g]]))
                         for g, p in zip(self.cand_g.tolist(), self.cand_p.tolist())], dtype=bool)
        return (self.cand_g[mask], self.cand_p[mask]) if len(mask) else (EMPTY, EMPTY)


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
        arrays = SpanArrays(*(a[order] for a in (arrays.doc, arrays.start, arrays.end, arrays.label)))
        records = [records[i] for i in order.tolist()]
    return arrays, records, tie[order]


def _dedupe(p: SpanArrays, content: np.ndarray) -> np.ndarray:
    """Of records in canonical order, which to keep: the first of each (document, offsets, content)."""
    if len(p) < 2:
        return np.ones(len(p), dtype=bool)
    same = ((p.doc[1:] == p.doc[:-1]) & (p.start[1:] == p.start[:-1]) & (p.end[1:] == p.end[:-1])
            & (content[1:] == content[:-1]))
    return np.r_[True, ~same]


def layer_data(layer: str, texts: dict[str, str], gold_layer: dict[str, list[dict]], aligned: dict, names=None) -> LayerData:
    """One layer of quotes or numeric claims as arrays, gold and predictions in canonical order. Here
    predictions become a set: records with the same document, offsets and ``spans.content_key`` count
    once. (Entities: ``entity_layer_data``.)"""
    doc_ids = sorted(texts)
    label_field, names = LABEL_FIELDS[layer][0], names or LABEL_FIELDS[layer][1]
    gold, gold_sizes, pred, pred_sizes, unplaced = [], [], [], [], []
    for d, doc_id in enumerate(doc_ids):
        records = gold_layer.get(doc_id, [])
        gold += records
        gold_sizes.append(len(records))
        placed = aligned.get(doc_id, {}).get(layer)
        pred += placed.records if placed else []
        pred_sizes.append(len(placed.records) if placed else 0)
        unplaced += [(d, r) for r in placed.unplaced] if placed else []
    g, gold, _ = _canonical(_arrays(gold_sizes, gold, label_field, names), gold, np.arange(len(gold)))
    p, pred, content = _canonical(_arrays(pred_sizes, pred, label_field, names), pred, _content_codes(pred, layer))
    keep = _dedupe(p, content)
    if not keep.all():
        p = SpanArrays(*(a[keep] for a in (p.doc, p.start, p.end, p.label)))
        pred = [r for r, k in zip(pred, keep.tolist()) if k]
    cand_g, cand_p = candidates(g, p)
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
    if not _in_order(g.doc, g.start, g.end):
        order = np.lexsort((g.end, g.start, g.doc))
        g, gold = SpanArrays(*(a[order] for a in (g.doc, g.start, g.end, g.label))), gold.take(order)
    p = arrays(pred)
    entity = pred.entity_ids.ranks(pred.entity)
    content = pred.labels.ranks(pred.label) * (int(entity.max(initial=0)) + 1) + entity
    if _in_order(p.doc, p.start, p.end, content):
        order = np.arange(len(p))
    else:
        order = np.lexsort((content, p.end, p.start, p.doc))
        p, content = SpanArrays(*(a[order] for a in (p.doc, p.start, p.end, p.label))), content[order]
    keep = _dedupe(p, content)
    if not keep.all():
        order = order[keep]
        p = SpanArrays(*(a[keep] for a in (p.doc, p.start, p.end, p.label)))
    pred = pred.take(order) if not np.array_equal(order, np.arange(len(order))) else pred
    known_given = {"label": bool(np.any(p.label >= 0)), "entity_id": bool(np.any(pred.entity >= 0))}
    cand_g, cand_p = candidates(g, p)
    return LayerData("entities", doc_ids, texts, TableRecords(gold), TableRecords(pred), unplaced, g, p, cand_g, cand_p,
                     known_given)


# --- Scheme counting -------------------------------------------------------------------------------

@dataclass
class SchemeResult:
    """A scheme's matching and categorisation; every count and error list is read off it."""

    scheme: Scheme
    g_idx: np.ndarray
    p_idx: np.ndarray
    category: np.ndarray  # 0 correct, 1 incorrect, 2 partial, per matched pair


def scheme_result(scheme: Scheme, data: LayerData, cand_g=None, cand_p=None) -> SchemeResult:
    cand_g = data.cand_g if cand_g is None else cand_g
    cand_p = data.cand_p if cand_p is None else cand_p
    g_idx, p_idx = match_scheme(scheme, data.g, data.p, cand_g, cand_p)
    return SchemeResult(scheme, g_idx, p_idx, scheme.categorise(*pair_facts(data.g, data.p, g_idx, p_idx)))


@dataclass
class CountTable:
    """nervaluate's five counts for many keys (documents or labels) at once, as arrays."""

    columns: tuple  # (correct, incorrect, partial, missed, spurious), one int array each

    def total(self) -> SchemeCounts:
        return SchemeCounts(*(int(c.sum()) for c in self.columns))

    def rows(self) -> list[SchemeCounts]:
        return [SchemeCounts(*row) for row in zip(*(c.tolist() for c in self.columns))]

    def prf(self) -> list[PRF]:
        return [counts.prf for counts in self.rows()]


def _counts_by(keys_g, keys_p, keys_pairs, category, size: int, extra_spurious) -> CountTable:
    def count(keys, mask=None):
        keys = keys if mask is None else keys[mask]
        keys = keys[(keys >= 0) & (keys < size)]
        return np.bincount(keys, minlength=size)[:size]

    n_gold, n_pred, n_pairs = count(keys_g), count(keys_p), count(keys_pairs)
    return CountTable((count(keys_pairs, category == 0), count(keys_pairs, category == 1), count(keys_pairs, category == 2),
                       n_gold - n_pairs, n_pred - n_pairs + extra_spurious))


def counts_per_doc(result: SchemeResult, data: LayerData) -> CountTable:
    return _counts_by(data.g.doc, data.p.doc, data.g.doc[result.g_idx], result.category, len(data.doc_ids),
                      data.n_unplaced_per_doc())


def counts_per_label(scheme: Scheme, data: LayerData, names) -> list[SchemeCounts]:
    """Per label: the gold and the predictions of that label alone, matched by the scheme."""
    same = (data.g.label[data.cand_g] == data.p.label[data.cand_p]) & (data.g.label[data.cand_g] >= 0)
    result = scheme_result(scheme, data, data.cand_g[same], data.cand_p[same])
    label_field = LABEL_FIELDS[data.layer][0]
    code = {name: i for i, name in enumerate(names)}
    unplaced = np.bincount(np.array([code[r[label_field]] for _, r in data.unplaced if r.get(label_field) in code],
                                    dtype=np.int64), minlength=len(names))
    return _counts_by(data.g.label, data.p.label, data.g.label[result.g_idx], result.category, len(names), unplaced).rows()


def label_view(scheme: Scheme, data: LayerData, names, labelled: bool) -> tuple[dict | str, float | str | None]:
    """(per-label counts of the labels with any span, macro F1), or "not predicted" twice when no
    record gives a label."""
    if not labelled:
        return NOT_PREDICTED, NOT_PREDICTED
    per_label = dict(zip(names, counts_per_label(scheme, data, names)))
    return ({k: c.as_dict() for k, c in per_label.items() if c.possible or c.actual},
            macro_f1([c.prf for c in per_label.values()]))


def scheme_table(data: LayerData, results: dict[str, SchemeResult], labelled: bool, names) -> dict:
    """Micro counts of every scheme (from its result), and per label and macro F1 when labels are given."""
    out = {}
    for name, result in results.items():
        per_label, macro = label_view(result.scheme, data, names, labelled)
        out[name] = {"micro": counts_per_doc(result, data).total().as_dict(), "macro_f1": macro, "per_label": per_label}
    return out


# --- Errors, each in context -----------------------------------------------------------------------

def _per_document(doc_ids: list[str], table: CountTable) -> dict:
    """Per document: [correct, incorrect, partial, missed, spurious], the order given under "columns"."""
    return {"columns": list(CATEGORIES), **dict(zip(doc_ids, zip(*(c.tolist() for c in table.columns))))}


def _span_entry(text: str, record: dict) -> dict:
    start, end = record["start"], record["end"]
    surface = text[start:end]
    left = text[max(0, start - CONTEXT):start].replace("\n", " ")
    right = text[end:end + CONTEXT].replace("\n", " ")
    shown = surface if len(surface) <= MAX_SURFACE else surface[:MAX_SURFACE] + "…"
    return {"start": start, "end": end, "text": shown, "length": len(surface),
            "context": f"…{left}[{shown.replace(chr(10), ' ')}]{right}…"}


def _error(data: LayerData, kind: str, g: int | None = None, p: int | None = None, detail: dict | None = None) -> dict:
    d = data.g.doc[g] if g is not None else data.p.doc[p]
    doc_id = data.doc_ids[int(d)]
    text = data.texts[doc_id]
    entry = {"class": kind, "doc_id": doc_id}
    if g is not None:
        entry["gold"] = _span_entry(text, data.gold[g])
    if p is not None:
        entry["predicted"] = _span_entry(text, data.pred[p])
    if detail:
        entry.update(detail)
    return entry


class ErrorList:
    """Every error of a layer counted by class; at most MAX_LISTED of each class listed in context."""

    def __init__(self, data: LayerData):
        self.data, self.entries, self.counts = data, [], {}

    def add(self, kind: str, g: int | None = None, p: int | None = None, detail: dict | None = None) -> None:
        n = self.counts.get(kind, 0)
        self.counts[kind] = n + 1
        if n < MAX_LISTED:
            self.entries.append(_error(self.data, kind, g, p, detail))

    def add_many(self, kind: str, g=None, p=None) -> None:
        """Errors of one class from index arrays (gold, prediction or both): counted, the first listed."""
        n = len(g if g is not None else p)
        if not n:
            return
        already = self.counts.get(kind, 0)
        self.counts[kind] = already + n
        for k in range(min(n, max(0, MAX_LISTED - already))):
            self.entries.append(_error(self.data, kind, None if g is None else int(g[k]), None if p is None else int(p[k])))

    def add_unmatched(self, missed, spurious) -> None:
        self.add_many("missed", g=missed)
        self.add_many("spurious", p=spurious)
        for d, r in self.data.unplaced:
            n = self.counts.get("unplaced", 0)
            self.counts["unplaced"] = n + 1
            if n < MAX_LISTED:
                self.entries.append({"class": "unplaced", "doc_id": self.data.doc_ids[d],
                                     "predicted": {"text": r["text"], "length": r["length"]}, "reason": r["reason"]})

    def as_dict(self) -> dict:
        return {"errors": self.entries, "error_summary": {"counts": dict(sorted(self.counts.items())),
                                                          "listed_per_class_at_most": MAX_LISTED}}


def _leftover_pairs(data: LayerData, g_done: np.ndarray, p_done: np.ndarray) -> tuple[list, list, list]:
    """Of the gold and predictions a main score left unmatched: overlap-matched (gold, prediction)
    pairs (wrong in some attribute or boundary), the gold missed and the predictions spurious."""
    free_g = np.ones(len(data.g), dtype=bool)
    free_p = np.ones(len(data.p), dtype=bool)
    free_g[g_done] = False
    free_p[p_done] = False
    keep = free_g[data.cand_g] & free_p[data.cand_p]
    g_idx, p_idx = match_overlap(data.g, data.p, data.cand_g[keep], data.cand_p[keep])
    free_g[g_idx] = False
    free_p[p_idx] = False
    return list(zip(g_idx.tolist(), p_idx.tolist())), np.flatnonzero(free_g), np.flatnonzero(free_p)


# --- Main score ------------------------------------------------------------------------------------

def main_score(data: LayerData, per_doc: list[PRF], options: Options) -> dict:
    overall = total(per_doc)
    counts = {d: [c.tp, c.predicted, c.gold] for d, c in zip(data.doc_ids, per_doc)}  # doc_ids are sorted
    low, high = bootstrap_f1(list(counts.values()), options.resamples, options.seed)
    return {"value": overall.f1, "precision": overall.precision, "recall": overall.recall,
            "tp": overall.tp, "predicted": overall.predicted, "gold": overall.gold, "ci95": [low, high],
            "n_documents": len(per_doc), "per_document": counts, "higher_is_better": True}


def _group_bcubed(data: LayerData, pairs: list[tuple[int, int]], field: str) -> dict | str:
    if not data.given(field):
        return NOT_PREDICTED
    gold_c, pred_c = {}, {}
    for g, p in pairs:
        gold_value, pred_value = data.gold[g].get(field), data.pred[p].get(field)
        gold_c[g] = gold_value if gold_value is not None else ("singleton", g)
        pred_c[g] = pred_value if pred_value is not None else ("singleton", g)
    return {**bcubed(gold_c, pred_c), "computed_over": "overlap-matched pairs"}


# --- Entities --------------------------------------------------------------------------------------

def score_entities(data: LayerData, options: Options) -> dict:
    labelled = data.given("label")
    results = {name: scheme_result(scheme, data) for name, scheme in SCHEMES.items()}
    strict = results["strict"]
    per_doc_counts = counts_per_doc(strict, data)
    per_doc = per_doc_counts.prf()
    schemes = scheme_table(data, results, labelled, ENTITY_LABELS)

    linking = NOT_PREDICTED
    if data.given("entity_id"):
        same_bounds, _ = pair_facts(data.g, data.p, data.cand_g, data.cand_p)
        g_idx, p_idx = match(data.cand_g[same_bounds], data.cand_p[same_bounds],
                             lambda g, p: [np.ones(len(g), dtype=np.int64), (data.g.label[g] == data.p.label[p]).astype(np.int64)])
        gold_entity, pred_entity = data.gold.table.entity, data.pred.table.entity  # codes; -1: no entity_id
        linked_pair = gold_entity[g_idx] >= 0
        g_idx, p_idx = g_idx[linked_pair], p_idx[linked_pair]
        mentions = g_idx.tolist()
        gold_c = dict(zip(mentions, gold_entity[g_idx].tolist()))
        pred_c = {g: e if e >= 0 else ("singleton", g) for g, e in zip(mentions, pred_entity[p_idx].tolist())}
        linked = int(np.count_nonzero(gold_entity >= 0))
        linking = {"mentions": len(gold_c), "gold_linked_mentions": linked,
                   "computed_over": "gold mentions with an entity_id predicted with exactly the same boundaries",
                   "bcubed": bcubed(gold_c, pred_c), "ceaf_e": ceaf_e(gold_c, pred_c)}

    errors = ErrorList(data)
    wrong = strict.category != 0
    g_bad, p_bad = strict.g_idx[wrong], strict.p_idx[wrong]
    same_bounds, same_label = pair_facts(data.g, data.p, g_bad, p_bad)
    for kind, mask in (("wrong type", same_bounds), ("boundary", ~same_bounds & same_label),
                       ("boundary and type", ~same_bounds & ~same_label)):
        errors.add_many(kind, g_bad[mask], p_bad[mask])
    missed = np.setdiff1d(np.arange(len(data.g)), strict.g_idx, assume_unique=True)
    spurious = np.setdiff1d(np.arange(len(data.p)), strict.p_idx, assume_unique=True)
    errors.add_unmatched(missed, spurious)
    return {"main": main_score(data, per_doc, options), "schemes": schemes, "linking": linking,
            "per_document": _per_document(data.doc_ids, per_doc_counts),
            **errors.as_dict()}


# --- Quotes ----------------------------------------------------------------------------------------

def _token_overlap(data: LayerData) -> dict:
    """PARC/citron-style content scores: tokens shared by quotes paired to share the most tokens."""
    shared_total = pred_total = gold_total = 0
    for d, doc_id in enumerate(data.doc_ids):
        gold = [data.gold[i] for i in np.flatnonzero(data.g.doc == d)]
        pred = [data.pred[i] for i in np.flatnonzero(data.p.doc == d)]
        if not gold and not pred:
            continue
        tokens = tokenize(data.texts[doc_id])
        starts = np.array([a for a, _ in tokens], dtype=np.int64)
        ends = np.array([b for _, b in tokens], dtype=np.int64)

        def token_set(r):  # the tokens a span touches
            return set(range(int(np.searchsorted(ends, r["start"], "right")), int(np.searchsorted(starts, r["end"], "left"))))

        tg, tp = [token_set(r) for r in gold], [token_set(r) for r in pred]
        gold_total += sum(map(len, tg))
        pred_total += sum(map(len, tp))
        pairs = best_matching(overlapping_pairs([(r["start"], r["end"]) for r in gold], [(r["start"], r["end"]) for r in pred]),
                              lambda i, j: (len(tg[i] & tp[j]),))
        shared_total += sum(len(tg[i] & tp[j]) for i, j in pairs)
    pred_total += sum(len(tokenize(r.get("text") or "")) for _, r in data.unplaced)
    prf = PRF.of(shared_total, pred_total, gold_total)
    return {"precision": prf.precision, "recall": prf.recall, "f1": prf.f1,
            "shared_tokens": shared_total, "predicted_tokens": pred_total, "gold_tokens": gold_total}


def _same_span(a: dict | None, b: dict | None) -> bool:
    return isinstance(a, dict) and isinstance(b, dict) and not a.get(UNPLACED) and (a["start"], a["end"]) == (b["start"], b["end"])


def score_quotes(data: LayerData, judge: Judge, options: Options) -> dict:
    overlap_g, overlap_p = match_overlap(data.g, data.p, data.cand_g, data.cand_p)
    pairs = list(zip(overlap_g.tolist(), overlap_p.tolist()))
    n_predicted, n_gold = int(data.predicted_per_doc().sum()), len(data.g)
    exact = counts_per_doc(scheme_result(SCHEMES["exact"], data), data).total()
    typed = data.given("type")
    per_type, macro_over_types = label_view(SCHEMES["strict"], data, QUOTE_TYPES, typed)
    speaker, type_acc, cue = Accuracy(), Accuracy(), PRF()
    cues_given = data.given("cue")
    errors = ErrorList(data)
    for g, p in pairs:
        doc_id, gold, pred = data.doc_of(g), data.gold[g], data.pred[p]
        speaker += Accuracy(judge.right(doc_id, pred, gold, "speaker"), 1)
        right_type = pred.get("type") == gold["type"]
        type_acc += Accuracy(right_type, 1)
        if typed and not right_type:
            errors.add("wrong type", g, p, {"gold_type": gold["type"], "predicted_type": pred.get("type")})
        pred_cue = pred.get("cue")
        hit = _same_span(pred_cue, gold["cue"])
        cue += PRF(int(hit), int(pred_cue is not None and not hit), int(gold["cue"] is not None and not hit))
        if cues_given and not hit and (pred_cue is not None or gold["cue"] is not None):
            errors.add("wrong cue", g, p, {"gold_cue": gold["cue"] and gold["cue"]["text"],
                                           "predicted_cue": pred_cue and pred_cue.get("text")})

    e2e_g, e2e_p = match_overlap(data.g, data.p, *data.filtered(lambda g, p, d: judge.right(d, p, g, "speaker")))
    per_doc = data.per_doc_prf(e2e_g)

    wrong, missed, spurious = _leftover_pairs(data, e2e_g, e2e_p)
    for g, p in wrong:
        gold, pred = data.gold[g], data.pred[p]
        shown = pred.get("speaker_id") or (pred["speaker"].get("text") if isinstance(pred.get("speaker"), dict) else pred.get("speaker"))
        errors.add("wrong speaker", g, p, {"gold_speaker": gold["speaker_id"] or (gold["speaker"] or {}).get("text"),
                                           "predicted_speaker": shown})
    errors.add_unmatched(missed, spurious)
    return {
        "main": main_score(data, per_doc, options),
        "content": {"strict": exact.as_dict(), "overlap": PRF.of(len(pairs), n_predicted, n_gold).as_dict(),
                    "token_overlap": _token_overlap(data),
                    "per_type_strict": per_type, "macro_f1_over_types": macro_over_types},
        "speaker_accuracy": speaker.as_dict() if data.given("speaker", "speaker_id") else NOT_PREDICTED,
        "type_accuracy": type_acc.as_dict() if typed else NOT_PREDICTED,
        "cue": cue.as_dict() if cues_given else NOT_PREDICTED,
        "quote_group_bcubed": _group_bcubed(data, pairs, "quote_group"),
        "per_document": {d: c.as_dict() for d, c in zip(data.doc_ids, per_doc)},
        **errors.as_dict(),
    }


# --- Numeric claims ----------------------------------------------------------------------------------

CLAIM_ATTRIBUTES = ("value", "unit", "approx", "source")


def _claim_checks(judge: Judge, doc_id: str, pred: dict, gold: dict) -> dict[str, bool]:
    return {"value": same_value(pred.get("value"), gold["value"]),
            "unit": fold_unit(pred.get("unit")) == fold_unit(gold["unit"]),
            "approx": pred.get("approx") == gold["approx"],
            "source": judge.right(doc_id, pred, gold, "source")}


def score_numeric_claims(data: LayerData, judge: Judge, options: Options) -> dict:
    exact = counts_per_doc(scheme_result(SCHEMES["exact"], data), data).total()
    approx_given = data.given("approx")
    per_approx, macro_over_approx = label_view(SCHEMES["strict"], data, APPROX_VALUES, approx_given)
    overlap_g, overlap_p = match_overlap(data.g, data.p, data.cand_g, data.cand_p)
    pairs = list(zip(overlap_g.tolist(), overlap_p.tolist()))
    accs = {name: Accuracy() for name in CLAIM_ATTRIBUTES}
    errors = ErrorList(data)
    for g, p in pairs:
        gold, pred = data.gold[g], data.pred[p]
        checks = _claim_checks(judge, data.doc_of(g), pred, gold)
        for name, ok in checks.items():
            accs[name] += Accuracy(ok, 1)
        if approx_given and not checks["approx"]:
            errors.add("wrong approx", g, p, {"gold_approx": gold["approx"], "predicted_approx": pred.get("approx")})

    def e2e(gold, pred, doc_id):
        if (gold["start"], gold["end"]) != (pred["start"], pred["end"]):
            return False
        checks = _claim_checks(judge, doc_id, pred, gold)
        return checks["value"] and checks["unit"] and checks["source"]

    e2e_g, e2e_p = match_overlap(data.g, data.p, *data.filtered(e2e))
    per_doc = data.per_doc_prf(e2e_g)
    wrong, missed, spurious = _leftover_pairs(data, e2e_g, e2e_p)
    for g, p in wrong:
        gold, pred = data.gold[g], data.pred[p]
        checks = _claim_checks(judge, data.doc_of(g), pred, gold)
        bad = ([] if (gold["start"], gold["end"]) == (pred["start"], pred["end"]) else ["boundary"])
        bad += [f"wrong {n}" for n in ("value", "unit", "source") if not checks[n]]
        errors.add(" + ".join(bad), g, p, {"gold_claim": {k: gold[k] for k in ("value", "unit", "source_id")},
                                           "predicted_claim": {k: pred.get(k) for k in ("value", "unit", "source_id", "source")}})
    errors.add_unmatched(missed, spurious)
    return {
        "main": main_score(data, per_doc, options),
        "span": {"strict": exact.as_dict(), "overlap": PRF.of(len(pairs), int(data.predicted_per_doc().sum()), len(data.g)).as_dict(),
                 "per_approx_strict": per_approx, "macro_f1_over_approx": macro_over_approx},
        **{f"{name}_accuracy": (acc.as_dict() if data.given(name, f"{name}_id") else NOT_PREDICTED) for name, acc in accs.items()},
        "claim_group_bcubed": _group_bcubed(data, pairs, "claim_group"),
        "per_document": {d: c.as_dict() for d, c in zip(data.doc_ids, per_doc)},
        **errors.as_dict(),
    }


# --- The pipeline ----------------------------------------------------------------------------------

def score(gold, predictions, layers=LAYERS, *, resamples: int = 1000, seed: int = 0) -> Scores:
    """Every number of the requested layers.

    ``gold`` is a ``GoldData`` (``newsclaims.eval.gold.load_gold_data``); ``predictions`` maps doc_id
    to one validated prediction object (``Predictions.by_doc``, or a plain dict of them). Layers a
    prediction leaves out are "not predicted"; documents without a prediction predicted nothing.
    """
    objects = getattr(predictions, "objects", predictions)
    aligned = {d: align_document({k: v for k, v in obj.items() if k in layers}, gold.texts[d]) for d, obj in objects.items()}
    options = Options(resamples, seed)
    judge = Judge(gold.kb, gold.layers["entities"])
    out = {}
    for layer in layers:
        tabled = layer == "entities" and bool(getattr(predictions, "tabled", None))
        if not tabled and not any(layer in doc for doc in aligned.values()):
            out[layer] = NOT_PREDICTED
            continue
        if layer == "entities":
            out[layer] = score_entities(_entity_data(gold, predictions if tabled else None, aligned), options)
            continue
        data = layer_data(layer, gold.texts, gold.layers[layer], aligned)
        if layer == "quotes":
            out[layer] = score_quotes(data, judge, options)
        else:
            out[layer] = score_numeric_claims(data, judge, options)
    return Scores(out, options)


def _entity_data(gold, predictions, aligned: dict) -> LayerData:
    """The entities layer: the gold's table, the predictions' table and the entity records of the
    lines held as dicts (placed by ``spans``), in one table."""
    texts = gold.texts
    gold_table = gold.entities if getattr(gold, "entities", None) is not None else table_of(list(texts), gold.layers["entities"])
    placed = {d: a["entities"].records for d, a in aligned.items() if "entities" in a}
    tables = [table_of(list(texts), placed)]
    if predictions is not None:
        table = predictions.entities
        if predictions.doc_ids != list(texts):  # checked against other texts' order: re-index
            index = {doc_id: i for i, doc_id in enumerate(texts)}
            table = replace(table, doc=np.array([index[d] for d in predictions.doc_ids], dtype=np.int64)[table.doc])
        tables.append(table)
    sorted_ids = {doc_id: i for i, doc_id in enumerate(sorted(texts))}
    unplaced = [(sorted_ids[d], r) for d in sorted(aligned) if "entities" in aligned[d] for r in aligned[d]["entities"].unplaced]
    return entity_layer_data(texts, gold_table, concat(tables) if len(tables) > 1 else tables[0], unplaced)


def scheme_scores(gold_docs: list[list[dict]], pred_docs: list[list[dict]], labels) -> dict:
    """Counts of the four schemes, overall and per label, for plain span lists (one list per document
    of {"start", "end", "label"} dicts, end exclusive): the entry point of the cross-checks and the
    benchmark of the matcher alone."""
    texts = {f"{i:09d}": "" for i in range(len(gold_docs))}
    code_names = list(labels)
    data = entity_layer_data(texts, table_of(list(texts), dict(zip(texts, gold_docs))),
                             table_of(list(texts), dict(zip(texts, pred_docs))), [], code_names)
    out = {}
    for name, scheme in SCHEMES.items():
        overall = counts_per_doc(scheme_result(scheme, data), data).total()
        per_label = dict(zip(code_names, counts_per_label(scheme, data, code_names)))
        out[name] = {"overall": overall, "per_label": {k: c for k, c in per_label.items() if c.possible or c.actual}}
    return out
