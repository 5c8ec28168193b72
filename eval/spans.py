"""Spans: turning predicted records into offsets (the second stage of the harness).

A predicted span gives ``start``/``end`` or ``text`` with an optional ``occurrence``. Text-only
spans are aligned to the document: ``occurrence`` k (0-based) is the k-th place, left to right,
where the exact text occurs with no letter or digit immediately before or after it (so "Russia"
does not occur inside "Russian"); without it, the first such place not already taken by another
record of the same layer. Records with offsets take their places first, then records with an
occurrence, then the rest in file order. A record whose text cannot be placed is kept aside as
unaligned: it counts as a false positive and is listed in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsclaims.labels import LAYERS

ATTRIBUTION_FIELDS = {"quotes": ("speaker", "cue"), "numeric_claims": ("source",), "entities": ()}


def occurrences(text: str, needle: str) -> list[int]:
    """Start offsets where needle occurs in text with no letter or digit right before or after it."""
    found = []
    start = text.find(needle)
    while start >= 0:
        end = start + len(needle)
        before_ok = start == 0 or not text[start - 1].isalnum() or not needle[0].isalnum()
        after_ok = end == len(text) or not text[end].isalnum() or not needle[-1].isalnum()
        if before_ok and after_ok:
            found.append(start)
        start = text.find(needle, start + 1)
    return found


@dataclass
class AlignedLayer:
    """A layer's records with resolved offsets, and the records that could not be placed."""

    records: list[dict] = field(default_factory=list)
    unaligned: list[dict] = field(default_factory=list)


def _place_attribution(value, text: str):
    """A speaker/cue/source value with offsets where it can have them; a bare name stays a string."""
    if not isinstance(value, dict):
        return value
    if value.get("start") is not None:
        return {"start": value["start"], "end": value["end"], "text": text[value["start"]:value["end"]]}
    needle = value.get("text")
    places = occurrences(text, needle) if needle else []
    k = value.get("occurrence") or 0
    if k < len(places):
        return {"start": places[k], "end": places[k] + len(needle), "text": needle}
    return needle  # unplaceable text is still a name to judge against aliases


def align_layer(records: list[dict], text: str, layer: str) -> AlignedLayer:
    out = AlignedLayer()
    taken: set[tuple[int, int]] = set()
    placed: dict[int, tuple[int, int]] = {}
    unplaced: list[tuple[int, dict]] = []
    with_offsets = [i for i, r in enumerate(records) if r.get("start") is not None]
    with_occurrence = [i for i, r in enumerate(records) if r.get("start") is None and r.get("occurrence") is not None]
    text_only = [i for i, r in enumerate(records) if r.get("start") is None and r.get("occurrence") is None]
    for i in with_offsets:
        placed[i] = (records[i]["start"], records[i]["end"])
        taken.add(placed[i])
    for i in with_occurrence + text_only:
        needle = records[i]["text"]
        places = occurrences(text, needle)
        k = records[i].get("occurrence")
        if k is not None:
            start = places[k] if k < len(places) else None
        else:
            start = next((s for s in places if (s, s + len(needle)) not in taken), None)
        if start is None:
            reason = (f"occurrence {k} of {needle!r} not found ({len(places)} occurrences)" if k is not None
                      else f"{needle!r} not found" if not places else f"every occurrence of {needle!r} already taken")
            unplaced.append((i, {**records[i], "reason": reason}))
            continue
        placed[i] = (start, start + len(needle))
        taken.add(placed[i])
    out.unaligned = [record for _, record in sorted(unplaced, key=lambda pair: pair[0])]  # in file order
    for i, record in enumerate(records):
        if i not in placed:
            continue
        start, end = placed[i]
        aligned = {**record, "start": start, "end": end, "text": text[start:end]}
        aligned.pop("occurrence", None)
        for name in ATTRIBUTION_FIELDS[layer]:
            if name in record:
                aligned[name] = _place_attribution(record[name], text)
        out.records.append(aligned)
    return out


def align_document(prediction: dict, text: str) -> dict[str, AlignedLayer]:
    """Every predicted layer of one document, aligned; layers the prediction leaves out are absent."""
    return {layer: align_layer(prediction[layer], text, layer) for layer in LAYERS if prediction.get(layer) is not None}
