"""Judging an attribution: whether a predicted speaker (of a quote) or source (of a claim) is right.

One rule, with no way to be right by one field and wrong by another of the same attribute:

1. An id given (``speaker_id`` / ``source_id``) is judged by the id alone: right when it equals the
   gold id. A name or span given beside it is not looked at.
2. With no id, a span (``speaker`` / ``source`` with offsets, or text placed in the document) is
   right when it has the gold span's boundaries, is exactly a gold entity mention of the gold id, or
   its text names the gold id as in rule 3. A span whose text could not be placed is wrong.
3. With no id, a bare name (a string) is right when, normalised (``newsclaims.normalise.norm_name``), it is a
   name or alias of the gold id in the knowledge base. The name ``author`` means the article's own
   voice: right when the gold id is ``author``.
4. With nothing given, the attribution is right only when the gold has none either (no id and no
   span).

The gold span's *text* is never a name: a pronoun or a description ("He", "the official") is judged
where it stands (rule 2's boundaries), so Rutte's "He" is not Biden's, and "he" given as a bare name
or placed elsewhere is right for no quote.
"""

from __future__ import annotations

from newsclaims.labels import AUTHOR
from newsclaims.normalise import norm_name

UNPLACED = "unplaced"  # key set by spans.py on an attribution span whose text is not in the document


class Judge:
    """Judges speakers and sources against the gold of one dataset."""

    def __init__(self, kb: dict[str, dict], entity_mentions: dict[str, list[dict]]):
        self.names = {eid: {norm_name(a) for a in e.get("aliases", [])} | {norm_name(e["name"])} for eid, e in kb.items()}
        self.entity_mentions = entity_mentions
        self._mentions: dict[str, dict] = {}

    def mention_id(self, doc_id: str, bounds: tuple[int, int]) -> str | None:
        """The entity_id of the gold mention with exactly these offsets (built per document on demand)."""
        if doc_id not in self._mentions:
            self._mentions[doc_id] = {(m["start"], m["end"]): m.get("entity_id") for m in self.entity_mentions.get(doc_id, [])}
        return self._mentions[doc_id].get(bounds)

    def right(self, doc_id: str, pred: dict, gold: dict, field: str) -> bool:
        gold_id, gold_span = gold.get(f"{field}_id"), gold.get(field)
        pred_id, pred_value = pred.get(f"{field}_id"), pred.get(field)
        if pred_id is not None:
            return pred_id == gold_id
        if pred_value is None:
            return gold_id is None and gold_span is None
        if isinstance(pred_value, dict):
            if pred_value.get(UNPLACED):
                return False
            bounds = (pred_value["start"], pred_value["end"])
            if gold_span is not None and bounds == (gold_span["start"], gold_span["end"]):
                return True
            if gold_id is not None and self.mention_id(doc_id, bounds) == gold_id:
                return True
            return self._names(norm_name(pred_value["text"]), gold_id)
        name = norm_name(pred_value)
        if name == AUTHOR:
            return gold_id == AUTHOR
        return self._names(name, gold_id)

    def _names(self, name: str, gold_id: str | None) -> bool:
        """Whether a normalised name is a knowledge-base name or alias of the gold id."""
        return gold_id is not None and gold_id != AUTHOR and name in self.names.get(gold_id, ())
