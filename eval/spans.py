"""Spans: turning predicted records into offsets (the second stage: predictions -> spans -> matching).

- A record's span is ``start``/``end``, or ``text`` with an optional 0-based ``occurrence``. An
  *occurrence* of a text is a place where it occurs exactly and does not continue a word: where the
  text begins with a letter, a digit or a full stop, no letter or digit stands right before it, and
  where it ends with one, none right after it. So "Russia" does not occur inside "Russian", nor
  "U.S." inside "U.S.A"; a cue ":" does occur after "Pentagon".
  ``occurrence`` k is the k-th occurrence, left to right. Without it, the record takes the first
  *free* occurrence: one whose span no other record of its layer has, preferring those that do not
  overlap a record already placed (so "Biden" is not placed inside "Joe Biden" while a "Biden"
  stands alone). Records with offsets take their places first, then those with an occurrence, then
  the others, longer texts first and then in the canonical order of their content (never in file
  order, so that reordering a file changes nothing).
- A record whose text cannot be placed is *unplaced*: it counts as a prediction that is wrong
  (a false positive) and is listed with the reason.
- A quote's ``speaker`` and ``cue`` and a claim's ``source`` given as text (``{"text": ...}``) are
  placed at the occurrence nearest to their record's span (the smallest gap; on a tie, the one to
  the left), or at the k-th with ``occurrence``. One that cannot be placed is wrong and listed. A
  bare string is a name, not a span.
- ``null`` counts as not given wherever a record's identity is taken: before placing (``_raw_key``)
  and after (``content_key``). Adding ``"field": null`` to a record, or removing one, changes nothing.
- Copies of a text-only record (equal after dropping nulls and ``id``) are repeated mentions: k
  copies take the first k free occurrences, left to right. Copies beyond the free occurrences are
  *surplus*: copies of a record already placed, so (predictions are sets) they count once, adding no
  prediction and no false positive, and ``score`` warns with their count. A text-only record whose
  text cannot be placed at all is one unplaced record however many copies there are.
- After placing, predictions are sets: records equal in offsets and ``content_key`` count once
  (``layers`` enforces it).
- Typography is forgiven, content never (``DocumentText``). A text that does not occur exactly is
  looked for modulo typography: a run of whitespace (line breaks, no-break spaces) equals one space;
  straight and curly double quotes (" “ ” „ ‟) equal each other, and so do straight and curly single
  quotes and apostrophes (' ‘ ’ ‚ ‛ ʼ); dashes and hyphens (- ‐ ‑ ‒ – — ― −) equal each other; and a
  word broken over a line, a single line break between a letter (or a dash after a letter) and a
  lower-case letter ("sovereign t⏎erritory" in seed 000), may also be read as nothing, so the joined
  word ("territory"; "cooperation" or "co-operation" for "co-⏎operation") is found. (The text cannot
  tell a broken word from a line ending at a word, so "concerns⏎during" is found as "concernsduring"
  too.) Nothing else: no case folding, no edit distance. The placed span is the document's own characters (offsets into the text as it is).
  The exact text is tried first: a text's occurrences are its exact ones when it has any, else its
  occurrences modulo typography. The choice is made by the text and the document alone (not by
  which places other records took), so ``occurrence`` k counts in one list and a text with an exact
  occurrence is never placed elsewhere by normalisation. The word-boundary rule and the free-
  occurrence rule apply to those occurrences unchanged, on the document's characters around the
  placed span. ``score`` reports per layer how many records were placed by offsets, exactly and
  through normalisation, and how many were unplaced (``placement_counts``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from newsclaims.labels import LAYER_SPECS, LAYERS

from .attribution import UNPLACED

MAX_SHOWN_TEXT = 200  # characters of an unplaced text kept for the report (its length is kept too)
DOUBLE_QUOTES, SINGLE_QUOTES, DASHES = "\"“”„‟", "'‘’‚‛ʼ", "-‐‑‒–—―−"
TYPOGRAPHY = str.maketrans({**dict.fromkeys(DOUBLE_QUOTES, '"'), **dict.fromkeys(SINGLE_QUOTES, "'"), **dict.fromkeys(DASHES, "-")})
WHITESPACE = re.compile(r"\s+")
SOFT_BREAK = "\n"  # in the typographic view: a line break inside a word, read as a space or as nothing
HOW_PLACED = ("offsets", "exact", "normalised", "unplaced")  # placement_counts' keys


def _word_edge(char: str) -> bool:
    return char.isalnum() or char == "."


def _stands_alone(text: str, needle: str, start: int, end: int) -> bool:
    """The word-boundary rule (module docstring) for needle placed at text[start:end]."""
    return ((not _word_edge(needle[0]) or start == 0 or not text[start - 1].isalnum())
            and (not _word_edge(needle[-1]) or end == len(text) or not text[end].isalnum()))


def occurrences(text: str, needle: str) -> list[int]:
    """Start offsets where needle occurs exactly in text without continuing a word (see the module docstring)."""
    found = []
    if not needle:
        return found
    start = text.find(needle)
    while start >= 0:
        if _stands_alone(text, needle, start, start + len(needle)):
            found.append(start)
        start = text.find(needle, start + 1)
    return found


@lru_cache(maxsize=4096)
def _typographic_pattern(needle: str) -> re.Pattern:
    """The needle, typography folded, as a pattern over a typographic view: a space matches a space or
    a soft break, and a soft break (with the dash before it) may stand between a letter or a dash and
    a lower-case letter."""
    folded = WHITESPACE.sub(" ", needle).translate(TYPOGRAPHY)
    parts = []
    for k, char in enumerate(folded):
        if k and char.islower() and (folded[k - 1].isalpha() or folded[k - 1] == "-"):
            parts.append(f"(?:-?{SOFT_BREAK})?" if folded[k - 1].isalpha() else f"{SOFT_BREAK}?")
        parts.append(f"[ {SOFT_BREAK}]" if char == " " else re.escape(char))
    return re.compile("".join(parts))


class DocumentText:
    """A document's text, where records' texts are placed: exactly, else modulo typography (module
    docstring). The typographic view (the text with quotes and dashes folded, each whitespace run one
    space or a soft break, and each view character's span in the text) is built once per document,
    on the first text that does not occur exactly."""

    def __init__(self, text: str):
        self.text = text
        self._view: tuple[str, list[int], list[int]] | None = None

    def breaks_a_word(self, start: int, end: int) -> bool:
        """A single line break inside a word: after a letter (or a dash after a letter), before a lower-case letter."""
        text = self.text
        before = text[start - 1] if start else ""
        return (text[start:end] in ("\n", "\r\n") and end < len(text) and text[end].islower()
                and (before.isalpha() or (before in DASHES and start > 1 and text[start - 2].isalpha())))

    def view(self) -> tuple[str, list[int], list[int]]:
        if self._view is None:
            text, pieces, starts, ends, pos = self.text, [], [], [], 0
            for m in WHITESPACE.finditer(text):
                a, b = m.span()
                pieces += [text[pos:a], SOFT_BREAK if self.breaks_a_word(a, b) else " "]
                starts += [*range(pos, a), a]
                ends += [*range(pos + 1, a + 1), b]
                pos = b
            pieces.append(text[pos:])
            starts += range(pos, len(text))
            ends += range(pos + 1, len(text) + 1)
            self._view = ("".join(pieces).translate(TYPOGRAPHY), starts, ends)
        return self._view

    def places(self, needle: str) -> tuple[list[tuple[int, int]], bool]:
        """The (start, end) spans where needle occurs, left to right, and whether they were found
        through normalisation: the exact occurrences when there are any, else those modulo typography."""
        exact = occurrences(self.text, needle)
        if exact or not needle:
            return [(s, s + len(needle)) for s in exact], False
        view, starts, ends = self.view()
        pattern, found = _typographic_pattern(needle), []
        m = pattern.search(view)
        while m:
            start, end = starts[m.start()], ends[m.end() - 1]
            if _stands_alone(self.text, needle, start, end):
                found.append((start, end))
            m = pattern.search(view, m.start() + 1)
        return found, bool(found)


def content_key(record: dict, layer: str):
    """What, besides its offsets, makes a placed record this record: every field but ``id``, the
    offsets and the surface ``text`` (which the offsets decide); a null field is a field not given."""
    if layer == "entities":  # the common, large case: a tuple is cheaper than JSON
        return (record.get("label") or "", record.get("entity_id") or "")
    rest = {k: v for k, v in record.items() if k not in ("id", "text", "start", "end", "occurrence") and v is not None}
    return json.dumps(rest, sort_keys=True, ensure_ascii=False)


def given(value):
    """A value without its null fields, nested ones too (null counts as not given)."""
    if isinstance(value, dict):
        return {k: given(v) for k, v in value.items() if v is not None}
    return value


def _shown(needle: str) -> dict:
    return {"text": needle[:MAX_SHOWN_TEXT], "length": len(needle)}


@dataclass
class AlignedLayer:
    """A layer's placed records (in placing order), its unplaced records (deduplicated), the number
    of surplus copies of text-only records (counted once; see the module docstring) and how its
    records and their speaker/cue/source spans were placed (``HOW_PLACED`` counts)."""

    records: list[dict] = field(default_factory=list)
    unplaced: list[dict] = field(default_factory=list)
    surplus: int = 0
    placed_by: Counter = field(default_factory=Counter)
    attributions_placed_by: Counter = field(default_factory=Counter)


def _nearest(places: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    return min(places, key=lambda place: (max(0, start - place[1], place[0] - end), place[0]))


def _place_attribution(value, doc: DocumentText, start: int, end: int, placed_by: Counter):
    """A speaker/cue/source value with offsets; a bare name stays a string. ``placed_by`` counts how."""
    if not isinstance(value, dict):
        return value
    text = doc.text
    if value.get("start") is not None:
        placed_by["offsets"] += 1
        return {"start": value["start"], "end": value["end"], "text": text[value["start"]:value["end"]]}
    needle = value.get("text") or ""
    places, normalised = doc.places(needle)
    k = value.get("occurrence")
    place = None
    if k is not None:
        place = places[k] if k < len(places) else None
        reason = f"occurrence {k} of the text not found ({len(places)} occurrences)"
    elif places:
        place = _nearest(places, start, end)
    else:
        reason = "the text does not occur in the document"
    if place is None:
        placed_by["unplaced"] += 1
        return {**_shown(needle), UNPLACED: reason}
    placed_by["normalised" if normalised else "exact"] += 1
    return {"start": place[0], "end": place[1], "text": text[place[0]:place[1]]}


def _raw_key(record: dict) -> str:
    """The identity of a record as given, before placing (text-only records have no offsets yet):
    every field but ``id``, nulls dropped."""
    return json.dumps({k: v for k, v in given(record).items() if k != "id"}, sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class PlacedSpans:
    """Records' own spans placed (their speaker/cue/source not yet): (start, end, record) in placing
    order, the records that could not be placed with the reason, the surplus copies and how each
    placed record was placed (``HOW_PLACED`` counts)."""

    spans: list[tuple[int, int, dict]] = field(default_factory=list)
    unplaced: list[tuple[dict, str]] = field(default_factory=list)
    surplus: int = 0
    placed_by: Counter = field(default_factory=Counter)


def place_spans(records: list[dict], doc: DocumentText) -> PlacedSpans:
    """Each record's span: its offsets, else its text placed by the module docstring's rules."""
    out = PlacedSpans()
    taken: set[tuple[int, int]] = set()
    covered = bytearray(len(doc.text))  # 1 where a placed record of the layer stands

    def take(start: int, end: int, record: dict, how: str) -> None:
        out.spans.append((start, end, record))
        taken.add((start, end))
        covered[start:end] = b"\x01" * (end - start)
        out.placed_by[how] += 1

    copies: dict[str, list[dict]] = {}  # text-only records by identity: the copies of each
    for r in records:
        if r.get("start") is None and r.get("occurrence") is None:
            copies.setdefault(_raw_key(r), []).append(r)
    for r in records:
        if r.get("start") is not None:
            take(r["start"], r["end"], r, "offsets")
    with_occurrence = [r for r in records if r.get("start") is None and r.get("occurrence") is not None]
    text_only = [copies[key][0] for key in sorted(copies, key=lambda key: (-len(copies[key][0]["text"]), key))]
    for r in with_occurrence + text_only:
        places, normalised = doc.places(r["text"])
        k = r.get("occurrence")
        if k is not None:
            chosen = [places[k]] if k < len(places) else []
        else:
            n = len(copies[_raw_key(r)])
            free = [p for p in places if p not in taken]
            clear = [p for p in free if covered.find(1, *p) < 0]
            chosen = (clear + [p for p in free if p not in set(clear)])[:n]
            out.surplus += n - len(chosen) if chosen else 0
        if not chosen:
            out.unplaced.append((r, f"occurrence {k} of the text not found ({len(places)} occurrences)" if k is not None
                                 else "the text does not occur in the document" if not places
                                 else "every occurrence of the text is already taken"))
            continue
        for start, end in sorted(chosen):
            take(start, end, r, "normalised" if normalised else "exact")
    return out


def align_layer(records: list[dict], doc: DocumentText, layer: str) -> AlignedLayer:
    if all(r.get("start") is not None for r in records) and not LAYER_SPECS[layer].span_fields:
        # entities with offsets: nothing to place (copies: ``layers``)
        return AlignedLayer(list(records), placed_by=Counter(offsets=len(records)))
    placed = place_spans(records, doc)
    out = AlignedLayer(surplus=placed.surplus, placed_by=placed.placed_by)
    for start, end, record in placed.spans:
        aligned = {k: v for k, v in record.items() if k not in ("occurrence", "id")}
        aligned.update(start=start, end=end, text=doc.text[start:end])
        for name in LAYER_SPECS[layer].span_fields:
            if name in record:
                aligned[name] = _place_attribution(record[name], doc, start, end, out.attributions_placed_by)
        out.records.append(aligned)
    unique = {}
    for r, reason in placed.unplaced:
        shown = {**{key: value for key, value in r.items() if key not in ("text", "occurrence", "id")}, **_shown(r["text"]),
                 "reason": reason}
        unique.setdefault(_raw_key(shown), shown)
    out.unplaced = [unique[k] for k in sorted(unique)]
    out.placed_by["unplaced"] = len(out.unplaced)
    return out


def align_document(prediction: dict, text: str) -> dict[str, AlignedLayer]:
    """Every predicted layer of one document, aligned; layers the prediction leaves out are absent."""
    doc = DocumentText(text)
    return {layer: align_layer(prediction[layer], doc, layer) for layer in LAYERS if prediction.get(layer) is not None}


def placement_counts(aligned: dict[str, dict[str, AlignedLayer]], layers, tabled_entities: int = 0) -> dict:
    """How each predicted layer's records were placed, summed over documents (``HOW_PLACED``): by
    offsets, exactly, through normalisation (module docstring) or not at all; for quotes and claims
    the same for their speaker/cue/source spans. ``tabled_entities``: entity rows read as offsets
    into a table (never aligned)."""
    out = {}
    for layer in layers:
        in_layer = [a[layer] for a in aligned.values() if layer in a]
        if not in_layer and not (layer == "entities" and tabled_entities):
            continue
        records = sum((a.placed_by for a in in_layer), Counter(offsets=tabled_entities if layer == "entities" else 0))
        out[layer] = {"records": {how: records[how] for how in HOW_PLACED}}
        if LAYER_SPECS[layer].span_fields:
            spans = sum((a.attributions_placed_by for a in in_layer), Counter())
            out[layer]["speaker_cue_source"] = {how: spans[how] for how in HOW_PLACED}
    return out
