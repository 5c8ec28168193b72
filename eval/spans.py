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
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from newsclaims.labels import LAYER_SPECS, LAYERS

from .attribution import UNPLACED

MAX_SHOWN_TEXT = 200  # characters of an unplaced text kept for the report (its length is kept too)


def _word_edge(char: str) -> bool:
    return char.isalnum() or char == "."


def occurrences(text: str, needle: str) -> list[int]:
    """Start offsets where needle occurs in text without continuing a word (see the module docstring)."""
    found = []
    if not needle:
        return found
    check_before, check_after = _word_edge(needle[0]), _word_edge(needle[-1])
    start = text.find(needle)
    while start >= 0:
        end = start + len(needle)
        if ((not check_before or start == 0 or not text[start - 1].isalnum())
                and (not check_after or end == len(text) or not text[end].isalnum())):
            found.append(start)
        start = text.find(needle, start + 1)
    return found


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
    """A layer's placed records (in placing order), its unplaced records (deduplicated) and the number
    of surplus copies of text-only records (counted once; see the module docstring)."""

    records: list[dict] = field(default_factory=list)
    unplaced: list[dict] = field(default_factory=list)
    surplus: int = 0


def _nearest(places: list[int], length: int, start: int, end: int) -> int:
    def gap(s: int) -> tuple[int, int]:
        e = s + length
        return (max(0, start - e, s - end), s)

    return min(places, key=gap)


def _place_attribution(value, text: str, start: int, end: int):
    """A speaker/cue/source value with offsets; a bare name stays a string."""
    if not isinstance(value, dict):
        return value
    if value.get("start") is not None:
        return {"start": value["start"], "end": value["end"], "text": text[value["start"]:value["end"]]}
    needle = value.get("text") or ""
    places = occurrences(text, needle)
    k = value.get("occurrence")
    if k is not None:
        if k < len(places):
            return {"start": places[k], "end": places[k] + len(needle), "text": needle}
        reason = f"occurrence {k} of the text not found ({len(places)} occurrences)"
    elif places:
        s = _nearest(places, len(needle), start, end)
        return {"start": s, "end": s + len(needle), "text": needle}
    else:
        reason = "the text does not occur in the document"
    return {**_shown(needle), UNPLACED: reason}


def _raw_key(record: dict) -> str:
    """The identity of a record as given, before placing (text-only records have no offsets yet):
    every field but ``id``, nulls dropped."""
    return json.dumps({k: v for k, v in given(record).items() if k != "id"}, sort_keys=True, ensure_ascii=False, default=str)


def align_layer(records: list[dict], text: str, layer: str) -> AlignedLayer:
    if all(r.get("start") is not None for r in records) and not LAYER_SPECS[layer].span_fields:
        return AlignedLayer(list(records))  # entities with offsets: nothing to place (copies: ``layers``)
    taken: set[tuple[int, int]] = set()
    covered = bytearray(len(text))  # 1 where a placed record of the layer stands

    def take(start: int, end: int, record: dict) -> None:
        placed.append((start, end, record))
        taken.add((start, end))
        covered[start:end] = b"\x01" * (end - start)

    placed: list[tuple[int, int, dict]] = []
    unplaced: list[dict] = []
    surplus = 0
    copies: dict[str, list[dict]] = {}  # text-only records by identity: the copies of each
    for r in records:
        if r.get("start") is None and r.get("occurrence") is None:
            copies.setdefault(_raw_key(r), []).append(r)
    for r in records:
        if r.get("start") is not None:
            take(r["start"], r["end"], r)
    with_occurrence = [r for r in records if r.get("start") is None and r.get("occurrence") is not None]
    text_only = [copies[key][0] for key in sorted(copies, key=lambda key: (-len(copies[key][0]["text"]), key))]
    for r in with_occurrence + text_only:
        needle = r["text"]
        places = occurrences(text, needle)
        k = r.get("occurrence")
        if k is not None:
            starts = [places[k]] if k < len(places) else []
        else:
            n = len(copies[_raw_key(r)])
            free = [s for s in places if (s, s + len(needle)) not in taken]
            clear = [s for s in free if covered.find(1, s, s + len(needle)) < 0]
            starts = (clear + [s for s in free if s not in set(clear)])[:n]
            surplus += n - len(starts) if starts else 0
        if not starts:
            reason = (f"occurrence {k} of the text not found ({len(places)} occurrences)" if k is not None
                      else "the text does not occur in the document" if not places
                      else "every occurrence of the text is already taken")
            shown = {key: value for key, value in r.items() if key not in ("text", "occurrence")}
            unplaced.append({**shown, **_shown(needle), "reason": reason})
            continue
        for start in sorted(starts):
            take(start, start + len(needle), r)
    out = AlignedLayer(surplus=surplus)
    for start, end, record in placed:
        aligned = {k: v for k, v in record.items() if k not in ("occurrence", "id")}
        aligned.update(start=start, end=end, text=text[start:end])
        for name in LAYER_SPECS[layer].span_fields:
            if name in record:
                aligned[name] = _place_attribution(record[name], text, start, end)
        out.records.append(aligned)
    unique = {}
    for r in unplaced:
        r.pop("id", None)
        unique.setdefault(_raw_key(r), r)
    out.unplaced = [unique[k] for k in sorted(unique)]
    return out


def align_document(prediction: dict, text: str) -> dict[str, AlignedLayer]:
    """Every predicted layer of one document, aligned; layers the prediction leaves out are absent."""
    return {layer: align_layer(prediction[layer], text, layer) for layer in LAYERS if prediction.get(layer) is not None}
