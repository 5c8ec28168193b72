"""Tasks: one per document, with the exact text, the pick lists and pre-annotations as Label Studio results."""

from __future__ import annotations

import json
from pathlib import Path

from ..corpus import AnnotationSet, Corpus
from ..labels import LAYER_SPECS, AUTHOR, UNLINKED_ENTITY_LABELS
from .config import ATTRIBUTE_PREFIX, NONE, TEXT, Registry, choice_lists

def _region(region_id: str, control: str, record: dict, label: str) -> dict:
    return {"id": region_id, "from_name": control, "to_name": TEXT, "type": "labels",
            "value": {"start": record["start"], "end": record["end"], "text": record["text"], "labels": [label]}}


def _attribute(region_id: str, record: dict, name: str, value) -> dict:
    base = {"start": record["start"], "end": record["end"]}
    if name in ("quote_type", "approx", "quote_group", "claim_group"):
        return {"id": region_id, "from_name": name, "to_name": TEXT, "type": "choices", "value": {**base, "choices": [value]}}
    if name in ("entity_id", "speaker_id", "source_id"):
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
        if target is None:
            target = parts.get((role, *key))
        if target is None:
            target = parts[(role, *key)] = ATTRIBUTE_PREFIX[part] + record_id
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


def tasks(corpus: Corpus, documents: dict[str, dict] | None, model_version: str, registry: Registry | None = None) -> list[dict]:
    """One task per document: exact text, doc_id, the text's sha256, the pick lists and pre-annotations."""
    lists = choice_lists(registry or Registry())
    out = []
    for doc_id, document in sorted(corpus.documents.items(), key=lambda kv: kv[1].fold):
        task = {"data": {"doc_id": doc_id, TEXT: document.text, "text_sha256": document.sha256, **lists}}
        if documents is not None and doc_id in documents:
            task["predictions"] = [{"model_version": model_version,
                                    "result": document_result(_with_text(documents[doc_id], document.text), registry)}]
        out.append(task)
    return out


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
