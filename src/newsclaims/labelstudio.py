"""Label Studio round trip: the labeling config, tasks with pre-annotations, validated import.

One config covers the three layers on the article text (``granularity="symbol"``, so regions are
code-point offsets like ours). The text sits on the left; the fields of the selected region sit
beside it on the right. Every record becomes a region whose id is the record's id with a layer
prefix; per-region attributes are perRegion controls sharing the region's id:

- ``entity`` Labels (the linked name types) with ``entity_id`` (a searchable list of the knowledge
  base) and ``time`` Labels (DATE, TIME: never linked);
- ``span`` Labels QUOTE with ``quote_type``, ``speaker_id`` and ``quote_group``;
- ``span`` Labels NUMBER with ``value``, ``unit``, ``approx``, ``source_id`` and ``claim_group``;
- ``span`` Labels SPEAKER, CUE, SOURCE for speakers, cues and sources that are no entity mention
  (one region per span: a SPEAKER region can also be a claim's source, and the other way round).

A quote's speaker and a claim's source are relations from the QUOTE/NUMBER region to an entity
mention or to a SPEAKER/SOURCE region; a cue is a relation to a CUE region. A relation needs no
label: ``speaker``, ``cue`` or ``source`` follows from the regions it joins.

Every id field is picked from a list built from the registries (task data, so the lists are the
ones of the set being annotated). Rare cases have list entries of their own: ``+ new entity``
(then ``new_entity`` reads ``id | name | TYPE``), ``+ new group`` (then ``new_group`` reads
``id | description``), ``- none`` (a null speaker_id, source_id or quote_group) and ``author``.

What a pass must have (the config marks these ``required``, so Label Studio refuses to submit an
annotation without them, and the import refuses them by name): entity_id for every PERSON … LANGUAGE
mention; quote_type, speaker_id and quote_group for every QUOTE; value, unit, approx, source_id and
claim_group for every NUMBER. ``- none`` is an answer; an empty field is not.

Import never loses or invents: it merges into a pass (documents not in the export stay), reports
skipped annotations, refuses two annotations of one task by one annotator, unknown ids (with the
closest known ones) and anything the gold validation refuses, each with the task id and doc_id as
Label Studio shows them, the region id and the field.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from .corpus import (CLAIM_GROUPS_FILE, GOLD_DIR, KB_FILE, QUOTE_GROUPS_FILE, AnnotationSet, Corpus,
                     load_annotation_set)
from .jsonio import dumps_canonical
from .labels import APPROX_VALUES, AUTHOR, ENTITY_LABELS, QUOTE_TYPES, UNLINKED_ENTITY_LABELS
from .problems import InvalidInput, Problem, show

TEXT = "text"
NAME_LABELS = tuple(label for label in ENTITY_LABELS if label not in UNLINKED_ENTITY_LABELS)
TIME_LABELS = tuple(label for label in ENTITY_LABELS if label in UNLINKED_ENTITY_LABELS)
SPAN_LABELS = ("QUOTE", "NUMBER", "SPEAKER", "CUE", "SOURCE")
RELATIONS = {"speaker": ("QUOTE", "SPEAKER"), "cue": ("QUOTE", "CUE"), "source": ("NUMBER", "SOURCE")}
PREFIX = {"entities": "ent-", "quotes": "quote-", "numeric_claims": "num-"}
ATTRIBUTE_PREFIX = {"speaker": "spk-", "cue": "cue-", "source": "src-"}
CONFIG_PATH = Path("annotations") / "label_studio" / "config.xml"
REQUIRED = ' required="true"'
FIELD_STYLE = "font-size: 13px; font-weight: 600; margin: 8px 0 2px"
PANEL_STYLE = "font-size: 16px; font-weight: 700; margin: 10px 0 4px"
HINT_STYLE = "font-size: 12px; font-weight: 400; margin: 6px 0; opacity: 0.8"
NEW = "+new"  # the stored value of the "+ new entity" / "+ new group" list entries
NONE = "-none"  # the stored value of "- none": a deliberate null
# Task data fields holding the pick lists (built from the registries by ``choice_lists``).
LISTS = {"entity_id": "kb_choices", "speaker_id": "speaker_choices", "source_id": "source_choices",
         "quote_group": "quote_group_choices", "claim_group": "claim_group_choices"}
# The per-region fields a QUOTE and a NUMBER must have (the config marks them required).
QUOTE_FIELDS = ("quote_type", "speaker_id", "quote_group")
NUMBER_FIELDS = ("value", "unit", "approx", "source_id", "claim_group")


def label_config() -> str:
    """The labeling config, generated from the schema's label lists."""
    def labels(name: str, values, title: str) -> str:
        inner = "\n".join(f"      <Label value={quoteattr(v)}/>" for v in values)
        return (f'    <Header value={quoteattr(title)} style="{FIELD_STYLE}"/>\n'
                f'    <Labels name="{name}" toName="{TEXT}" showInline="true">\n{inner}\n    </Labels>')

    def needed(title: str, label: str) -> str:
        field_name = title.split(" (")[0]
        message = f"Every {label} needs: {field_name}. See annotations/GUIDELINES.md, section 6."
        return f" requiredMessage={quoteattr(message)}"

    def when(tag: str, label: str | None) -> str:
        # on the control itself too: Label Studio's "required" check reads the control's own conditions
        return (f' visibleWhen="region-selected" whenTagName="{tag}"'
                + (f' whenLabelValue="{label}"' if label else ""))

    def heading(title: str) -> str:
        return f'      <Header value={quoteattr(title)} style="{FIELD_STYLE}"/>'

    def pick(name: str, title: str, tag: str, label: str | None) -> str:
        return (heading(title) + "\n" +
                f'      <Taxonomy name="{name}" toName="{TEXT}" perRegion="true" value="${LISTS[name]}" required="true"'
                f'{needed(title, label or "entity mention")}{when(tag, label)} placeholder="search by id or name" maxUsages="1"'
                f' leafsOnly="true" dropdownWidth="400px"/>')

    def select(name: str, title: str, label: str) -> str:
        return (heading(title) + "\n" +
                f'      <Choices name="{name}" toName="{TEXT}" perRegion="true" value="${LISTS[name]}" layout="select"'
                f' required="true"{needed(title, label)}{when("span", label)}/>')

    def choices(name: str, title: str, values, label: str) -> str:
        inner = "".join(f"<Choice value={quoteattr(v)}/>" for v in values)
        return (heading(title) + "\n" +
                f'      <Choices name="{name}" toName="{TEXT}" perRegion="true" choice="single-radio" showInline="true"'
                f' required="true"{needed(title, label)}{when("span", label)}>{inner}</Choices>')

    def textarea(name: str, title: str, condition: str, hint: str, required: bool = False) -> str:
        return (heading(title) + "\n" +
                f'      <TextArea name="{name}" toName="{TEXT}" perRegion="true" maxSubmissions="1" editable="true" rows="1"'
                f'{REQUIRED + needed(title, "NUMBER") if required else ""}{condition} placeholder={quoteattr(hint)}/>')

    def panel(tag: str, label: str | None, title: str, body: list[str]) -> list[str]:
        return [f"    <View{when(tag, label)}>", f'      <Header value={quoteattr(title)} style="{PANEL_STYLE}"/>', *body, "    </View>"]

    relations = "\n".join(f'      <Relation value="{r}"/>' for r in RELATIONS)
    return "\n".join([
        '<View style="display: flex; align-items: flex-start; gap: 16px">',
        '  <View style="flex: 1 1 55%; min-width: 0">',
        f'    <Header value="$doc_id" style="{PANEL_STYLE}"/>',
        f'    <Text name="{TEXT}" value="$text" granularity="symbol"/>',
        "  </View>",
        '  <View style="flex: 0 0 42%; position: sticky; top: 0; max-height: 100vh; overflow-y: auto; '
        'padding: 0 8px; border-left: 1px solid #ddd">',
        *panel("entity", None, "Entity", [
            pick("entity_id", "Knowledge-base entity", "entity", None),
            textarea("new_entity", "New entity (only with + new entity): id | name | TYPE", when("entity", None),
                     "e.g. kim_jong_un (name and type default to the mention)"),
        ]),
        *panel("span", "QUOTE", "Quote", [
            choices("quote_type", "Quote type", QUOTE_TYPES, "QUOTE"),
            pick("speaker_id", "Speaker (who said it; pronouns resolved)", "span", "QUOTE"),
            select("quote_group", "Quote group (the same utterance in other articles)", "QUOTE"),
        ]),
        *panel("span", "NUMBER", "Numeric claim", [
            heading("Value (a number: 10,000 is 10000)"),
            f'      <Number name="value" toName="{TEXT}" perRegion="true" step="any" required="true"{needed("Value", "NUMBER")}'
            ' whenLabelValue="NUMBER"/>',
            textarea("unit", "Unit (singular noun: troop, soldier, death)", when("span", "NUMBER"), "e.g. troop", required=True),
            choices("approx", "Approximation", APPROX_VALUES, "NUMBER"),
            pick("source_id", "Source (who claims it; author = the article)", "span", "NUMBER"),
            select("claim_group", "Claim group (the quantity claimed)", "NUMBER"),
        ]),
        '    <View visibleWhen="region-selected" whenTagName="span" whenLabelValue="QUOTE,NUMBER">',
        f'      <Header value="Only with a + new entry above" style="{HINT_STYLE}"/>',
        textarea("new_speaker", "New speaker or source entity: id | name | TYPE", "", "e.g. kim_jong_un | Kim Jong Un | PERSON"),
        textarea("new_group", "New group: id | description", "", "e.g. nk_troops_casualties | North Korean troops killed"),
        "    </View>",
        labels("entity", NAME_LABELS, "Entity mention (linked to the knowledge base)"),
        labels("time", TIME_LABELS, "Date or time (not linked)"),
        labels("span", SPAN_LABELS, "Quote, number; speaker / cue / source that is no entity mention"),
        f'    <Header value="Speaker, cue, source: a relation from the QUOTE or NUMBER to the entity mention or to a '
        f'SPEAKER / CUE / SOURCE region (its label is optional)." style="{HINT_STYLE}"/>',
        f"    <Relations>\n{relations}\n    </Relations>",
        "  </View>",
        "</View>",
        "",
    ])


# --- the pick lists ---------------------------------------------------------------------------

@dataclass
class Registry:
    """The ids an annotator may pick: the gold's registries plus the annotator's own pass."""

    kb: dict[str, dict] = field(default_factory=dict)
    quote_groups: dict[str, dict] = field(default_factory=dict)
    claim_groups: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def of(cls, *sets: AnnotationSet | None) -> "Registry":
        registry = cls()
        for ann in sets:
            if ann is not None:
                for own, theirs in ((registry.kb, ann.kb), (registry.quote_groups, ann.quote_groups),
                                    (registry.claim_groups, ann.claim_groups)):
                    for key, entry in theirs.items():
                        own.setdefault(key, entry)
        return registry


def _entry(value: str, shown: str) -> dict:
    return {"value": shown, "alias": value}


def choice_lists(registry: Registry) -> dict[str, list[dict]]:
    """Task data for the pick lists: each entry shows the id and a description, and stores the id."""
    kb = [_entry(k, f"{k} · {e['name']} ({e['type']})") for k, e in sorted(registry.kb.items())]
    new_entity = _entry(NEW, "+ new entity (type id | name | TYPE in New entity)")
    new_group = _entry(NEW, "+ new group (type id | description in New group)")
    none = _entry(NONE, "- none (the text gives no identifiable source)")

    def groups(table: dict) -> list[dict]:
        return [_entry(k, k) for k in sorted(table)]

    return {
        "kb_choices": kb + [new_entity],
        "speaker_choices": [none] + kb + [new_entity],
        "source_choices": [_entry(AUTHOR, "author (the article asserts it itself)"), none] + kb + [new_entity],
        "quote_group_choices": [_entry(NONE, "- none (reported in this article only)")] + groups(registry.quote_groups) + [new_group],
        "claim_group_choices": groups(registry.claim_groups) + [new_group],
    }


# --- export ------------------------------------------------------------------------------------

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
        rid = PREFIX["entities"] + r["id"]
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
        rid = PREFIX["quotes"] + r["id"]
        out.append(_region(rid, "span", r, "QUOTE"))
        if r.get("type"):
            out.append(_attribute(rid, r, "quote_type", r["type"]))
        fill(rid, r, "speaker_id", r.get("speaker_id"), registry is not None and "speaker_id" in r)
        fill(rid, r, "quote_group", r.get("quote_group"), registry is not None and "quote_group" in r)
        for part in ("speaker", "cue"):
            linked(rid, part, r.get(part), r["id"])
    for r in doc["numeric_claims"]:
        rid = PREFIX["numeric_claims"] + r["id"]
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


# --- import ------------------------------------------------------------------------------------

def annotator_name(annotation: dict) -> str:
    """The pass folder name of an annotation's author: the e-mail (or username, or id), sanitised."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("username") or who.get("id")
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(who if who is not None else "unknown")).strip("_.")
    return name or "unknown"


def _who(annotation: dict) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("username") or who.get("id")
    return str(who)


def _record_id(region_id: str, prefix: str) -> str:
    """The record id of a region: the exported record's id back, or, for a region drawn in the UI
    (whose random id may start with "-" or hold other characters), the region id made a valid record
    id: characters outside letters, digits and ``_ . : -`` become "_", and one that does not start
    with a letter or digit gets an "r" in front. The same region always gives the same id."""
    if region_id.startswith(prefix):
        return region_id[len(prefix):]
    cleaned = re.sub(r"[^A-Za-z0-9_.:-]", "_", region_id)
    return cleaned if cleaned[:1].isascii() and cleaned[:1].isalnum() else "r" + cleaned


def _one_value(kind: str, value: dict):
    """The single value of a per-region answer, read whole whatever shape it comes in."""
    if kind == "textarea":
        texts = value.get("text")
        texts = [texts] if isinstance(texts, str) else texts if isinstance(texts, list) else []
        joined = "\n".join(t for t in texts if isinstance(t, str)).strip()
        return joined or None
    if kind in ("choices", "taxonomy"):
        chosen = value.get(kind) or []
        if isinstance(chosen, str):
            chosen = [chosen]
        picked = [c[-1] if isinstance(c, list) and c else c for c in chosen]
        picked = [p for p in picked if p not in (None, "")]
        return picked if len(picked) > 1 else (picked[0] if picked else None)
    return value.get("number")


@dataclass
class NewEntries:
    """Registry entries an import adds, each written whole."""

    kb: dict[str, dict] = field(default_factory=dict)
    quote_groups: dict[str, dict] = field(default_factory=dict)
    claim_groups: dict[str, dict] = field(default_factory=dict)


ID_PATTERN = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")


class _Reader:
    """Turns one annotation's result list into gold-format records, collecting every problem."""

    def __init__(self, label: str, task_id, doc_id: str, text: str, cluster_id: str, registry: Registry, new: NewEntries):
        self.label, self.text, self.doc_id, self.cluster_id = label, text, doc_id, cluster_id
        self.registry, self.new = registry, new
        self.where = f"task {task_id} ({doc_id})"
        self.problems: list[Problem] = []
        self.region_of: dict[tuple[str, str], str] = {}  # (layer, record id) -> region id

    def problem(self, region: str, name: str, found: str, expected: str) -> None:
        self.problems.append(Problem(self.label, f"{self.where}, region {region}", name, found, expected))

    def span(self, region_id: str, value: dict) -> dict | None:
        start, end = value.get("start"), value.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            self.problem(region_id, "value.start", show([start, end]), "integer start and end offsets")
            return None
        if not 0 <= start < end <= len(self.text):
            self.problem(region_id, "value.end", f"[{start}:{end}]", f"0 <= start < end <= {len(self.text)}, the text's length")
            return None
        surface = self.text[start:end]
        if value.get("text") is not None and value["text"] != surface:
            self.problem(region_id, "value.text", show(value["text"]), f"{show(surface)}, the text at [{start}:{end}]")
            return None
        return {"start": start, "end": end, "text": surface}

    def read(self, result: list) -> dict:
        regions: dict[str, dict] = {}
        attributes: dict[str, dict] = {}
        relations: list[dict] = []
        for item in result if isinstance(result, list) else [result]:
            if not isinstance(item, dict):
                self.problem("?", "", show(item), "a result object")
                continue
            kind = item.get("type")
            if kind == "relation":
                relations.append(item)
                continue
            rid = str(item.get("id"))
            value = item.get("value") if isinstance(item.get("value"), dict) else {}
            if kind == "labels":
                control, labels = item.get("from_name"), value.get("labels") or []
                allowed = ENTITY_LABELS if control in ("entity", "time") else SPAN_LABELS if control == "span" else ()
                if not allowed:
                    self.problem(rid, "from_name", show(control), "entity, time or span")
                    continue
                if len(labels) != 1 or labels[0] not in allowed:
                    self.problem(rid, "value.labels", show(labels), "one of " + ", ".join(allowed))
                    continue
                if rid in regions:
                    self.problem(rid, "id", "two regions with this id", "one region per id")
                    continue
                span = self.span(rid, value)
                if span is not None:
                    regions[rid] = {**span, "control": "entity" if control == "time" else control, "label": labels[0]}
            elif kind in ("textarea", "choices", "taxonomy", "number"):
                name = str(item.get("from_name"))
                answer = _one_value(kind, value)
                if isinstance(answer, list):
                    self.problem(rid, name, show(answer), "one answer")
                    answer = None
                attributes.setdefault(rid, {})[name] = answer
            else:
                self.problem(rid, "type", show(kind), "labels, textarea, choices, taxonomy, number or relation")
        for rid in attributes:
            if rid not in regions and not any(p.where.endswith(f"region {rid}") for p in self.problems):
                self.problem(rid, "id", show(rid), "a region that the attribute belongs to")
        links = self._links(regions, relations)
        return self._records(regions, attributes, links)

    def _links(self, regions: dict, relations: list[dict]) -> dict[tuple[str, str], str]:
        links: dict[tuple[str, str], str] = {}
        for rel in relations:
            source, target, labels = str(rel.get("from_id")), str(rel.get("to_id")), rel.get("labels") or []
            name = f"relation {source} -> {target}"

            def refuse(attr: str, found: str, expected: str) -> None:
                self.problems.append(Problem(self.label, f"{self.where}, {name}", attr, found, expected))

            if source not in regions or target not in regions:
                missing = source if source not in regions else target
                refuse("to_id" if missing == target else "from_id", show(missing), "the id of a region in the same annotation")
                continue
            if len(labels) > 1 or (labels and labels[0] not in RELATIONS):
                refuse("labels", show(labels), "one of " + ", ".join(RELATIONS) + " (or none)")
                continue
            if regions[target]["label"] in ("QUOTE", "NUMBER") and regions[source]["label"] not in ("QUOTE", "NUMBER"):
                source, target = target, source  # drawn from the speaker to the quote: same link
            owner, part = regions[source], regions[target]
            kinds = {("QUOTE", "SPEAKER"): "speaker", ("QUOTE", "SOURCE"): "speaker", ("QUOTE", "CUE"): "cue",
                     ("NUMBER", "SOURCE"): "source", ("NUMBER", "SPEAKER"): "source"}
            kind = kinds.get((owner["label"], part["label"]))
            if part["control"] == "entity" and owner["label"] in ("QUOTE", "NUMBER"):
                kind = "speaker" if owner["label"] == "QUOTE" else "source"  # the mention itself is the speaker/source
            if kind is None or (labels and labels[0] != kind):
                refuse("labels", f"{labels[0] if labels else 'a relation'} from {owner['label']} to {part['label']}",
                       "speaker from QUOTE to SPEAKER or an entity mention, cue from QUOTE to CUE, "
                       "source from NUMBER to SOURCE or an entity mention")
                continue
            if (source, kind) in links and links[(source, kind)] != target:
                refuse("labels", f"a second {kind} relation (also to {links[(source, kind)]})", f"one {kind} per {owner['label']}")
                continue
            links[(source, kind)] = target
        linked_targets = set(links.values())
        for rid, reg in regions.items():
            if reg["label"] in ("SPEAKER", "CUE", "SOURCE") and rid not in linked_targets:
                owner = "a QUOTE" if reg["label"] == "CUE" else "a QUOTE or NUMBER"
                self.problem(rid, "relations", f"a {reg['label']} region that nothing points to",
                             f"a relation from {owner} region to it")
        return links

    # -- ids ------------------------------------------------------------------------------------

    def _new_fields(self, rid: str, attrs: dict, key: str, count: int) -> list[str] | None:
        raw = attrs.get(key)
        if raw is None:
            return None
        parts = [p.strip() for p in raw.split("|")]
        if not 1 <= len(parts) <= count:
            return []
        return parts + [""] * (count - len(parts))

    def kb_id(self, rid: str, attrs: dict, name: str, mention: dict | None) -> str | None:
        """An entity id answer: a known id, AUTHOR (sources), None for '- none', or a complete new entry."""
        value = attrs.get(name)
        if value == NONE:
            return None
        if value is None:
            return None
        if value == NEW:
            key = "new_entity" if mention is not None else "new_speaker"
            given = attrs.get(key) or attrs.get("new_entity") or attrs.get("new_speaker")
            parts = self._new_fields(rid, {key: given}, key, 3)
            if not parts:
                self.problem(rid, key, show(given), "'id | name | TYPE' for the + new entity choice (name and TYPE may be left "
                             "out for an entity mention: they default to its text and label)")
                return None
            new_id, shown, kind = parts
            shown = shown or (mention["text"] if mention else "")
            kind = kind or (mention["label"] if mention else "")
            if not ID_PATTERN.match(new_id):
                self.problem(rid, key, show(new_id), "a lower_snake_case id for the new entity")
                return None
            if not shown or kind not in NAME_LABELS:
                self.problem(rid, key, show(given), f"'id | name | TYPE' with TYPE one of {', '.join(NAME_LABELS)}")
                return None
            if new_id in self.registry.kb:
                return new_id  # already known: the id, no second entry
            entry = self.new.kb.setdefault(new_id, {"id": new_id, "name": shown, "type": kind, "aliases": [], "wikidata": None})
            if (entry["name"], entry["type"]) != (shown, kind):
                self.problem(rid, key, show(given), f"the same name and type as the other new {new_id} "
                             f"({entry['name']} | {entry['type']})")
            return new_id
        if name == "source_id" and value == AUTHOR:
            return AUTHOR
        if value in self.registry.kb or value in self.new.kb:
            return value
        close = difflib.get_close_matches(str(value), list(self.registry.kb) + list(self.new.kb), n=3, cutoff=0.6)
        self.problem(rid, name, show(value), "an id from the knowledge base" + (f" (closest: {', '.join(close)})" if close else "")
                     + ", or + new entity with a name and type")
        return None

    def group_id(self, rid: str, attrs: dict, name: str) -> str | None:
        value = attrs.get(name)
        known = self.registry.quote_groups if name == "quote_group" else self.registry.claim_groups
        added = self.new.quote_groups if name == "quote_group" else self.new.claim_groups
        if value is None or (value == NONE and name == "quote_group"):
            return None
        if value == NEW:
            given = attrs.get("new_group")
            parts = self._new_fields(rid, attrs, "new_group", 2)
            if not parts or not ID_PATTERN.match(parts[0]) or not parts[1]:
                self.problem(rid, "new_group", show(given), f"'id | description' (a lower_snake_case id) for the + new group choice of {name}")
                return None
            new_id, description = parts
            if new_id in known:
                return new_id
            entry = added.setdefault(new_id, {"id": new_id, "cluster_id": self.cluster_id, "description": description})
            if entry["description"] != description:
                self.problem(rid, "new_group", show(given), f"the description of the other new {new_id} ({entry['description']})")
            return new_id
        if value in known or value in added:
            return value
        close = difflib.get_close_matches(str(value), list(known) + list(added), n=3, cutoff=0.6)
        self.problem(rid, name, show(value), f"an id from {name}s" + (f" (closest: {', '.join(close)})" if close else "")
                     + ", or + new group with an id and description")
        return None

    def missing(self, rid: str, attrs: dict, names) -> None:
        for name in names:
            if attrs.get(name) is None:
                hint = "; pick - none where the text gives none" if name in ("speaker_id", "source_id", "quote_group") else ""
                self.problem(rid, name, "nothing", f"an answer (the field is required{hint})")

    def _records(self, regions: dict, attributes: dict, links: dict) -> dict:
        doc = {"entities": [], "quotes": [], "numeric_claims": []}
        for rid, reg in regions.items():
            attrs = attributes.get(rid, {})
            span = {"start": reg["start"], "end": reg["end"], "text": reg["text"]}

            def linked(name: str):
                target = links.get((rid, name))
                return None if target is None else {k: regions[target][k] for k in ("start", "end", "text")}

            if reg["control"] == "entity":
                unlinked = reg["label"] in UNLINKED_ENTITY_LABELS
                if unlinked:
                    if attrs.get("entity_id") not in (None, NONE):
                        self.problem(rid, "entity_id", show(attrs["entity_id"]), f"nothing for a {reg['label']} mention")
                    entity_id = None
                else:
                    self.missing(rid, attrs, ["entity_id"])
                    entity_id = self.kb_id(rid, attrs, "entity_id", reg)
                    known = self.registry.kb.get(entity_id) or self.new.kb.get(entity_id)
                    if known and known["type"] != reg["label"]:
                        self.problem(rid, "label", show(reg["label"]), f"{known['type']}, the type of {entity_id} in the knowledge base")
                record = {"id": _record_id(rid, PREFIX["entities"]), **span, "label": reg["label"], "entity_id": entity_id}
                self.region_of[("entities", record["id"])] = rid
                doc["entities"].append(record)
            elif reg["label"] == "QUOTE":
                self.missing(rid, attrs, QUOTE_FIELDS)
                kind = attrs.get("quote_type")
                if kind is not None and kind not in QUOTE_TYPES:
                    self.problem(rid, "quote_type", show(kind), "direct or indirect")
                record = {"id": _record_id(rid, PREFIX["quotes"]), **span, "type": kind,
                          "speaker": linked("speaker"), "speaker_id": self.kb_id(rid, attrs, "speaker_id", None),
                          "cue": linked("cue"), "quote_group": self.group_id(rid, attrs, "quote_group")}
                self.region_of[("quotes", record["id"])] = rid
                doc["quotes"].append(record)
            elif reg["label"] == "NUMBER":
                self.missing(rid, attrs, NUMBER_FIELDS)
                value, approx = attrs.get("value"), attrs.get("approx")
                if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                    self.problem(rid, "value", show(value), "a number")
                if approx is not None and approx not in APPROX_VALUES:
                    self.problem(rid, "approx", show(approx), "one of " + ", ".join(APPROX_VALUES))
                record = {"id": _record_id(rid, PREFIX["numeric_claims"]), **span, "value": value,
                          "unit": attrs.get("unit"), "approx": approx, "source": linked("source"),
                          "source_id": self.kb_id(rid, attrs, "source_id", None),
                          "claim_group": self.group_id(rid, attrs, "claim_group")}
                self.region_of[("numeric_claims", record["id"])] = rid
                doc["numeric_claims"].append(record)
        for layer in doc:
            doc[layer].sort(key=lambda r: (r["start"], r["end"], r["id"]))
        return doc


@dataclass
class ImportPlan:
    """What an import would write: per annotator the submitted documents, plus what it reports."""

    sets: dict[str, dict[str, dict]]
    new: dict[str, NewEntries]
    notes: list[str]
    where: dict[str, dict[str, tuple[str, dict]]]  # annotator -> doc_id -> (task label, region ids)


def read_export(path: Path, corpus: Corpus, gold: AnnotationSet | None = None, passes_dir: Path | None = None) -> ImportPlan:
    """A raw Label Studio JSON export -> an ImportPlan; raises InvalidInput listing every problem."""
    from .jsonio import read_json

    label = str(path)
    data = read_json(path, label)
    if not isinstance(data, list):
        raise InvalidInput([Problem(label, "", "", show(data), "a JSON list of tasks (Label Studio's JSON export)")])
    problems: list[Problem] = []
    notes: list[str] = []
    sets: dict[str, dict[str, dict]] = {}
    news: dict[str, NewEntries] = {}
    where: dict[str, dict[str, tuple[str, dict]]] = {}
    owners: dict[str, str] = {}  # folder name -> the Label Studio user it came from
    registries: dict[str, Registry] = {}
    for index, task in enumerate(data):
        task_id = task.get("id", index) if isinstance(task, dict) else index
        at = f"task {task_id}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            problems.append(Problem(label, at, "data", show(task), "a task with a data object"))
            continue
        doc_id, text = task["data"].get("doc_id"), task["data"].get(TEXT)
        if not isinstance(doc_id, str) or doc_id not in corpus.documents:
            problems.append(Problem(label, at, "data.doc_id", show(doc_id), "a doc_id from seeds/MANIFEST.json"))
            continue
        at = f"task {task_id} ({doc_id})"
        document = corpus.documents[doc_id]
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest() if isinstance(text, str) else None
        if digest != document.sha256 or task["data"].get("text_sha256", document.sha256) != document.sha256:
            problems.append(Problem(label, at, "data.text", f"a text with sha256 {str(digest)[:12]}...",
                                    f"the seed's text (sha256 {document.sha256[:12]}...): this export is of an older task set"))
            continue
        seen: dict[str, object] = {}
        for annotation in task.get("annotations") or []:
            if not isinstance(annotation, dict):
                problems.append(Problem(label, at, "annotations", show(annotation), "annotation objects"))
                continue
            who, name = _who(annotation), annotator_name(annotation)
            if annotation.get("was_cancelled"):
                notes.append(f"{label}: {at}: annotation {annotation.get('id')} by {who} was skipped in Label Studio; "
                             "nothing imported from it (the pass keeps what it had)")
                continue
            if name in owners and owners[name] != who:
                problems.append(Problem(label, f"{at}, annotation {annotation.get('id')}", "completed_by",
                                        f"{who}, whose folder name {name} is also that of {owners[name]}",
                                        "annotators with distinct names (rename one user in Label Studio)"))
                continue
            owners[name] = who
            if name in seen:
                problems.append(Problem(label, at, "annotations", f"annotations {seen[name]} and {annotation.get('id')} both by {who}",
                                        "one annotation per annotator and task (delete the one not meant in Label Studio)"))
                continue
            seen[name] = annotation.get("id")
            reason = pass_name_problem(name, passes_dir)
            if reason:
                problems.append(Problem(label, f"{at}, annotation {annotation.get('id')}", "completed_by",
                                        f"{who}, whose folder name {name} {reason}", "an annotator name that is no other folder"))
                continue
            if name not in registries:
                registries[name] = Registry.of(gold, _existing_pass(passes_dir, name, corpus))
            new = news.setdefault(name, NewEntries())
            reader = _Reader(label, task_id, doc_id, text, document.cluster_id, registries[name], new)
            doc = reader.read(annotation.get("result") or [])
            problems += reader.problems
            sets.setdefault(name, {})[doc_id] = {"doc_id": doc_id, "text_sha256": document.sha256, **doc}
            where.setdefault(name, {})[doc_id] = (at, reader.region_of)
    if problems:
        _refuse(problems)
    if not sets and not notes:
        raise InvalidInput([Problem(label, "", "annotations", "no annotations", "at least one submitted annotation")])
    return ImportPlan(sets, news, notes, where)


MAX_LINES = 60


def _refuse(problems: list[Problem]) -> None:
    """Raise with at most MAX_LINES problems, and a last line counting the rest."""
    shown = problems[:MAX_LINES]
    if len(problems) > MAX_LINES:
        shown.append(Problem(problems[MAX_LINES].file, "", "", f"{len(problems) - MAX_LINES} more problems not shown",
                             "none (fix the ones above and run again)"))
    raise InvalidInput(shown)


def pass_name_problem(name: str, passes_dir: Path | None) -> str | None:
    """Why an annotator's folder name may not be used (None when it may): a reserved name in any
    case (``safewrite.RESERVED_PASS_NAMES``: gold, passes, ...), a hidden name, or an existing
    folder or file that is not an annotation pass. So an import never replaces the gold."""
    from .safewrite import RESERVED_PASS_NAMES, is_pass_folder

    if name.casefold() in RESERVED_PASS_NAMES or name.startswith("."):
        return "is reserved"
    if passes_dir is not None:
        target = Path(passes_dir) / name
        if (target.exists() or target.is_symlink()) and (target.is_symlink() or not target.is_dir() or not is_pass_folder(target)):
            return f"is {target}, which is not an annotation pass"
    return None


def _existing_pass(passes_dir: Path | None, name: str, corpus: Corpus) -> AnnotationSet | None:
    if passes_dir is None or not (Path(passes_dir) / name / KB_FILE).is_file():
        return None
    return load_annotation_set(Path(passes_dir) / name, corpus, require_complete=False)


def _merged(annotator: str, documents: dict[str, dict], new: NewEntries, existing: AnnotationSet | None,
            gold: AnnotationSet | None) -> tuple[dict[str, dict], dict[str, dict]]:
    """The whole pass after the import: its documents and its three registry files."""
    docs = dict(existing.documents) if existing else {}
    docs.update(documents)
    registry = Registry.of(existing, gold)
    kb = {k: dict(v, aliases=list(v["aliases"])) for k, v in (existing.kb.items() if existing else [])}
    for k, v in new.kb.items():
        kb.setdefault(k, dict(v, aliases=list(v["aliases"])))
    for doc in docs.values():
        referenced = [m["entity_id"] for m in doc["entities"]] + [q["speaker_id"] for q in doc["quotes"]] + \
                     [c["source_id"] for c in doc["numeric_claims"]]
        for eid in referenced:
            if eid and eid != AUTHOR and eid not in kb and eid in registry.kb:
                kb[eid] = dict(registry.kb[eid], aliases=list(registry.kb[eid]["aliases"]))
    for doc in documents.values():
        for m in doc["entities"]:
            if m["entity_id"] in kb and m["text"] not in kb[m["entity_id"]]["aliases"]:
                kb[m["entity_id"]]["aliases"].append(m["text"])

    def groups(field_name: str, layer: str, own: dict, known: dict, added: dict) -> list[dict]:
        table = dict(own)
        for k, v in added.items():
            table.setdefault(k, v)
        for doc in docs.values():
            for r in doc[layer]:
                g = r[field_name]
                if g and g not in table and g in known:
                    table[g] = known[g]
        return [table[k] for k in sorted(table)]

    registries = {
        KB_FILE: {"entities": [kb[k] for k in sorted(kb)]},
        CLAIM_GROUPS_FILE: {"claim_groups": groups("claim_group", "numeric_claims", existing.claim_groups if existing else {},
                                                   registry.claim_groups, new.claim_groups)},
        QUOTE_GROUPS_FILE: {"quote_groups": groups("quote_group", "quotes", existing.quote_groups if existing else {},
                                                   registry.quote_groups, new.quote_groups)},
    }
    return docs, registries


def stage(plan: ImportPlan, passes_dir: Path | None, corpus: Corpus, gold: AnnotationSet | None, staging: Path) -> list[Problem]:
    """Write every merged pass under ``staging`` and validate it as the gold is validated.

    The dry run and the real import both call this, so they accept and refuse the same exports.
    Problems name the task and region, not the staging files.
    """
    problems: list[Problem] = []
    for annotator, documents in plan.sets.items():
        existing = _existing_pass(passes_dir, annotator, corpus)
        docs, registries = _merged(annotator, documents, plan.new.get(annotator, NewEntries()), existing, gold)
        root = staging / annotator
        (root / GOLD_DIR).mkdir(parents=True)
        for doc_id, doc in docs.items():
            (root / GOLD_DIR / f"{doc_id}.json").write_text(dumps_canonical(doc), encoding="utf-8")
        for name, content in registries.items():
            (root / name).write_text(dumps_canonical(content), encoding="utf-8")
        try:
            load_annotation_set(root, corpus, require_complete=False)
        except InvalidInput as err:
            problems += [_in_task_terms(p, annotator, plan, root) for p in err.problems]
    return problems


_WHERE = re.compile(r"^(entities|quotes|numeric_claims)\[\d+\] \(id (.+)\)$")


def _in_task_terms(problem: Problem, annotator: str, plan: ImportPlan, root: Path) -> Problem:
    """A validation problem of a staged file, told as the task, region and field it came from."""
    stem = Path(problem.file).stem
    at, regions = plan.where.get(annotator, {}).get(stem, (None, {}))
    match = _WHERE.match(problem.where)
    if at is not None:
        region = regions.get((match.group(1), match.group(2))) if match else None
        where = f"{at}, region {region}" if region else at
        return Problem(f"annotator {annotator}", where, problem.field, problem.found, problem.expected)
    shown = Path(problem.file).name
    return Problem(f"annotator {annotator}: the pass's {shown}", problem.where, problem.field, problem.found, problem.expected)


def write_sets(plan: ImportPlan, passes_dir: Path, corpus: Corpus, gold: AnnotationSet | None) -> list[Path]:
    """Validate every merged pass in a staging folder, then move all of them into place.

    Nothing under ``passes_dir`` changes unless every pass is valid; documents of a pass that the
    export does not hold stay as they were.
    """
    passes_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=passes_dir))
    try:
        problems = stage(plan, passes_dir, corpus, gold, staging)
        if problems:
            _refuse(problems)
        written = []
        for annotator in plan.sets:
            target = passes_dir / annotator
            old = None
            if target.exists():
                old = staging / f".old-{annotator}"
                target.rename(old)
            (staging / annotator).rename(target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def check_import(plan: ImportPlan, passes_dir: Path | None, corpus: Corpus, gold: AnnotationSet | None) -> None:
    """The dry run: exactly the validation of ``write_sets``, in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="newsclaims-dry-run-") as tmp:
        problems = stage(plan, passes_dir, corpus, gold, Path(tmp))
    if problems:
        _refuse(problems)


# --- server ------------------------------------------------------------------------------------

def _check_url(url: str) -> None:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput([Problem("--url", "", "", show(url), "an address with its scheme, e.g. http://127.0.0.1:8080")])


def _server_call(url: str, call):
    """Run one SDK call; a refused connection, a bad token or an error status is one line."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        return call()
    except httpx.ConnectError as err:
        raise InvalidInput([Problem(url, "", "", f"no answer ({err})", "a running Label Studio server at that address")]) from None
    except httpx.TimeoutException:
        raise InvalidInput([Problem(url, "", "", "no answer within the timeout", "a running Label Studio server")]) from None
    except httpx.HTTPError as err:
        raise InvalidInput([Problem(url, "", "", f"a connection error ({type(err).__name__}: {err})", "a Label Studio server")]) from None
    except ApiError as err:
        if err.status_code in (401, 403):
            raise InvalidInput([Problem("LABEL_STUDIO_API_KEY", "", "", f"a token the server refuses (HTTP {err.status_code})",
                                        "the API token of a Label Studio user (Account & Settings)")]) from None
        body = err.body if isinstance(err.body, (dict, str)) else str(err.body)
        raise InvalidInput([Problem(url, "", "", f"HTTP {err.status_code}: {show(body)}", "the request to succeed")]) from None


def _client(url: str, api_key: str):
    from label_studio_sdk import LabelStudio

    _check_url(url)
    return LabelStudio(base_url=url, api_key=api_key, timeout=60)


def _project(client, url: str, title: str):
    return _server_call(url, lambda: next((p for p in client.projects.list() if p.title == title), None))


@dataclass
class PushResult:
    project_id: int
    created: bool
    new_tasks: int
    present: int
    updated_predictions: int
    stale_predictions: int


def push(url: str, api_key: str, title: str, config: str, task_list: list[dict], model_version: str,
         update_predictions: bool = False) -> PushResult:
    """Create or update the project and import the tasks it does not have yet.

    A project of that title holding tasks that are not these documents is refused. Tasks already
    there keep their pre-annotations unless ``update_predictions``: then each gets the new
    pre-annotations (the old predictions are deleted; annotations are never touched).
    """
    client = _client(url, api_key)
    project = _project(client, url, title)
    created = project is None
    if created:
        project = _server_call(url, lambda: client.projects.create(title=title, label_config=config))
    existing = _server_call(url, lambda: list(client.tasks.list(project=project.id)))
    ours = {t["data"]["doc_id"]: t for t in task_list}
    foreign = [t for t in existing if (t.data or {}).get("doc_id") not in ours
               or (t.data or {}).get("text_sha256") != ours[(t.data or {})["doc_id"]]["data"]["text_sha256"]]
    if foreign:
        shown = ", ".join(str(t.id) for t in foreign[:5])
        raise InvalidInput([Problem(url, f"project {project.id} ({title!r})", "tasks",
                                    f"{len(foreign)} tasks that are not these documents (task {shown})",
                                    "a project holding only newsclaims tasks of these seeds: give another --title")])
    if not created:
        _server_call(url, lambda: client.projects.update(id=project.id, label_config=config))
    present = {t.data["doc_id"]: t for t in existing}
    updated = stale = 0
    for doc_id, task in present.items():
        # the pick lists follow the registries; the task data is refreshed with them
        _server_call(url, lambda: client.tasks.update(id=task.id, data={**task.data, **ours[doc_id]["data"]}))
        wanted = ours[doc_id].get("predictions")
        if not wanted:
            continue
        old = _server_call(url, lambda: list(client.predictions.list(task=task.id)))
        same = any(p.model_version == model_version and p.result == wanted[0]["result"] for p in old)
        if same:
            continue
        if not update_predictions:
            stale += 1
            continue
        for p in old:
            _server_call(url, lambda: client.predictions.delete(id=p.id))
        _server_call(url, lambda: client.predictions.create(task=task.id, result=wanted[0]["result"], model_version=model_version))
        updated += 1
    new = [t for d, t in ours.items() if d not in present]
    if new:
        _server_call(url, lambda: client.projects.import_tasks(id=project.id, request=new))
    return PushResult(project.id, created, len(new), len(present), updated, stale)


def pull(url: str, api_key: str, title: str) -> list:
    """The project's raw JSON export (full annotations with every region and relation)."""
    client = _client(url, api_key)
    project = _project(client, url, title)
    if project is None:
        raise InvalidInput([Problem(url, "", "project", show(title), "the title of a project on the server (see --title)")])
    export = _server_call(url, lambda: client.projects.exports.as_json(project.id))
    emails = _server_call(url, lambda: {u.id: u.email for u in client.users.list()})
    for task in export:  # the export names annotators by user id; keep the id and add the e-mail
        for annotation in task.get("annotations") or []:
            who = annotation.get("completed_by")
            if isinstance(who, int):
                annotation["completed_by"] = {"id": who, "email": emails.get(who)}
    return export


def status(export: list, corpus: Corpus) -> str:
    """Per annotator: which documents are done (submitted), skipped (cancelled) and open."""
    tasks_by_doc = {}
    per: dict[str, dict[str, set]] = {}
    for task in export if isinstance(export, list) else []:
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            continue
        doc_id = task["data"].get("doc_id")
        tasks_by_doc[doc_id] = task.get("id")
        for annotation in task.get("annotations") or []:
            state = per.setdefault(_who(annotation), {"done": set(), "skipped": set()})
            state["skipped" if annotation.get("was_cancelled") else "done"].add(doc_id)
    docs = sorted(tasks_by_doc, key=lambda d: (corpus.documents[d].fold if d in corpus.documents else 1 << 30, str(d)))
    lines = [f"{len(docs)} tasks"]
    if not per:
        lines.append("no annotations yet: every document is open")
    for who in sorted(per):
        done, skipped = per[who]["done"], per[who]["skipped"] - per[who]["done"]
        open_ = [d for d in docs if d not in done and d not in skipped]

        def named(items) -> str:
            items = [d for d in docs if d in items]
            return f" ({', '.join(f'task {tasks_by_doc[d]} {d}' for d in items)})" if items else ""

        lines.append(f"{who}: {len(done)} done{named(done)}, {len(skipped)} skipped{named(skipped)}, {len(open_)} open{named(open_)}")
    return "\n".join(lines)


# --- what an import changes ------------------------------------------------------------------------

def diff_summary(plan: ImportPlan, gold: AnnotationSet) -> str:
    """What an import would change, per annotator, against the current gold."""
    from .agreement import disagreements, group_changes

    lines = []
    for annotator, documents in plan.sets.items():
        imported = AnnotationSet(Path(annotator), documents, {}, {}, {})
        entries = disagreements(AnnotationSet(gold.root, {d: gold.documents[d] for d in documents if d in gold.documents}, {}, {}, {}),
                                imported)
        groups = group_changes(gold.documents, documents)
        new = plan.new.get(annotator, NewEntries())
        added = [f"entity {k}" for k in new.kb] + [f"quote group {k}" for k in new.quote_groups] + \
                [f"claim group {k}" for k in new.claim_groups]
        lines.append(f"{annotator}: {len(documents)} documents, {len(entries)} differences from the gold, "
                     f"{len(groups)} group changes" + (f", new: {', '.join(added)}" if added else ""))
        lines += [f"  {e['doc_id']} {e['layer']} {e['kind']}: gold {e['a']}{' → ' + e['a_value'] if 'a_value' in e else ''} | "
                  f"import {e['b']}{' → ' + e['b_value'] if 'b_value' in e else ''}" for e in entries]
        lines += groups
    return "\n".join(lines)


def task_file_json(task_list: list[dict]) -> str:
    return json.dumps(task_list, ensure_ascii=False, indent=1) + "\n"
