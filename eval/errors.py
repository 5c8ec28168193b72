"""A layer's errors: every one counted by class, the first ``MAX_LISTED`` of each listed in context.

An entry names its class (``missed``, ``spurious``, ``wrong speaker`` …), its document, and the gold
and predicted spans it concerns with their text and ``CONTEXT`` characters either side.
"""

from __future__ import annotations

import numpy as np

from newsclaims.matching import match_overlap

from .layers import LayerData

CONTEXT = 40  # characters of context either side of an error
MAX_SURFACE = 120  # characters of a span's text copied into an error entry
MAX_LISTED = 1000  # errors listed per class and layer (the summary counts them all)


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


def leftover_pairs(data: LayerData, g_done: np.ndarray, p_done: np.ndarray) -> tuple[list, list, list]:
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
