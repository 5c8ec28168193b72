"""Tasks: one per document, with the exact text, the pick lists and pre-annotations as Label Studio results."""

from __future__ import annotations

import json
from typing import Any

from ..corpus import Corpus
from ..labels import AUTHOR, LAYER_SPECS, UNLINKED_ENTITY_LABELS
from .config import ATTRIBUTE_PREFIX, LISTS, NAME_LABELS, NONE, NUMBER_FIELDS, QUOTE_FIELDS, TEXT, Registry, choice_lists


def _region(region_id: str, control: str, record: dict, label: str) -> dict:
    return {"id": region_id, "from_name": control, "to_name": TEXT, "type": "labels",
            "value": {"start": record["start"], "end": record["end"], "text": record["text"], "labels": [label]}}


def _attribute(region_id: str, record: dict, name: str, value) -> dict:
    base = {"start": record["start"], "end": record["end"]}
    if name in ("quote_type", "approx"):
        return {"id": region_id, "from_name": name, "to_name": TEXT, "type": "choices", "value": {**base, "choices": [value]}}
    if name in LISTS:  # the pick lists are Taxonomies
        return {"id": region_id, "from_name": name, "to_name": TEXT, "type": "taxonomy", "value": {**base, "taxonomy": [[value]]}}
    if name == "value":
        return {"id": region_id, "from_name": name, "to_name": TEXT, "type": "number", "value": {**base, "number": value}}
    return {"id": region_id, "from_name": name, "to_name": TEXT, "type": "textarea", "value": {**base, "text": [value]}}


def _relation(source: str, target: str) -> dict:
    """A relation without a label: speaker, cue or source follows from the regions it joins, and
    unlabeled arcs keep the text readable."""
    return {"type": "relation", "from_id": source, "to_id": target, "direction": "right"}


def document_result(doc: dict, registry: Registry | None = None) -> list[dict]:
    """A gold-format document as one Label Studio result list.

    A speaker or source on the span of an entity mention is a relation to that mention (no second
    region on the span); speakers, cues and sources shared by several records are one region. With a
    ``registry``, ids it does not hold are left out (the annotator picks them; nothing is invented)
    and a null speaker_id, source_id or quote_group becomes the explicit ``- none``.
    """
    out: list[dict] = []
    by_span: dict[tuple[int, int], str] = {}

    def known(name: str, value):
        if registry is None or value is None or value in (AUTHOR, NONE):
            return value
        table = {"quote_group": registry.quote_groups, "claim_group": registry.claim_groups}.get(name, registry.kb)
        return value if value in table else None

    for r in doc["entities"]:
        rid = LAYER_SPECS["entities"].label_studio_prefix + r["id"]
        if (r["start"], r["end"]) in by_span:
            continue  # a second mention on one span: one region
        by_span[(r["start"], r["end"])] = rid
        out.append(_region(rid, "time" if r["label"] in UNLINKED_ENTITY_LABELS else "entity", r, r["label"]))
        if known("entity_id", r.get("entity_id")):
            out.append(_attribute(rid, r, "entity_id", known("entity_id", r["entity_id"])))
    parts: dict[tuple[str, int, int], str] = {}

    def linked(owner: str, part: str, span, record_id: str) -> None:
        if not (isinstance(span, dict) and isinstance(span.get("start"), int)):
            return
        key = (span["start"], span["end"])
        target = by_span.get(key) if part != "cue" else None
        role = "cue" if part == "cue" else "who"  # a speaker that is also a source: one region
        slot = (role, *key)
        if target is None:
            target = parts.get(slot)
        if target is None:
            target = parts[slot] = ATTRIBUTE_PREFIX[part] + record_id
            out.append(_region(target, "span", span, part.upper()))
        out.append(_relation(owner, target))

    def fill(rid: str, record: dict, name: str, value, null_means_none: bool) -> None:
        value = known(name, value)
        if value is None and null_means_none and registry is not None:
            value = NONE
        if value is not None:
            out.append(_attribute(rid, record, name, value))

    for r in doc["quotes"]:
        rid = LAYER_SPECS["quotes"].label_studio_prefix + r["id"]
        out.append(_region(rid, "span", r, "QUOTE"))
        if r.get("type"):
            out.append(_attribute(rid, r, "quote_type", r["type"]))
        fill(rid, r, "speaker_id", r.get("speaker_id"), registry is not None and "speaker_id" in r)
        fill(rid, r, "quote_group", r.get("quote_group"), registry is not None and "quote_group" in r)
        for part in ("speaker", "cue"):
            linked(rid, part, r.get(part), r["id"])
    for r in doc["numeric_claims"]:
        rid = LAYER_SPECS["numeric_claims"].label_studio_prefix + r["id"]
        out.append(_region(rid, "span", r, "NUMBER"))
        if r.get("value") is not None:
            out.append(_attribute(rid, r, "value", r["value"]))
        if r.get("approx"):
            out.append(_attribute(rid, r, "approx", r["approx"]))
        if r.get("unit"):
            out.append(_attribute(rid, r, "unit", r["unit"]))
        fill(rid, r, "source_id", r.get("source_id"), registry is not None and "source_id" in r)
        fill(rid, r, "claim_group", r.get("claim_group"), False)
        linked(rid, "source", r.get("source"), r["id"])
    return out


def completed(doc: dict, registry: Registry) -> dict:
    """Pre-annotations with every required field filled that the registries can fill, nothing invented:

    - a name mention without a known entity_id: the one knowledge-base entity of its label whose name
      or an alias is the mention's text (``Registry.entity_named``);
    - a quote's speaker_id, a claim's source_id: the entity of the mention at its speaker/source span,
      or the one entity whose name or alias the speaker/source text is; a claim with neither a source
      nor a source_id is the article's own (``author``), as the guidelines say;
    - a quote's quote_group: "- none" when the prediction gives none (an utterance of this article);
    - a claim's claim_group: the one group whose claims use the claim's unit (``Registry.claim_group_of``).

    What stays empty is what only the annotator can decide (``empty_required`` counts it).
    """
    doc = {layer: [dict(r) for r in doc.get(layer) or []] for layer in ("entities", "quotes", "numeric_claims")}
    mentions: dict[tuple[int, int], str] = {}
    for m in doc["entities"]:
        if m.get("label") in UNLINKED_ENTITY_LABELS:
            continue
        if m.get("entity_id") not in registry.kb:
            m["entity_id"] = registry.entity_named(m["text"], m.get("label"))
        if m["entity_id"]:
            mentions[(m["start"], m["end"])] = m["entity_id"]

    def who(part) -> str | None:
        if isinstance(part, dict) and isinstance(part.get("start"), int):
            return mentions.get((part["start"], part["end"])) or registry.entity_named(part.get("text") or "")
        return registry.entity_named(part) if isinstance(part, str) else None

    def unanswered(record: dict, name: str, known) -> bool:
        """No answer yet: the field is absent, or an id the registries do not hold (a null is a "- none")."""
        return name not in record or (record[name] is not None and record[name] not in known)

    # An answer only where one is found: an empty field is the annotator's to decide, never a "- none".
    for q in doc["quotes"]:
        if unanswered(q, "speaker_id", registry.kb):
            q.pop("speaker_id", None)
            if who(q.get("speaker")):
                q["speaker_id"] = who(q.get("speaker"))
        if q.get("quote_group") not in registry.quote_groups:
            q["quote_group"] = None  # shown as "- none"
    for c in doc["numeric_claims"]:
        if unanswered(c, "source_id", {**registry.kb, AUTHOR: None}):
            c.pop("source_id", None)
            found = who(c.get("source")) if c.get("source") else AUTHOR
            if found:
                c["source_id"] = found
        if c.get("claim_group") not in registry.claim_groups:
            c["claim_group"] = registry.claim_group_of(c.get("unit"))
    return doc


def tasks(corpus: Corpus, documents: dict[str, dict] | None, model_version: str, registry: Registry | None = None) -> list[dict]:
    """One task per document: exact text, doc_id, the text's sha256, the pick lists, pre-annotations
    completed from the registries (``completed``) and, in ``todo``, what they leave to fill."""
    registry = registry or Registry()
    lists = choice_lists(registry)
    out = []
    for doc_id, document in sorted(corpus.documents.items(), key=lambda kv: kv[1].fold):
        task: dict[str, Any] = {"data": {"doc_id": doc_id, TEXT: document.text, "text_sha256": document.sha256, **lists, "todo": ""}}
        if documents is not None and doc_id in documents:
            doc = _with_text(documents[doc_id], document.text)
            result = document_result({**doc, **completed(doc, registry)}, registry)
            task["predictions"] = [{"model_version": model_version, "result": result}]
            task["data"]["todo"] = todo_text(result)
        out.append(task)
    return out


def todo_text(result: list[dict]) -> str:
    """The line above the text saying how many required fields the pre-annotations leave empty, and where."""
    empty = empty_required(result)
    if not empty:
        return ""
    texts = {r["id"]: r["value"]["text"] for r in result if r.get("type") == "labels"}
    by_field: dict[str, list[str]] = {}
    for region, name in empty:
        by_field.setdefault(name, []).append(json.dumps(texts[region][:30], ensure_ascii=False))
    listed = "; ".join(f"{name} of {', '.join(shown[:6])}{f' and {len(shown) - 6} more' if len(shown) > 6 else ''}"
                       for name, shown in by_field.items())
    regions = len({region for region, _ in empty})
    return f"To fill before Submit: {len(empty)} required field{'s' if len(empty) > 1 else ''} in {regions} region" \
           f"{'s' if regions > 1 else ''} ({listed}); delete regions that are wrong."


def _with_text(doc: dict, text: str) -> dict:
    """Fill surface texts (predictions may give offsets only) so regions carry their text."""
    filled = {}
    for layer in ("entities", "quotes", "numeric_claims"):
        records = []
        for index, r in enumerate(doc.get(layer) or []):
            r = dict(r)
            r.setdefault("id", f"{layer[0]}{index + 1}")
            if r.get("start") is not None:
                r["text"] = text[r["start"]:r["end"]]
                for part in ("speaker", "cue", "source"):
                    span = r.get(part)
                    if isinstance(span, dict) and span.get("start") is not None:
                        r[part] = {**span, "text": text[span["start"]:span["end"]]}
                records.append(r)
        filled[layer] = records
    return filled


def task_file_json(task_list: list[dict]) -> str:
    return json.dumps(task_list, ensure_ascii=False, indent=1) + "\n"


def empty_required(result: list[dict]) -> list[tuple[str, str]]:
    """(region id, field) of every required field a result list leaves empty: what an annotator must
    still fill before Label Studio lets them submit (``config``'s required fields)."""
    answered = {(r["id"], r["from_name"]) for r in result if r.get("type") not in ("labels", "relation")}
    empty = []
    for r in result:
        if r.get("type") != "labels":
            continue
        label = r["value"]["labels"][0]
        needed = ("entity_id",) if label in NAME_LABELS else QUOTE_FIELDS if label == "QUOTE" else \
            NUMBER_FIELDS if label == "NUMBER" else ()
        empty += [(r["id"], name) for name in needed if (r["id"], name) not in answered]
    return empty
