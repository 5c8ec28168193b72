"""Scoring: the one pipeline from the gold and a set of predictions to every number.

``score(gold, predictions)`` is what ``newsclaims eval``, ``newsclaims baselines refresh`` and the
tests call. Its rules, each enforced in one place (named in brackets):

Order and duplicates
- No number depends on the order of records or documents, of the gold or of the predictions: both
  are held in a canonical order (document, offsets, content) [``layers``]. Bootstrap resamples
  documents sorted by doc_id.
- Predictions are sets. ``null`` is a field not given, in a record's identity too. Copies of a
  text-only record are repeated mentions, placed at successive free occurrences; copies beyond the
  occurrences count once and are warned about [``spans``]. Records equal after placing (all fields
  but ``id``) count once [``layers``].
- No tie is decided by an id string: renaming predicted ids by a bijection changes no number.
  Among pairings equal on the matching's rank, overlap matching prefers the pairs on which the
  prediction is right on the most judged attributes, so a prediction goes to a gold record of its
  span it is right on ("one sentence, two speakers") [``layers.LayerData.match_overlap``].
- A hedge never raises a number. A matched prediction's *alternatives* are the other predictions
  of its document and span that the matching leaves unpaired; a prediction with alternatives
  counts as its worst alternative, for every number: on each judged attribute it is right only
  when every alternative is (accuracies, cue, the main scores' conditions, a scheme's label), in a
  label's own view a span predicted with two labels has the wrong one, and group B-cubed and linking
  take, for each number, the least value over the alternatives' clusters
  [``layers.LayerData.alternatives``, ``judged``, ``worst_clustering``]. A second prediction of a
  span that the matching pairs with a second gold record is a detection, not an alternative.

Matching
- Every pairing is one-to-one and optimal, as an ordering (lexicographic), not a weighted sum
  [``newsclaims.matching``]. Entity candidates share at least one character.
- Quote and claim candidates must share enough tokens: a *token F1* (2 x shared tokens / the two
  spans' tokens; a token counts when the span touches it) of at least 0.5, i.e. at least half as
  many shared tokens as tokens in one span only [``newsclaims.matching.candidates``, given the texts
  by ``layers.layer_data``, so every quote and claim pair obeys it: content and span overlap, the
  end-to-end scores, the pairs attribute accuracies and group B-cubed are taken on, error pairs].
  Why: the attribution corpora define their spans on tokens (PARC 3.0, Pareti 2016, annotates
  source, cue and content as spans of tokens; PolNeAR, Newell et al. 2018, labels every token once:
  source, cue, content or none), and citron (BBC; it ships a PARC 3.0 reader) scores a span two
  ways: exact match, and *token overlap*, credit in proportion to the tokens shared. One whole
  pair for one shared character is neither, and pays for bigger spans: every quote stretched to
  the whole document raised the rules baseline's quote score from 0.350 to 0.434. A pair's token
  F1 is citron's proportional overlap score of that pair alone; requiring 0.5 counts a pair whole
  only where proportional credit would give it at least half. Exact matches always pass (token
  F1 1). A numeric claim is usually one token ("10,000"): a prediction of up to three tokens
  around it passes ("about 10,000 troops"), one of four does not; the claims' main score asks for
  the same boundaries anyway. Content *token overlap* stays citron's proportional credit over any
  overlap: a longer span earns no more there than the tokens it shares.
- The four entity schemes (strict, exact, partial, type) maximise their own credit, then as in
  overlap matching [``schemes``]. Where no two predictions overlap and every span overlaps at most
  one span of the other side (so greedy and optimal matching must agree), all five counts, overall
  and per label, equal nervaluate 1.2.1's (``tests/test_eval_crosscheck.py``). Elsewhere only the
  credit can differ (the predictions and gold spans, P and R's denominators, are the same), and it
  is never below nervaluate's greedy credit: so P, R and F1 equal nervaluate's wherever its greedy
  matching reaches the best credit, but the five counts need not (at equal credit the most pairs are
  taken, e.g. one incorrect pair where nervaluate has a missed and a spurious span).
- *Overlap matching* (quote content, claim spans, and the pairs on which attribute accuracies are
  taken) maximises the number of pairs, then the shared characters, then the tightness of the pairs
  (the smallest summed union of the two spans) [``newsclaims.matching.overlap_rank_columns``].
- An end-to-end score matches on its own condition: among the candidate pairs (quotes) or the
  candidates with the same boundaries (claims) that have the right attributes, the most pairs, then
  as in overlap matching. So a right answer is never hidden by a wrong one beside it.

Attributes
- An attribute given as an id is judged by the id alone; a name or span only when no id is given
  [``attribution``]. No record can be right by one field and wrong by another of the same attribute.
- A speaker or source span is right at the gold span's boundaries, as a gold mention of the gold
  entity, or when its text is a knowledge-base name of that entity; a bare name only as such a
  name. The gold span's text is not a name: a pronoun is judged where it stands (Rutte's "He" is
  not Biden's) [``attribution``].
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
  it, a missing field is simply wrong. A layer that no line gives is "not predicted". An empty list
  predicts nothing: a layer given only as empty lists predicts every field, so with gold present
  each gold label's F1 and the macro F1 are 0, as in seqeval and conlleval [``layers.LayerData.given``].
- A score with nothing to score is None (``newsclaims.counts``). Precision, recall and F1 are
  computed in one place, from counts that add (``newsclaims.counts.PRF``).
- Words: *strict* is the entity scheme (same boundaries and same type) and nothing else; *exact
  span* is same boundaries, whatever else (quote content, claim spans: ``exact_span``).
- Per label and macro F1 are given for the entity schemes that judge the type (strict, type): per
  label, the gold and the predictions of that label alone are matched, so a scheme blind to the
  type would judge it there too (exact per label is strict per label).
- Main scores: entities, strict micro F1; quotes, end-to-end F1 (token F1 >= 0.5 and speaker right);
  numeric claims, end-to-end F1 (same boundaries and value, unit and source right). Each has a 95%
  percentile interval from a seeded document-level bootstrap, and per-document counts as rows
  ``{"doc_id", "tp", "predicted", "gold"}`` (every ``per_document`` is a list of rows: ``doc_id``
  and named counts, in doc_id order).
- Two conventions for entity_id, both reported: ``linking_matched_mentions`` (spaCy's
  ``score_links`` rule) is computed over the gold mentions that have an entity_id and that a
  prediction gives with exactly the same boundaries; a predicted mention without an entity_id is its
  own cluster. B-cubed and CEAF-e; the count of mentions used and of linked gold mentions are
  reported. ``coreference_all_mentions`` (CoNLL-2012, ``metrics.coreference_scores``) is computed
  over every gold and every predicted mention that has an entity_id, across documents: MUC, B-cubed,
  CEAF-e and CoNLL F1, a mention on one side only lowering precision or recall. A mention is its
  exact span; a predicted mention is the twin of the gold mention with its span (one each: among
  several at one span with one entity_id, the one-to-one pairing preferring the same label decides,
  the others have no twin; a span given two or more entity_ids, a hedge, has no twin at all, so no
  id string decides which answer counts); an unplaced prediction with an entity_id has no twin.
- Errors explain numbers [``errors``]: each class counts either what the main score did not credit
  (every gold record and prediction it did not credit is in exactly one such class) or what an
  attribute metric, taken on the overlap-matched pairs, counts wrong; ``error_summary`` says which.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np

from newsclaims.counts import PRF, Accuracy, macro_f1, total
from newsclaims.labels import APPROX_VALUES, ENTITY_LABELS, LAYER_SPECS, LAYERS, QUOTE_TYPES
from newsclaims.matching import best_matching, match, match_overlap, overlapping_pairs, pair_facts
from newsclaims.normalise import same_unit, same_value
from newsclaims.tokens import tokenize

from .attribution import UNPLACED, Judge
from .entity_columns import EntityTable, concat, table_of
from .errors import ErrorList, leftover_pairs
from .layers import LayerData, TableRecords, entity_layer_data, layer_data, worst_clustering
from .metrics import bcubed, bootstrap_f1, ceaf_e, coreference_scores
from .schemes import CATEGORIES, SCHEMES, Scheme, SchemeCounts, match_scheme
from .spans import align_document, placement_counts

NOT_PREDICTED = "not predicted"


@dataclass
class Options:
    resamples: int = 1000
    seed: int = 0


@dataclass
class Scores:
    """Every number of one evaluation: ``layers[layer]`` is a dict of results or NOT_PREDICTED."""

    layers: dict
    options: Options = field(default_factory=Options)
    warnings: list[str] = field(default_factory=list)  # found while placing (surplus copies), for the report
    placement: dict = field(default_factory=dict)  # how records were placed, per layer (``spans.placement_counts``)
    placed: dict = field(default_factory=dict)  # layer -> (gold, placed predictions) as SpanArrays (doc: sorted doc_ids), drawn by report.html

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
    same_bounds, same_label = pair_facts(data.g, data.p, g_idx, p_idx)
    alternatives = data.alternatives(p_idx)  # a hedge is its worst alternative: every one must have the label
    if any(alternatives):
        same_label &= np.array([all(data.p.label[q] == data.g.label[g] for q in alts)
                                for g, alts in zip(g_idx.tolist(), alternatives)], dtype=bool).reshape(len(g_idx))
    return SchemeResult(scheme, g_idx, p_idx, scheme.categorise(same_bounds, same_label))


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
    same &= ~data.label_hedged[data.cand_p]  # a span predicted with two labels is its wrong label in each label's view
    result = scheme_result(scheme, data, data.cand_g[same], data.cand_p[same])
    label_field = LAYER_SPECS[data.layer].label_field
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
    """Micro counts of every scheme (from its result); per label and macro F1 of the schemes that
    judge the type (the rule "Per label and macro F1" above), "not predicted" when no label is given."""
    out: dict[str, dict[str, Any]] = {}
    for name, result in results.items():
        out[name] = {"micro": counts_per_doc(result, data).total().as_dict()}
        if result.scheme.label_must_match:
            per_label, macro = label_view(result.scheme, data, names, labelled)
            out[name].update(macro_f1=macro, per_label=per_label)
    return out


def _per_document(doc_ids: list[str], table: CountTable) -> list[dict]:
    """Per document, a row: doc_id and the five counts by name."""
    return [{"doc_id": d, **dict(zip(CATEGORIES, counts))} for d, counts in zip(doc_ids, zip(*(c.tolist() for c in table.columns)))]


# --- Main score ------------------------------------------------------------------------------------

def main_score(data: LayerData, per_doc: list[PRF], options: Options) -> dict:
    overall = total(per_doc)
    rows: list[dict[str, Any]] = [{"doc_id": d, "tp": c.tp, "predicted": c.predicted, "gold": c.gold}
                                  for d, c in zip(data.doc_ids, per_doc)]  # sorted
    low, high = bootstrap_f1([(r["tp"], r["predicted"], r["gold"]) for r in rows], options.resamples, options.seed)
    return {"value": overall.f1, "precision": overall.precision, "recall": overall.recall,
            "tp": overall.tp, "predicted": overall.predicted, "gold": overall.gold, "ci95": [low, high],
            "n_documents": len(per_doc), "per_document": rows, "higher_is_better": True}


def _group_bcubed(data: LayerData, pairs: list[tuple[int, int]], field: str, alternatives: list) -> dict | str:
    if not data.given(field):
        return NOT_PREDICTED
    gold_c, pred_c, hedged = {}, {}, {}

    def cluster(value, g):
        return value if value is not None else ("singleton", g)

    for (g, p), alts in zip(pairs, alternatives):
        gold_c[g], pred_c[g] = cluster(data.gold[g].get(field), g), cluster(data.pred[p].get(field), g)
        if alts:
            hedged[g] = [cluster(data.pred[q].get(field), g) for q in alts]
    return {**worst_clustering(gold_c, pred_c, hedged, {"bcubed": bcubed})["bcubed"], "computed_over": "overlap-matched pairs"}


# --- Entities --------------------------------------------------------------------------------------

def _entity_tables(data: LayerData) -> tuple[EntityTable, EntityTable]:
    """The entity layer's gold and predictions as columns (``entity_layer_data`` holds them as ``TableRecords``)."""
    return cast(TableRecords, data.gold).table, cast(TableRecords, data.pred).table


def _same_span_pairs(data: LayerData, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one pairs of gold and predicted entity mentions with exactly the same boundaries (among the
    candidates ``keep`` allows), the pairing preferring the same label: the mentions both entity_id
    conventions are computed on."""
    same_bounds, _ = pair_facts(data.g, data.p, data.cand_g, data.cand_p)
    if keep is not None:
        same_bounds = same_bounds & keep
    return match(data.cand_g[same_bounds], data.cand_p[same_bounds],
                 lambda g, p: [np.ones(len(g), dtype=np.int64), (data.g.label[g] == data.p.label[p]).astype(np.int64)])


def _linking_matched_mentions(data: LayerData) -> dict:
    """Linking over the gold mentions with an entity_id that a prediction gives with exactly the same
    boundaries (spaCy's ``score_links``), B-cubed and CEAF-e; a hedge (other predictions of the
    matched span) counts as its worst alternative (``layers.worst_clustering``)."""
    g_idx, p_idx = _same_span_pairs(data)
    gold_table, pred_table = _entity_tables(data)
    gold_entity, pred_entity = gold_table.entity, pred_table.entity  # codes; -1: no entity_id
    linked_pair = gold_entity[g_idx] >= 0
    alternatives = [a for a, linked in zip(data.alternatives(p_idx), linked_pair.tolist()) if linked]
    g_idx, p_idx = g_idx[linked_pair], p_idx[linked_pair]
    mentions = g_idx.tolist()
    gold_c = dict(zip(mentions, gold_entity[g_idx].tolist()))
    pred_c = {g: e if e >= 0 else ("singleton", g) for g, e in zip(mentions, pred_entity[p_idx].tolist())}
    hedged = {g: [e if e >= 0 else ("singleton", g) for e in pred_entity[list(a)].tolist()] for g, a in zip(mentions, alternatives) if a}
    return {"mentions": len(gold_c), "gold_linked_mentions": int(np.count_nonzero(gold_entity >= 0)),
            "computed_over": "gold mentions with an entity_id predicted with exactly the same boundaries",
            **worst_clustering(gold_c, pred_c, hedged, {"bcubed": bcubed, "ceaf_e": ceaf_e})}


def _coreference_all_mentions(data: LayerData) -> dict:
    """End-to-end coreference (CoNLL-2012) over every gold and predicted mention with an entity_id:
    a prediction is the twin of the gold mention with its exact span, one each (the pairing prefers
    the same label); other predictions, unplaced ones included, have no twin. A span predicted with
    two or more entity_ids (a hedge) has no twin at all: its predictions are all twinless, so a
    contradicting answer never raises a number and no id string decides which answer counts."""
    gold_table, pred_table = _entity_tables(data)
    gold_entity, pred_entity = gold_table.entity, pred_table.entity
    group = data.span_group  # predictions of one document and span share a group
    ids_per_group: np.ndarray = np.zeros(int(group.max()) + 1 if len(group) else 0, dtype=np.int64)
    if len(group):
        distinct = np.unique(np.stack([group, pred_entity])[:, pred_entity >= 0], axis=1)
        ids_per_group = np.bincount(distinct[0], minlength=len(ids_per_group))
    linked = (gold_entity[data.cand_g] >= 0) & (pred_entity[data.cand_p] >= 0)
    if len(group):
        linked &= ids_per_group[group[data.cand_p]] <= 1
    g_idx, p_idx = _same_span_pairs(data, linked)
    twin = dict(zip(p_idx.tolist(), g_idx.tolist()))
    names = pred_table.entity_ids.values  # predicted clusters by entity_id, placed or not
    gold_c: dict[Hashable, Hashable] = {("mention", g): e for g, e in enumerate(gold_entity.tolist()) if e >= 0}
    pred_c: dict[Hashable, Hashable] = {(("mention", twin[p]) if p in twin else ("predicted", p)): names[e]
                                        for p, e in enumerate(pred_entity.tolist()) if e >= 0}
    pred_c.update({("unplaced", k): r["entity_id"] for k, (_, r) in enumerate(data.unplaced) if r.get("entity_id") is not None})
    return coreference_scores(gold_c, pred_c)


def score_entities(data: LayerData, options: Options) -> dict:
    labelled = data.given("label")
    results = {name: scheme_result(scheme, data) for name, scheme in SCHEMES.items()}
    strict = results["strict"]
    per_doc_counts = counts_per_doc(strict, data)
    schemes = scheme_table(data, results, labelled, ENTITY_LABELS)
    schemes["strict"]["per_document"] = _per_document(data.doc_ids, per_doc_counts)
    linked = data.given("entity_id")

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
    return {"main": main_score(data, per_doc_counts.prf(), options), "schemes": schemes,
            "linking_matched_mentions": _linking_matched_mentions(data) if linked else NOT_PREDICTED,
            "coreference_all_mentions": _coreference_all_mentions(data) if linked else NOT_PREDICTED,
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


def _quote_checks(judge: Judge, doc_id: str, gold: dict) -> list:
    """The judged attributes of a quote (``layers.Check``): speaker, type, cue (right: the same span, or none on either side)."""
    return [(("speaker", "speaker_id"), lambda pred: judge.right(doc_id, pred, gold, "speaker")),
            (("type",), lambda pred: pred.get("type") == gold["type"]),
            (("cue",), lambda pred: _same_span(pred.get("cue"), gold["cue"]) or pred.get("cue") is None is gold["cue"])]


def _rights(judged):
    """The number of judged attributes a prediction is right on: the matching's last rank component."""
    return lambda gold, pred, doc_id: sum(right(pred) for _, right in judged(doc_id, gold))


def score_quotes(data: LayerData, judge: Judge, options: Options) -> dict:
    def judged(doc_id, gold):
        return _quote_checks(judge, doc_id, gold)

    overlap_g, overlap_p = data.match_overlap(_rights(judged))
    pairs = list(zip(overlap_g.tolist(), overlap_p.tolist()))
    n_predicted, n_gold = int(data.predicted_per_doc().sum()), len(data.g)
    exact = counts_per_doc(scheme_result(SCHEMES["exact"], data), data).total()
    typed = data.given("type")
    per_type, macro_over_types = label_view(SCHEMES["strict"], data, QUOTE_TYPES, typed)
    speaker, type_acc, cue = Accuracy(), Accuracy(), PRF()
    cues_given = data.given("cue")
    errors = ErrorList(data)
    for (g, p), pred in zip(pairs, data.judged(pairs, judged)):  # a hedge as its worst alternative
        doc_id, gold = data.doc_of(g), data.gold[g]
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

    e2e_g, e2e_p = match_overlap(data.g, data.p, *data.filtered(lambda g, p, d: judge.right(d, p, g, "speaker"), overlap_p))
    per_doc = data.per_doc_prf(e2e_g)

    wrong, missed, spurious = leftover_pairs(data, e2e_g, e2e_p)
    for (g, p), pred in zip(wrong, data.judged(wrong, judged, np.r_[e2e_p, [p for _, p in wrong]])):
        gold = data.gold[g]
        shown = pred.get("speaker_id") or (pred["speaker"].get("text") if isinstance(pred.get("speaker"), dict) else pred.get("speaker"))
        errors.add("wrong speaker", g, p, {"gold_speaker": gold["speaker_id"] or (gold["speaker"] or {}).get("text"),
                                           "predicted_speaker": shown})
    errors.add_unmatched(missed, spurious)
    return {
        "main": main_score(data, per_doc, options),
        "content": {"exact_span": exact.as_dict(), "overlap": PRF.of(len(pairs), n_predicted, n_gold).as_dict(),
                    "token_overlap": _token_overlap(data),
                    "per_type_exact_span": per_type, "macro_f1_over_types": macro_over_types},
        "speaker_accuracy": speaker.as_dict() if data.given("speaker", "speaker_id") else NOT_PREDICTED,
        "type_accuracy": type_acc.as_dict() if typed else NOT_PREDICTED,
        "cue": cue.as_dict() if cues_given else NOT_PREDICTED,
        "quote_group_bcubed": _group_bcubed(data, pairs, "quote_group", data.alternatives(overlap_p)),
        **errors.as_dict(),
    }


# --- Numeric claims ----------------------------------------------------------------------------------

def _claim_checks(judge: Judge, doc_id: str, pred: dict, gold: dict) -> dict[str, bool]:
    return {"value": same_value(pred.get("value"), gold["value"]),
            "unit": same_unit(pred.get("unit"), gold["unit"]),
            "approx": pred.get("approx") == gold["approx"],
            "source": judge.right(doc_id, pred, gold, "source")}


def _claim_attribute_checks(judge: Judge, doc_id: str, gold: dict) -> list:
    """The judged attributes of a claim (``layers.Check``): value, unit, approx, source."""
    return [(("value",), lambda pred: same_value(pred.get("value"), gold["value"])),
            (("unit",), lambda pred: same_unit(pred.get("unit"), gold["unit"])),
            (("approx",), lambda pred: pred.get("approx") == gold["approx"]),
            (("source", "source_id"), lambda pred: judge.right(doc_id, pred, gold, "source"))]


def score_numeric_claims(data: LayerData, judge: Judge, options: Options) -> dict:
    def judged(doc_id, gold):
        return _claim_attribute_checks(judge, doc_id, gold)

    exact = counts_per_doc(scheme_result(SCHEMES["exact"], data), data).total()
    approx_given = data.given("approx")
    per_approx, macro_over_approx = label_view(SCHEMES["strict"], data, APPROX_VALUES, approx_given)
    overlap_g, overlap_p = data.match_overlap(_rights(judged))
    pairs = list(zip(overlap_g.tolist(), overlap_p.tolist()))
    accs = {name: Accuracy() for name in LAYER_SPECS["numeric_claims"].judged_attributes}
    errors = ErrorList(data)
    for (g, p), pred in zip(pairs, data.judged(pairs, judged)):  # a hedge as its worst alternative
        gold = data.gold[g]
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

    e2e_g, e2e_p = match_overlap(data.g, data.p, *data.filtered(e2e, overlap_p))
    per_doc = data.per_doc_prf(e2e_g)
    wrong, missed, spurious = leftover_pairs(data, e2e_g, e2e_p)
    for (g, p), pred in zip(wrong, data.judged(wrong, judged, np.r_[e2e_p, [p for _, p in wrong]])):
        gold = data.gold[g]
        checks = _claim_checks(judge, data.doc_of(g), pred, gold)
        bad = ([] if (gold["start"], gold["end"]) == (pred["start"], pred["end"]) else ["boundary"])
        bad += [f"wrong {n}" for n in ("value", "unit", "source") if not checks[n]]
        errors.add(" + ".join(bad), g, p, {"gold_claim": {k: gold[k] for k in ("value", "unit", "source_id")},
                                           "predicted_claim": {k: pred.get(k) for k in ("value", "unit", "source_id", "source")}})
    errors.add_unmatched(missed, spurious)
    return {
        "main": main_score(data, per_doc, options),
        "span": {"exact_span": exact.as_dict(), "overlap": PRF.of(len(pairs), int(data.predicted_per_doc().sum()), len(data.g)).as_dict(),
                 "per_approx_exact_span": per_approx, "macro_f1_over_approx": macro_over_approx},
        **{f"{name}_accuracy": (acc.as_dict() if data.given(name, f"{name}_id") else NOT_PREDICTED) for name, acc in accs.items()},
        "claim_group_bcubed": _group_bcubed(data, pairs, "claim_group", data.alternatives(overlap_p)),
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
    out: dict[str, dict | str] = {}
    placed: dict = {}
    for layer in layers:
        tabled = layer == "entities" and bool(getattr(predictions, "tabled", None))
        if not tabled and not any(layer in doc for doc in aligned.values()):
            out[layer] = NOT_PREDICTED
            continue
        if layer == "entities":
            data = _entity_data(gold, predictions if tabled else None, aligned)
            out[layer] = score_entities(data, options)
        else:
            data = layer_data(layer, gold.texts, gold.layers[layer], aligned, LAYER_SPECS[layer].label_field, LAYER_SPECS[layer].labels)
            out[layer] = (score_quotes if layer == "quotes" else score_numeric_claims)(data, judge, options)
        placed[layer] = (data.g, data.p)
    tabled = len(predictions.entities) if "entities" in layers and getattr(predictions, "tabled", None) else 0
    return Scores(out, options, surplus_warnings(aligned, layers, getattr(predictions, "path", None)),
                  placement_counts(aligned, layers, tabled), placed)


def surplus_warnings(aligned: dict, layers, path: str | None = None) -> list[str]:
    """One warning per layer with surplus copies of text-only records (``spans``: counted once)."""
    out, prefix = [], f"{path}: warning: " if path else "warning: "
    for layer in layers:
        per_doc = [a[layer].surplus for a in aligned.values() if layer in a and a[layer].surplus]
        if per_doc:
            documents = f"{len(per_doc)} document{'s' if len(per_doc) > 1 else ''}"
            out.append(f"{prefix}{layer}: {sum(per_doc)} copies of text-only records beyond the text's occurrences "
                       f"were counted once ({documents})")
    return out


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
