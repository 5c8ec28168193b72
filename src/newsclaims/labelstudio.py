"""Label Studio round trip: the labeling config, tasks with pre-annotations, validated import.

One config covers the three layers on the article text (``granularity="symbol"``, so regions are
code-point offsets like ours). Every record becomes a region whose id is the record's id with a
layer prefix; per-region attributes are perRegion controls sharing the region's id; speakers, cues
and sources are their own regions, tied to their quote or claim by a relation:

- ``entity`` Labels (the 13 entity types) + ``entity_id`` TextArea;
- ``span`` Labels QUOTE + ``quote_type`` Choices, ``speaker_id``, ``quote_group``;
- ``span`` Labels NUMBER + ``value`` Number, ``unit``, ``approx`` Choices, ``source_id``, ``claim_group``;
- ``span`` Labels SPEAKER, CUE, SOURCE; Relations ``speaker`` (quote -> speaker), ``cue`` (quote ->
  cue), ``source`` (number -> source).

Label Studio stores whatever it is sent, so ``import_export`` checks every region (labels, offsets,
text, relations, attributes) and the result goes through the same validation as every gold file.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

from .corpus import (CLAIM_GROUPS_FILE, GOLD_DIR, KB_FILE, QUOTE_GROUPS_FILE, AnnotationSet, Corpus,
                     load_annotation_set)
from .jsonio import dumps_canonical
from .labels import APPROX_VALUES, AUTHOR, ENTITY_LABELS, QUOTE_TYPES, UNLINKED_ENTITY_LABELS
from .problems import InvalidInput, Problem, show

TEXT = "text"
SPAN_LABELS = ("QUOTE", "NUMBER", "SPEAKER", "CUE", "SOURCE")
RELATIONS = {"speaker": ("QUOTE", "SPEAKER"), "cue": ("QUOTE", "CUE"), "source": ("NUMBER", "SOURCE")}
PREFIX = {"entities": "ent-", "quotes": "quote-", "numeric_claims": "num-"}
ATTRIBUTE_PREFIX = {"speaker": "spk-", "cue": "cue-", "source": "src-"}
TEXT_ATTRIBUTES = {"entity": ("entity_id",), "QUOTE": ("speaker_id", "quote_group"),
                   "NUMBER": ("unit", "source_id", "claim_group")}
CONFIG_PATH = Path("annotations") / "label_studio" / "config.xml"


def label_config() -> str:
    """The labeling config, generated from the schema's label lists."""
    def labels(name: str, values, extra: str = "") -> str:
        inner = "\n".join(f"    <Label value={quoteattr(v)}/>" for v in values)
        return f'  <Labels name="{name}" toName="{TEXT}"{extra}>\n{inner}\n  </Labels>'

    def textarea(name: str, hint: str) -> str:
        return (f'    <TextArea name="{name}" toName="{TEXT}" perRegion="true" maxSubmissions="1" editable="true" '
                f'rows="1" placeholder={quoteattr(hint)}/>')

    def choices(name: str, values) -> str:
        inner = "".join(f'<Choice value={quoteattr(v)}/>' for v in values)
        return f'    <Choices name="{name}" toName="{TEXT}" perRegion="true" choice="single-radio">{inner}</Choices>'

    relations = "\n".join(f'    <Relation value="{r}"/>' for r in RELATIONS)
    return "\n".join([
        "<View>",
        '  <Header value="$doc_id"/>',
        labels("entity", ENTITY_LABELS, ' showInline="true"'),
        labels("span", SPAN_LABELS, ' showInline="true"'),
        f'  <Text name="{TEXT}" value="$text" granularity="symbol"/>',
        f"  <Relations>\n{relations}\n  </Relations>",
        '  <View visibleWhen="region-selected" whenTagName="entity">',
        '    <Header value="Entity"/>',
        textarea("entity_id", "entity_id (knowledge-base id; empty for DATE/TIME)"),
        "  </View>",
        '  <View visibleWhen="region-selected" whenTagName="span" whenLabelValue="QUOTE">',
        '    <Header value="Quote"/>',
        choices("quote_type", QUOTE_TYPES),
        textarea("speaker_id", "speaker_id"),
        textarea("quote_group", "quote_group"),
        "  </View>",
        '  <View visibleWhen="region-selected" whenTagName="span" whenLabelValue="NUMBER">',
        '    <Header value="Numeric claim"/>',
        f'    <Number name="value" toName="{TEXT}" perRegion="true" step="any"/>',
        textarea("unit", "unit (singular noun)"),
        choices("approx", APPROX_VALUES),
        textarea("source_id", "source_id (knowledge-base id or author)"),
        textarea("claim_group", "claim_group"),
        "  </View>",
        "</View>",
        "",
    ])


# --- export ------------------------------------------------------------------------------------

def _region(region_id: str, control: str, record: dict, label: str) -> dict:
    return {"id": region_id, "from_name": control, "to_name": TEXT, "type": "labels",
            "value": {"start": record["start"], "end": record["end"], "text": record["text"], "labels": [label]}}


def _attribute(region_id: str, record: dict, name: str, value) -> dict:
    base = {"start": record["start"], "end": record["end"]}
    if name in ("quote_type", "approx"):
        return {"id": region_id, "from_name": name, "to_name": TEXT, "type": "choices", "value": {**base, "choices": [value]}}
    if name == "value":
        return {"id": region_id, "from_name": name, "to_name": TEXT, "type": "number", "value": {**base, "number": value}}
    return {"id": region_id, "from_name": name, "to_name": TEXT, "type": "textarea", "value": {**base, "text": [value]}}


def _relation(source: str, target: str, label: str) -> dict:
    return {"type": "relation", "from_id": source, "to_id": target, "direction": "right", "labels": [label]}


def document_result(doc: dict) -> list[dict]:
    """A gold-format document as one Label Studio result list."""
    out: list[dict] = []
    for r in doc["entities"]:
        rid = PREFIX["entities"] + r["id"]
        out.append(_region(rid, "entity", r, r["label"]))
        if r.get("entity_id"):
            out.append(_attribute(rid, r, "entity_id", r["entity_id"]))
    for r in doc["quotes"]:
        rid = PREFIX["quotes"] + r["id"]
        out.append(_region(rid, "span", r, "QUOTE"))
        if r.get("type"):
            out.append(_attribute(rid, r, "quote_type", r["type"]))
        for name in ("speaker_id", "quote_group"):
            if r.get(name):
                out.append(_attribute(rid, r, name, r[name]))
        for part in ("speaker", "cue"):
            span = r.get(part)
            if isinstance(span, dict) and "start" in span:
                pid = ATTRIBUTE_PREFIX[part] + r["id"]
                out.append(_region(pid, "span", {**span, "text": span.get("text")}, part.upper()))
                out.append(_relation(rid, pid, part))
    for r in doc["numeric_claims"]:
        rid = PREFIX["numeric_claims"] + r["id"]
        out.append(_region(rid, "span", r, "NUMBER"))
        if r.get("value") is not None:
            out.append(_attribute(rid, r, "value", r["value"]))
        if r.get("approx"):
            out.append(_attribute(rid, r, "approx", r["approx"]))
        for name in ("unit", "source_id", "claim_group"):
            if r.get(name):
                out.append(_attribute(rid, r, name, r[name]))
        span = r.get("source")
        if isinstance(span, dict) and "start" in span:
            pid = ATTRIBUTE_PREFIX["source"] + r["id"]
            out.append(_region(pid, "span", span, "SOURCE"))
            out.append(_relation(rid, pid, "source"))
    return out


def tasks(corpus: Corpus, documents: dict[str, dict] | None, model_version: str) -> list[dict]:
    """One task per document: exact text, doc_id, the text's sha256 and pre-annotations."""
    out = []
    for doc_id, document in sorted(corpus.documents.items(), key=lambda kv: kv[1].fold):
        task = {"data": {"doc_id": doc_id, TEXT: document.text, "text_sha256": document.sha256}}
        if documents is not None and doc_id in documents:
            task["predictions"] = [{"model_version": model_version, "result": document_result(_with_text(documents[doc_id], document.text))}]
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
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("username") or who.get("id")
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(who if who is not None else "unknown")).strip("_.")
    return name or "unknown"


def _record_id(region_id: str, prefix: str) -> str:
    return region_id[len(prefix):] if region_id.startswith(prefix) else region_id


class _Reader:
    """Turns one annotation's result list into gold-format records, collecting every problem."""

    def __init__(self, label: str, task_index: int, doc_id: str, text: str):
        self.label, self.text, self.doc_id = label, text, doc_id
        self.where = f"task {task_index} ({doc_id})"
        self.problems: list[Problem] = []

    def problem(self, region: str, field: str, found: str, expected: str) -> None:
        self.problems.append(Problem(self.label, f"{self.where}, region {region}", field, found, expected))

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
        for item in result:
            if not isinstance(item, dict):
                self.problem("?", "", show(item), "a result object")
                continue
            kind = item.get("type")
            if kind == "relation":
                relations.append(item)
                continue
            rid = str(item.get("id"))
            value = item.get("value") or {}
            if kind == "labels":
                control, labels = item.get("from_name"), value.get("labels") or []
                allowed = ENTITY_LABELS if control == "entity" else SPAN_LABELS if control == "span" else ()
                if not allowed:
                    self.problem(rid, "from_name", show(control), "entity or span")
                    continue
                if len(labels) != 1 or labels[0] not in allowed:
                    self.problem(rid, "value.labels", show(labels), "one of " + ", ".join(allowed))
                    continue
                span = self.span(rid, value)
                if span is not None:
                    regions[rid] = {**span, "control": control, "label": labels[0]}
            elif kind in ("textarea", "choices", "number"):
                name = item.get("from_name")
                if kind == "textarea":
                    texts = value.get("text") or []
                    attributes.setdefault(rid, {})[name] = texts[0].strip() if texts and isinstance(texts[0], str) and texts[0].strip() else None
                elif kind == "choices":
                    chosen = value.get("choices") or []
                    attributes.setdefault(rid, {})[name] = chosen[0] if chosen else None
                else:
                    attributes.setdefault(rid, {})[name] = value.get("number")
            else:
                self.problem(rid, "type", show(kind), "labels, textarea, choices, number or relation")
        for rid in attributes:
            if rid not in regions and not any(p.where.endswith(f"region {rid}") for p in self.problems):
                self.problem(rid, "id", show(rid), "a region that the attribute belongs to")
        links: dict[tuple[str, str], str] = {}
        for rel in relations:
            source, target, labels = str(rel.get("from_id")), str(rel.get("to_id")), rel.get("labels") or []
            name = f"relation {source} -> {target}"
            if source not in regions or target not in regions:
                missing = source if source not in regions else target
                self.problems.append(Problem(self.label, f"{self.where}, {name}", "to_id" if missing == target else "from_id",
                                             show(missing), "the id of a region in the same annotation"))
                continue
            if len(labels) != 1 or labels[0] not in RELATIONS:
                self.problems.append(Problem(self.label, f"{self.where}, {name}", "labels", show(labels), "one of " + ", ".join(RELATIONS)))
                continue
            want_from, want_to = RELATIONS[labels[0]]
            if (regions[source]["label"], regions[target]["label"]) == (want_to, want_from):
                source, target = target, source  # drawn from the speaker to the quote: same link
            if (regions[source]["label"], regions[target]["label"]) != (want_from, want_to):
                self.problems.append(Problem(self.label, f"{self.where}, {name}", "labels",
                                             f"{labels[0]} from {regions[source]['label']} to {regions[target]['label']}",
                                             f"{labels[0]} from {want_from} to {want_to}"))
                continue
            links[(source, labels[0])] = target
        linked_targets = set(links.values())
        for rid, reg in regions.items():
            if reg["label"] in ("SPEAKER", "CUE", "SOURCE") and rid not in linked_targets:
                owner = "a QUOTE" if reg["label"] != "SOURCE" else "a NUMBER"
                self.problem(rid, "relations", f"a {reg['label']} region that nothing points to",
                             f"a {reg['label'].lower()} relation from {owner} region")
        return self._records(regions, attributes, links)

    def _records(self, regions: dict, attributes: dict, links: dict) -> dict:
        doc = {"entities": [], "quotes": [], "numeric_claims": []}
        for rid, reg in regions.items():
            attrs = attributes.get(rid, {})
            span = {"start": reg["start"], "end": reg["end"], "text": reg["text"]}

            def linked(name: str):
                target = links.get((rid, name))
                return None if target is None else {k: regions[target][k] for k in ("start", "end", "text")}

            if reg["control"] == "entity":
                entity_id = attrs.get("entity_id")
                doc["entities"].append({"id": _record_id(rid, PREFIX["entities"]), **span, "label": reg["label"],
                                        "entity_id": None if reg["label"] in UNLINKED_ENTITY_LABELS and not entity_id else entity_id})
            elif reg["label"] == "QUOTE":
                kind = attrs.get("quote_type")
                if kind not in QUOTE_TYPES:
                    self.problem(rid, "quote_type", show(kind), "direct or indirect")
                doc["quotes"].append({"id": _record_id(rid, PREFIX["quotes"]), **span, "type": kind,
                                      "speaker": linked("speaker"), "speaker_id": attrs.get("speaker_id"),
                                      "cue": linked("cue"), "quote_group": attrs.get("quote_group")})
            elif reg["label"] == "NUMBER":
                value, approx = attrs.get("value"), attrs.get("approx")
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    self.problem(rid, "value", show(value), "a number")
                if approx not in APPROX_VALUES:
                    self.problem(rid, "approx", show(approx), "one of " + ", ".join(APPROX_VALUES))
                doc["numeric_claims"].append({"id": _record_id(rid, PREFIX["numeric_claims"]), **span, "value": value,
                                              "unit": attrs.get("unit"), "approx": approx, "source": linked("source"),
                                              "source_id": attrs.get("source_id"), "claim_group": attrs.get("claim_group")})
        for layer in doc:
            doc[layer].sort(key=lambda r: (r["start"], r["end"], r["id"]))
        return doc


def read_export(path: Path, corpus: Corpus) -> dict[str, dict[str, dict]]:
    """A raw Label Studio JSON export -> {annotator: {doc_id: gold-format document}}; raises on any problem."""
    from .jsonio import read_json

    label = str(path)
    data = read_json(path, label)
    if not isinstance(data, list):
        raise InvalidInput([Problem(label, "", "", show(data), "a JSON list of tasks (Label Studio's JSON export)")])
    problems: list[Problem] = []
    sets: dict[str, dict[str, dict]] = {}
    for index, task in enumerate(data):
        where = f"task {index}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            problems.append(Problem(label, where, "data", show(task), "a task with a data object"))
            continue
        doc_id, text = task["data"].get("doc_id"), task["data"].get(TEXT)
        if doc_id not in corpus.documents:
            problems.append(Problem(label, where, "data.doc_id", show(doc_id), "a doc_id from seeds/MANIFEST.json"))
            continue
        document = corpus.documents[doc_id]
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest() if isinstance(text, str) else None
        if digest != document.sha256 or task["data"].get("text_sha256", document.sha256) != document.sha256:
            problems.append(Problem(label, f"{where} ({doc_id})", "data.text", f"a text with sha256 {str(digest)[:12]}...",
                                    f"the seed's text (sha256 {document.sha256[:12]}...): this export is of an older task set"))
            continue
        for annotation in task.get("annotations") or []:
            if annotation.get("was_cancelled"):
                continue
            reader = _Reader(label, index, doc_id, text)
            doc = reader.read(annotation.get("result") or [])
            problems += reader.problems
            sets.setdefault(annotator_name(annotation), {})[doc_id] = {"doc_id": doc_id, "text_sha256": document.sha256, **doc}
    if problems:
        raise InvalidInput(problems[:40])
    if not sets:
        raise InvalidInput([Problem(label, "", "annotations", "no annotations", "at least one submitted annotation")])
    return sets


def registries_for(documents: dict[str, dict], gold: AnnotationSet | None, clusters: dict) -> dict[str, dict]:
    """Knowledge base and group files for an imported set: the gold's entries where they exist,
    otherwise built from the mentions (name and aliases as seen, type from the mention label)."""
    kb: dict[str, dict] = {}
    for doc in documents.values():
        for m in doc["entities"]:
            eid = m["entity_id"]
            if not eid:
                continue
            entry = kb.setdefault(eid, dict(gold.kb[eid]) if gold and eid in gold.kb else
                                  {"id": eid, "name": m["text"], "type": m["label"], "aliases": [], "wikidata": None})
            if m["text"] not in entry["aliases"]:
                entry["aliases"] = list(entry["aliases"]) + [m["text"]]
    for doc in documents.values():
        for record, key in [(q, "speaker_id") for q in doc["quotes"]] + [(c, "source_id") for c in doc["numeric_claims"]]:
            eid = record[key]
            if eid and eid != AUTHOR and eid not in kb:
                kb[eid] = dict(gold.kb[eid]) if gold and eid in gold.kb else {"id": eid, "name": eid.replace("_", " "), "type": "ORG",
                                                                              "aliases": [], "wikidata": None}
    cluster = next(iter(clusters))

    def groups(field: str, layer: str, known: dict) -> list[dict]:
        ids = sorted({r[field] for doc in documents.values() for r in doc[layer] if r[field]})
        return [dict(known[g]) if g in known else {"id": g, "cluster_id": cluster, "description": f"{g} (imported from Label Studio)"} for g in ids]

    return {
        KB_FILE: {"entities": [kb[k] for k in sorted(kb)]},
        CLAIM_GROUPS_FILE: {"claim_groups": groups("claim_group", "numeric_claims", gold.claim_groups if gold else {})},
        QUOTE_GROUPS_FILE: {"quote_groups": groups("quote_group", "quotes", gold.quote_groups if gold else {})},
    }


def write_sets(sets: dict[str, dict[str, dict]], passes_dir: Path, corpus: Corpus, gold: AnnotationSet | None) -> list[Path]:
    """Validate every annotator's set in a staging folder, then move all of them into place.

    Nothing under ``passes_dir`` changes unless every set is valid.
    """
    passes_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=passes_dir))
    try:
        problems: list[Problem] = []
        for annotator, documents in sets.items():
            root = staging / annotator
            (root / GOLD_DIR).mkdir(parents=True)
            for doc_id, doc in documents.items():
                (root / GOLD_DIR / f"{doc_id}.json").write_text(dumps_canonical(doc), encoding="utf-8")
            for name, content in registries_for(documents, gold, corpus.clusters).items():
                (root / name).write_text(dumps_canonical(content), encoding="utf-8")
            try:
                load_annotation_set(root, corpus, require_complete=False)
            except InvalidInput as err:
                problems += [Problem(f"annotator {annotator}: {p.file.split(str(staging) + '/')[-1]}", p.where, p.field, p.found,
                                     p.expected, p.line) for p in err.problems]
        if problems:
            raise InvalidInput(problems[:40])
        written = []
        for annotator in sets:
            target = passes_dir / annotator
            old = None
            if target.exists():
                old = passes_dir / f".old-{annotator}"
                target.rename(old)
            (staging / annotator).rename(target)
            if old is not None:
                shutil.rmtree(old)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def push(url: str, api_key: str, title: str, config: str, task_list: list[dict]) -> tuple[int, int]:
    """Create or update the project, import the tasks it does not have yet; (project id, tasks imported)."""
    from label_studio_sdk import LabelStudio

    client = LabelStudio(base_url=url, api_key=api_key)
    project = next((p for p in client.projects.list() if p.title == title), None)
    if project is None:
        project = client.projects.create(title=title, label_config=config)
    else:
        client.projects.update(id=project.id, label_config=config)
    present = {t.data.get("doc_id") for t in client.tasks.list(project=project.id)}
    new = [t for t in task_list if t["data"]["doc_id"] not in present]
    if new:
        client.projects.import_tasks(id=project.id, request=new)
    return project.id, len(new)


def pull(url: str, api_key: str, title: str) -> list:
    """The project's raw JSON export (full annotations with every region and relation)."""
    from label_studio_sdk import LabelStudio

    client = LabelStudio(base_url=url, api_key=api_key)
    project = next((p for p in client.projects.list() if p.title == title), None)
    if project is None:
        raise InvalidInput([Problem(url, "", "project", show(title), "the title of a project on the server")])
    export = client.projects.exports.as_json(project.id)
    emails = {u.id: u.email for u in client.users.list()}
    for task in export:  # the export names annotators by user id; keep the id and add the e-mail
        for annotation in task.get("annotations") or []:
            who = annotation.get("completed_by")
            if isinstance(who, int):
                annotation["completed_by"] = {"id": who, "email": emails.get(who)}
    return export


def diff_summary(sets: dict[str, dict[str, dict]], gold: AnnotationSet) -> str:
    """What an import would change, per annotator, against the current gold."""
    from .agreement import disagreements

    lines = []
    for annotator, documents in sets.items():
        imported = AnnotationSet(Path(annotator), documents, {}, {}, {})
        entries = disagreements(AnnotationSet(gold.root, {d: gold.documents[d] for d in documents}, {}, {}, {}), imported)
        lines.append(f"{annotator}: {len(documents)} documents, {len(entries)} differences from the gold")
        lines += [f"  {e['doc_id']} {e['layer']} {e['kind']}: gold {e['a']}{' → ' + e['a_value'] if 'a_value' in e else ''} | "
                  f"import {e['b']}{' → ' + e['b_value'] if 'b_value' in e else ''}" for e in entries]
    return "\n".join(lines)


def task_file_json(task_list: list[dict]) -> str:
    return json.dumps(task_list, ensure_ascii=False, indent=1) + "\n"
