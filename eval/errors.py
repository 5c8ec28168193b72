"""A layer's errors: every one counted by class, the first ``MAX_LISTED`` of each listed in context.

An entry names its class (``missed``, ``spurious``, ``wrong speaker`` …), its document, and the gold
and predicted spans it concerns with their text and ``CONTEXT`` characters either side (entities:
with their label and entity_id too, so a "wrong type" entry shows both types).

Each class explains one number, and ``error_summary.explains`` says which:

- ``main_score``: what the layer's main score did not credit. Every gold record it did not credit is
  in exactly one of these classes, and so is every prediction: a paired class (``wrong type`` and
  ``boundary`` of entities, ``wrong speaker``, ``boundary + wrong value`` …) holds one gold record and
  one prediction, ``missed`` a gold record, ``spurious`` and ``unplaced`` a prediction. So gold = tp
  + paired + missed and predicted = tp + paired + spurious + unplaced.
- an attribute metric (``ATTRIBUTE_CLASSES``): the overlap-matched pairs (the pairs attribute
  accuracies are taken on) wrong on that attribute. These pairs are not the main score's: quotes'
  speaker accuracy is taken on every overlap-matched pair, while ``wrong speaker`` lists only the
  pairs the main score left uncredited (a gold quote may be credited through another prediction).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from newsclaims.matching import match_overlap

from .layers import LayerData

CONTEXT = 40  # characters of context either side of an error
MAX_SURFACE = 120  # characters of a span's text copied into an error entry
MAX_LISTED = 1000  # errors listed per class and layer (the summary counts them all)
MAIN_SCORE = "main_score"
UNPAIRED = ("missed", "spurious", "unplaced")  # classes of one side only; every other main-score class is a pair
ATTRIBUTE_CLASSES = {  # layer -> class -> the metric it explains (every other class explains the main score)
    "quotes": {"wrong type": "type_accuracy", "wrong cue": "cue"},
    "numeric_claims": {"wrong approx": "approx_accuracy"},
}


def _span_entry(text: str, record: dict, layer: str) -> dict:
    start, end = record["start"], record["end"]
    surface = text[start:end]
    left = text[max(0, start - CONTEXT):start].replace("\n", " ")
    right = text[end:end + CONTEXT].replace("\n", " ")
    shown = surface if len(surface) <= MAX_SURFACE else surface[:MAX_SURFACE] + "…"
    entry = {"start": start, "end": end, "text": shown, "length": len(surface),
             "context": f"…{left}[{shown.replace(chr(10), ' ')}]{right}…"}
    if layer == "entities":
        entry.update(label=record.get("label"), entity_id=record.get("entity_id"))
    return entry


def _error(data: LayerData, kind: str, g: int | None = None, p: int | None = None, detail: dict | None = None) -> dict:
    d = data.g.doc[g] if g is not None else data.p.doc[p]
    doc_id = data.doc_ids[int(d)]
    text = data.texts[doc_id]
    entry: dict[str, Any] = {"class": kind, "doc_id": doc_id}
    if g is not None:
        entry["gold"] = _span_entry(text, data.gold[g], data.layer)
    if p is not None:
        entry["predicted"] = _span_entry(text, data.pred[p], data.layer)
    if detail:
        entry.update(detail)
    return entry


class ErrorList:
    """Every error of a layer counted by class; at most MAX_LISTED of each class listed in context."""

    def __init__(self, data: LayerData):
        self.data = data
        self.entries: list[dict] = []
        self.counts: dict[str, int] = {}

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
                shown = {"text": r["text"], "length": r["length"]}
                if self.data.layer == "entities":
                    shown.update(label=r.get("label"), entity_id=r.get("entity_id"))
                self.entries.append({"class": "unplaced", "doc_id": self.data.doc_ids[d], "predicted": shown, "reason": r["reason"]})

    def as_dict(self) -> dict:
        attributes = ATTRIBUTE_CLASSES.get(self.data.layer, {})
        counts = dict(sorted(self.counts.items()))
        return {"errors": self.entries, "error_summary": {
            "counts": counts, "explains": {kind: attributes.get(kind, MAIN_SCORE) for kind in counts},
            "listed_per_class_at_most": MAX_LISTED}}


def leftover_pairs(data: LayerData, g_done: np.ndarray, p_done: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
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
