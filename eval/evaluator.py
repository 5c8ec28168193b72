"""The evaluator: every metric of every layer, from aligned predictions and the gold.

Main score per layer (each with a seeded document-level bootstrap interval):
- entities: strict micro F1 (same boundaries and type);
- quotes: end-to-end quote+speaker F1 — a predicted quote counts when it is paired with a gold quote
  by overlap matching and its speaker is right;
- numeric_claims: end-to-end claim F1 — a predicted claim counts when its span is exactly a gold
  claim's and its value, unit and source are right.
Attributes are scored only on matched pairs, so a detection error is not counted twice. A metric
whose field no prediction gives is reported as "not predicted"; a score with nothing to score is
None.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from newsclaims.labels import APPROX_VALUES, AUTHOR, ENTITY_LABELS, LAYERS, QUOTE_TYPES
from newsclaims.tokens import tokenize

from .gold import GoldData
from .matching import SpanArrays, match_spans, optimal_matching, overlapping_pairs
from .metrics import PRF, Accuracy, SchemeCounts, bcubed, bootstrap_f1, ceaf_e, f1_of, is_close_value, macro_f1
from .schemes import SCHEMES
from .spans import AlignedLayer

NOT_PREDICTED = "not predicted"
LABELS = {"entities": ("label", ENTITY_LABELS), "quotes": ("type", QUOTE_TYPES), "numeric_claims": ("approx", APPROX_VALUES)}
MAIN_SCORES = {
    "entities": ("strict micro F1", "entity mentions with the same boundaries and type as a gold mention"),
    "quotes": ("end-to-end quote+speaker F1", "quotes paired with a gold quote by overlap matching whose speaker is right"),
    "numeric_claims": ("end-to-end claim F1", "claims with exactly a gold claim's span and the right value, unit and source"),
}


def _norm_name(text: str) -> str:
    text = re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip().casefold()
    text = re.sub(r"^(the|a|an) ", "", text)
    return re.sub(r"'s$", "", text)


def fold_unit(unit: str | None) -> str | None:
    """Case and plural folded: "Soldiers" -> "soldier", "casualties" -> "casualty"."""
    if unit is None:
        return None
    unit = unit.strip().casefold()
    if unit.endswith("ies") and len(unit) > 4:
        return unit[:-3] + "y"
    if unit.endswith("s") and not unit.endswith("ss") and len(unit) > 3:
        return unit[:-1]
    return unit


class Judge:
    """Whether a predicted speaker or source names the gold one."""

    def __init__(self, gold: GoldData):
        self.names = {eid: {_norm_name(a) for a in e["aliases"]} | {_norm_name(e["name"])} for eid, e in gold.kb.items()}
        self.mentions = {doc_id: {(m["start"], m["end"]): m["entity_id"] for m in mentions}
                         for doc_id, mentions in gold.layers["entities"].items()}

    def attribution(self, doc_id: str, pred: dict, gold: dict, field: str) -> bool:
        gold_id, gold_span = gold[f"{field}_id"], gold[field]
        pred_id, pred_value = pred.get(f"{field}_id"), pred.get(field)
        if gold_id is None:
            return pred_id is None and pred_value is None
        if pred_id is not None and pred_id == gold_id:
            return True
        if gold_id == AUTHOR:
            return pred_value == AUTHOR
        text = pred_value
        if isinstance(pred_value, dict):
            bounds = (pred_value["start"], pred_value["end"])
            if gold_span is not None and bounds == (gold_span["start"], gold_span["end"]):
                return True
            if self.mentions[doc_id].get(bounds) == gold_id:
                return True
            text = pred_value["text"]
        if not isinstance(text, str):
            return False
        name = _norm_name(text)
        return name in self.names.get(gold_id, ()) or (gold_span is not None and name == _norm_name(gold_span["text"]))


def _given(scorer: "LayerScorer", *fields: str) -> bool:
    """Whether some predicted record (placed or not) gives one of the fields. A layer with no records
    at all predicted nothing, which scores as zero recall rather than "not predicted"."""
    records = [r for group in (scorer.pred_records, scorer.unaligned) for recs in group.values() for r in recs]
    return not records or any(r.get(f) is not None for r in records for f in fields)


def _span_arrays(doc_ids: list[str], records_by_doc: dict[str, list[dict]], field: str | None, names) -> tuple:
    code = {name: i for i, name in enumerate(names)}
    rows = [(d, r) for d, doc_id in enumerate(doc_ids) for r in records_by_doc.get(doc_id, [])]
    arrays, order = SpanArrays.build([d for d, _ in rows], [r["start"] for _, r in rows], [r["end"] for _, r in rows],
                                     [code.get(r.get(field), -1) if field else 0 for _, r in rows])
    return arrays, [rows[i] for i in order]


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    left = text[max(0, start - width):start].replace("\n", " ")
    right = text[end:end + width].replace("\n", " ")
    return f"...{left}[{text[start:end]}]{right}..."


class SpanScorer:
    """Scheme counts of matched span arrays: overall, per label and per document."""

    def __init__(self, g: SpanArrays, p: SpanArrays, names, n_docs: int, unaligned_per_doc=None, unaligned_labels=()):
        self.g, self.p, self.names, self.n_docs = g, p, list(names), n_docs
        self.matches = match_spans(g, p)
        self.n_unaligned = np.zeros(n_docs, dtype=np.int64) if unaligned_per_doc is None else unaligned_per_doc
        self.unaligned_labels = list(unaligned_labels)

    def scheme_counts(self, scheme: str, *, by: str = "overall") -> list[SchemeCounts] | SchemeCounts:
        """SchemeCounts overall, or a list of them per label (in label order) or per document."""
        g, p = self.matches.overall[scheme] if by != "label" else self.matches.by_label[scheme]
        same_bounds = (self.g.start[g] == self.p.start[p]) & (self.g.end[g] == self.p.end[p])
        same_label = self.g.label[g] == self.p.label[p]
        if scheme == "strict":
            correct = same_bounds & same_label
        elif scheme in ("exact", "partial"):
            correct = same_bounds
        else:
            correct = same_label
        partial = ~same_bounds if scheme == "partial" else np.zeros(len(g), dtype=bool)
        incorrect = ~correct & ~partial
        if by == "label":
            size = len(self.names)
            keys_g, keys_pair = self.g.label, self.g.label[g]
            keys_p = np.where(self.p.label < 0, size, self.p.label)  # predictions without a label belong to no label
            codes = [self.names.index(x) for x in self.unaligned_labels if x in self.names]
            extra_spurious = np.bincount(np.array(codes, dtype=np.int64), minlength=size)[:size]
        else:
            size = self.n_docs
            keys_g, keys_p, keys_pair = self.g.doc, self.p.doc, self.g.doc[g]
            extra_spurious = self.n_unaligned

        def count(keys, mask=None):
            return np.bincount(keys if mask is None else keys[mask], minlength=size + 1)[:size]

        n_gold, n_pred, n_pairs = count(keys_g), count(keys_p), count(keys_pair)
        cols = (count(keys_pair, correct), count(keys_pair, incorrect), count(keys_pair, partial),
                n_gold - n_pairs, n_pred - n_pairs + extra_spurious)
        if by == "overall":
            return SchemeCounts(*(int(c.sum()) for c in cols))
        return [SchemeCounts(*(int(c[i]) for c in cols)) for i in range(size)]


def scheme_scores(gold_docs: list[list[dict]], pred_docs: list[list[dict]], labels) -> dict:
    """Counts of the four schemes, overall and per label, for plain span lists (one list per
    document of {"start", "end", "label"} dicts, end exclusive). The benchmark's entry point."""
    from operator import itemgetter

    class Codes(dict):
        def __missing__(self, key):
            return -1

    code = Codes((name, i) for i, name in enumerate(labels))

    def arrays(docs):
        sizes = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        flat = [x for spans in docs for x in spans]
        n = len(flat)
        return SpanArrays.build(np.repeat(np.arange(len(docs)), sizes),
                                np.fromiter(map(itemgetter("start"), flat), dtype=np.int64, count=n),
                                np.fromiter(map(itemgetter("end"), flat), dtype=np.int64, count=n),
                                np.fromiter(map(code.__getitem__, map(itemgetter("label"), flat)), dtype=np.int64, count=n))[0]

    scorer = SpanScorer(arrays(gold_docs), arrays(pred_docs), labels, len(gold_docs))
    out = {}
    for scheme in SCHEMES:
        per_label = scorer.scheme_counts(scheme, by="label")
        out[scheme] = {"overall": scorer.scheme_counts(scheme),
                       "per_label": {name: c for name, c in zip(labels, per_label) if c.possible or c.actual}}
    return out


class LayerScorer:
    """Matches one layer over the corpus and keeps what the metrics need."""

    def __init__(self, layer: str, gold: GoldData, aligned: dict[str, dict[str, AlignedLayer]]):
        self.layer = layer
        self.doc_ids = list(gold.texts)
        self.texts = gold.texts
        field, names = LABELS[layer]
        self.names = names
        self.gold_records = gold.layers[layer]
        self.pred_records = {d: aligned[d][layer].records for d in self.doc_ids if d in aligned and layer in aligned[d]}
        self.unaligned = {d: aligned[d][layer].unaligned for d in self.doc_ids if d in aligned and layer in aligned[d]}
        self.g, self.g_rows = _span_arrays(self.doc_ids, self.gold_records, field, names)
        self.p, self.p_rows = _span_arrays(self.doc_ids, self.pred_records, field, names)
        n_unaligned = np.array([len(self.unaligned.get(d, [])) for d in self.doc_ids], dtype=np.int64)
        labels = [r.get(field) for d in self.doc_ids for r in self.unaligned.get(d, [])] if field else []
        self.spans = SpanScorer(self.g, self.p, names, len(self.doc_ids), n_unaligned, labels)
        self.matches = self.spans.matches

    def scheme_counts(self, scheme: str, *, by: str = "overall"):
        """Overall SchemeCounts, or a dict of them by label name or by doc_id."""
        result = self.spans.scheme_counts(scheme, by=by)
        if by == "overall":
            return result
        keys = self.names if by == "label" else self.doc_ids
        return dict(zip(keys, result))

    def pairs(self, scheme: str) -> list[tuple[str, dict, dict]]:
        """(doc_id, gold record, predicted record) of the scheme's overall matches."""
        g, p = self.matches.overall[scheme]
        return [(self.doc_ids[self.g_rows[i][0]], self.g_rows[i][1], self.p_rows[j][1]) for i, j in zip(g.tolist(), p.tolist())]

    def unmatched(self, scheme: str) -> tuple[list, list]:
        """(missed gold, spurious predictions) as (doc_id, record) lists, unaligned predictions included."""
        g, p = self.matches.overall[scheme]
        gi, pj = set(g.tolist()), set(p.tolist())
        missed = [(self.doc_ids[d], r) for i, (d, r) in enumerate(self.g_rows) if i not in gi]
        spurious = [(self.doc_ids[d], r) for j, (d, r) in enumerate(self.p_rows) if j not in pj]
        return missed, spurious

    def per_doc_prf(self, pairs_ok: list[tuple[str, bool]]) -> dict[str, PRF]:
        """PRF per document from (doc_id, counts-as-true-positive) of matched pairs."""
        tp = defaultdict(int)
        for doc_id, ok in pairs_ok:
            tp[doc_id] += ok
        out = {}
        for d, doc_id in enumerate(self.doc_ids):
            predicted = len(self.pred_records.get(doc_id, [])) + len(self.unaligned.get(doc_id, []))
            out[doc_id] = PRF(tp[doc_id], predicted, len(self.gold_records.get(doc_id, [])))
        return out


def _sum(per_doc: dict[str, PRF]) -> PRF:
    total = PRF()
    for prf in per_doc.values():
        total = total + prf
    return total


def _main(per_doc: dict[str, PRF], predicted: bool, resamples: int, seed: int) -> dict:
    total = _sum(per_doc)
    low, high = bootstrap_f1([(c.tp, c.predicted, c.gold) for c in per_doc.values()], resamples, seed) if predicted else (None, None)
    return {"value": total.f1 if predicted else NOT_PREDICTED, "ci95": [low, high], "n_documents": len(per_doc),
            "per_document": {d: [c.tp, c.predicted, c.gold] for d, c in per_doc.items()}, "higher_is_better": True}


def _error_lists(scorer: LayerScorer, scheme: str, wrong_pairs: list) -> dict:
    missed, spurious = scorer.unmatched(scheme)
    ctx = lambda d, r: _context(scorer.texts[d], r["start"], r["end"])
    return {
        "false_negatives": [{"doc_id": d, "start": r["start"], "end": r["end"], "text": r["text"], "context": ctx(d, r)} for d, r in missed],
        "false_positives": [{"doc_id": d, "start": r["start"], "end": r["end"], "text": r["text"], "context": ctx(d, r)} for d, r in spurious],
        "wrong_attributes": wrong_pairs,
        "unaligned": [{"doc_id": d, "text": r.get("text"), "reason": r["reason"]} for d, recs in scorer.unaligned.items() for r in recs],
    }


def score_entities(gold: GoldData, aligned: dict, resamples: int, seed: int) -> dict:
    s = LayerScorer("entities", gold, aligned)
    labelled = _given(s, "label")
    schemes = {}
    for scheme in SCHEMES:
        if scheme in ("strict", "type") and not labelled:
            schemes[scheme] = NOT_PREDICTED
            continue
        overall = s.scheme_counts(scheme)
        per_label = s.scheme_counts(scheme, by="label")
        schemes[scheme] = {"micro": overall.as_dict(), "macro_f1": macro_f1(per_label),
                           "per_label": {k: v.as_dict() for k, v in per_label.items() if v.possible or v.actual}}
    per_doc_strict = s.scheme_counts("strict" if labelled else "exact", by="doc")
    per_doc = {d: PRF(c.correct, c.actual, c.possible) for d, c in per_doc_strict.items()}
    linking = NOT_PREDICTED
    if _given(s, "entity_id"):
        gold_clusters, pred_clusters = {}, {}
        for doc_id, g, p in s.pairs("exact"):
            if g["entity_id"] is not None:
                key = (doc_id, g["start"], g["end"])
                gold_clusters[key] = g["entity_id"]
                pred_clusters[key] = p.get("entity_id") if p.get("entity_id") is not None else ("singleton", key)
        linking = {"mentions": len(gold_clusters), "bcubed": bcubed(gold_clusters, pred_clusters),
                   "ceaf_e": ceaf_e(gold_clusters, pred_clusters)}
    wrong = [{"doc_id": d, "text": p["text"], "gold_label": g["label"], "predicted_label": p.get("label")}
             for d, g, p in s.pairs("exact") if p.get("label") != g["label"]]
    return {"main": _main(per_doc, labelled, resamples, seed),
            "schemes": schemes, "linking": linking, "per_document": {d: c.as_dict() for d, c in per_doc_strict.items()},
            "errors": _error_lists(s, "strict" if labelled else "exact", wrong)}


def _token_overlap(s: LayerScorer) -> dict:
    """PARC/citron-style content scores: tokens shared by optimally paired quotes."""
    shared_total = pred_total = gold_total = 0
    for doc_id in s.doc_ids:
        text = s.texts[doc_id]
        gold, pred = s.gold_records.get(doc_id, []), s.pred_records.get(doc_id, [])
        tokens = tokenize(text)
        starts = np.array([a for a, _ in tokens], dtype=np.int64)
        ends = np.array([b for _, b in tokens], dtype=np.int64)

        def token_set(r):  # the tokens a span touches
            return set(range(int(np.searchsorted(ends, r["start"], "right")), int(np.searchsorted(starts, r["end"], "left"))))

        tg, tp = [token_set(r) for r in gold], [token_set(r) for r in pred]
        gold_total += sum(map(len, tg))
        pred_total += sum(map(len, tp))
        spans_g = [(r["start"], r["end"]) for r in gold]
        spans_p = [(r["start"], r["end"]) for r in pred]
        pairs = optimal_matching(overlapping_pairs(spans_g, spans_p), lambda i, j: len(tg[i] & tp[j]) or None)
        shared_total += sum(len(tg[i] & tp[j]) for i, j in pairs)
    pred_total += sum(len(tokenize(r.get("text") or "")) for recs in s.unaligned.values() for r in recs)
    p = shared_total / pred_total if pred_total else None
    r = shared_total / gold_total if gold_total else None
    return {"precision": p, "recall": r, "f1": None if p is None and r is None else f1_of(p or 0.0, r or 0.0),
            "shared_tokens": shared_total, "predicted_tokens": pred_total, "gold_tokens": gold_total}


def _group_bcubed(pairs: list, field: str) -> dict | str:
    if not any(p.get(field) is not None for _, _, p in pairs):
        return NOT_PREDICTED
    gold_c, pred_c = {}, {}
    for doc_id, g, p in pairs:
        key = (doc_id, g["start"], g["end"])
        gold_c[key] = g[field] if g[field] is not None else ("singleton", key)
        pred_c[key] = p.get(field) if p.get(field) is not None else ("singleton", key)
    return bcubed(gold_c, pred_c)


def score_quotes(gold: GoldData, aligned: dict, judge: Judge, resamples: int, seed: int) -> dict:
    s = LayerScorer("quotes", gold, aligned)
    unaligned = int(s.spans.n_unaligned.sum())
    n_pred, n_gold = len(s.p) + unaligned, len(s.g)
    strict = s.scheme_counts("exact")
    overlap_pairs = s.pairs("partial")
    has_speaker = _given(s, "speaker", "speaker_id")
    speaker_ok = [(d, judge.attribution(d, p, g, "speaker")) for d, g, p in overlap_pairs]
    type_acc, cue = Accuracy(), PRF()
    for _, g, p in overlap_pairs:
        type_acc.add(p.get("type") == g["type"])
        pred_cue = p.get("cue") if isinstance(p.get("cue"), dict) else None
        cue.predicted += pred_cue is not None
        cue.gold += g["cue"] is not None
        cue.tp += pred_cue is not None and g["cue"] is not None and (pred_cue["start"], pred_cue["end"]) == (g["cue"]["start"], g["cue"]["end"])
    speaker_acc = Accuracy(sum(ok for _, ok in speaker_ok), len(speaker_ok))
    per_doc = s.per_doc_prf(speaker_ok if has_speaker else [])
    per_type = s.scheme_counts("strict", by="label")
    wrong = [{"doc_id": d, "text": p["text"][:80], "gold_speaker": g["speaker_id"],
              "predicted_speaker": p.get("speaker_id") or (p["speaker"]["text"] if isinstance(p.get("speaker"), dict) else p.get("speaker"))}
             for (d, g, p), (_, ok) in zip(overlap_pairs, speaker_ok) if has_speaker and not ok]
    return {
        "main": _main(per_doc, has_speaker, resamples, seed),
        "content": {"strict": strict.as_dict(), "overlap": PRF(len(overlap_pairs), n_pred, n_gold).as_dict(),
                    "token_overlap": _token_overlap(s),
                    "per_type_strict": {k: v.as_dict() for k, v in per_type.items() if v.possible or v.actual},
                    "macro_f1_over_types": macro_f1(per_type)},
        "speaker_accuracy": speaker_acc.as_dict() if has_speaker else NOT_PREDICTED,
        "type_accuracy": type_acc.as_dict() if _given(s, "type") else NOT_PREDICTED,
        "cue": cue.as_dict() if _given(s, "cue") else NOT_PREDICTED,
        "quote_group_bcubed": _group_bcubed(overlap_pairs, "quote_group"),
        "per_document": {d: c.as_dict() for d, c in per_doc.items()},
        "errors": _error_lists(s, "partial", wrong),
    }


def score_numeric_claims(gold: GoldData, aligned: dict, judge: Judge, resamples: int, seed: int) -> dict:
    s = LayerScorer("numeric_claims", gold, aligned)
    strict = s.scheme_counts("exact")
    per_approx = s.scheme_counts("strict", by="label")  # span and approximation both right
    overlap_pairs = s.pairs("partial")
    unaligned = int(s.spans.n_unaligned.sum())
    accs = {name: Accuracy() for name in ("value", "unit", "approx", "source")}
    wrong = []
    for d, g, p in overlap_pairs:
        checks = {
            "value": p.get("value") is not None and is_close_value(float(p["value"]), float(g["value"])),
            "unit": fold_unit(p.get("unit")) == fold_unit(g["unit"]),
            "approx": p.get("approx") == g["approx"],
            "source": judge.attribution(d, p, g, "source"),
        }
        for name, ok in checks.items():
            accs[name].add(ok)
        bad = [n for n, ok in checks.items() if not ok]
        if bad:
            wrong.append({"doc_id": d, "text": g["text"], "wrong": bad})
    given = {"value": _given(s, "value"), "unit": _given(s, "unit"),
             "approx": _given(s, "approx"), "source": _given(s, "source", "source_id")}
    e2e_predicted = given["value"] and given["unit"] and given["source"]
    strict_pairs = s.pairs("exact")
    e2e_ok = [(d, g["start"] == p["start"] and g["end"] == p["end"]
               and p.get("value") is not None and is_close_value(float(p["value"]), float(g["value"]))
               and fold_unit(p.get("unit")) == fold_unit(g["unit"]) and judge.attribution(d, p, g, "source"))
              for d, g, p in strict_pairs]
    per_doc = s.per_doc_prf(e2e_ok if e2e_predicted else [])
    return {
        "main": _main(per_doc, e2e_predicted, resamples, seed),
        "span": {"strict": strict.as_dict(), "overlap": PRF(len(overlap_pairs), len(s.p) + unaligned, len(s.g)).as_dict(),
                 "per_approx_strict": {k: v.as_dict() for k, v in per_approx.items() if v.possible or v.actual},
                 "macro_f1_over_approx": macro_f1(per_approx)},
        **{f"{name}_accuracy": (acc.as_dict() if given[name] else NOT_PREDICTED) for name, acc in accs.items()},
        "claim_group_bcubed": _group_bcubed(overlap_pairs, "claim_group"),
        "per_document": {d: c.as_dict() for d, c in per_doc.items()},
        "errors": _error_lists(s, "partial", wrong),
    }


def evaluate(gold: GoldData, aligned: dict[str, dict[str, AlignedLayer]], layers=LAYERS,
             resamples: int = 1000, seed: int = 0) -> dict:
    """Scores of every requested layer; a layer no prediction gives is "not predicted"."""
    judge = Judge(gold)
    out = {}
    for layer in layers:
        if not any(layer in doc for doc in aligned.values()):
            out[layer] = NOT_PREDICTED
        elif layer == "entities":
            out[layer] = score_entities(gold, aligned, resamples, seed)
        elif layer == "quotes":
            out[layer] = score_quotes(gold, aligned, judge, resamples, seed)
        else:
            out[layer] = score_numeric_claims(gold, aligned, judge, resamples, seed)
    return out
