"""Reading a Label Studio export: every submitted annotation becomes gold-format records of its annotator's pass.

Import never loses or invents: it merges into a pass (documents not in the export stay), reports
skipped annotations, refuses two annotations of one document by one annotator (in one task or in two),
unknown ids (with the closest known ones) and anything the gold validation refuses, each with the
annotation and its annotator, the task id and doc_id as Label Studio shows them, the region id and
the field. Every imported document keeps where it came from (``Provenance``), so a later import can
refuse to replace it with an older annotation or one from another project (``passes.stage``).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path

from ..corpus import AnnotationSet, Corpus, check_span
from ..labels import APPROX_VALUES, AUTHOR, ENTITY_LABELS, LAYER_SPECS, QUOTE_TYPES, UNLINKED_ENTITY_LABELS
from ..pass_provenance import Provenance
from ..problems import InvalidInput, Problem, show
from .config import NAME_LABELS, NEW, NONE, NUMBER_FIELDS, QUOTE_FIELDS, RELATIONS, SPAN_LABELS, TEXT, NewEntries, Registry
from .passes import ImportPlan, existing_pass, pass_name_problem, recover_passes, refuse, vanished_task_notes


def _completed_by(annotation: dict):
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("username") or who.get("id")
    return who


def author(annotation: dict) -> str:
    """Who made an annotation, as Label Studio names the user: the e-mail, else the username, else the id."""
    return str(_completed_by(annotation))


def annotator_name(annotation: dict) -> str:
    """The pass folder name of an annotation's author: the e-mail (or username, or id), sanitised."""
    who = _completed_by(annotation)
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(who if who is not None else "unknown")).strip("_.")
    return name or "unknown"


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


ID_PATTERN = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")

# Label Studio 1.23 stores the text of a region dragged across a line break with the break written as
# backslash-n (seen in the browser): the offsets are right, the text is escaped.
_LS_ESCAPES = (("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def _ls_escaped(text: str, escape_backslash: bool) -> str:
    for raw, escaped in _LS_ESCAPES if escape_backslash else _LS_ESCAPES[1:]:
        text = text.replace(raw, escaped)
    return text


def escaped_as_label_studio_does(given, surface: str) -> bool:
    """Whether a region's ``value.text`` is the seed's text with its line breaks (and tabs) written as
    backslash escapes, as Label Studio stores a region dragged across a line break."""
    return isinstance(given, str) and given != surface and given in (_ls_escaped(surface, True), _ls_escaped(surface, False))


PULLED_FROM = "pulled_from"  # the task key ls pull adds: {"server": url, "title": project title}


class _Reader:
    """Turns one annotation's result list into gold-format records, collecting every problem."""

    def __init__(self, label: str, task_id, doc_id: str, text: str, cluster_id: str, registry: Registry, new: NewEntries):
        self.label, self.text, self.doc_id, self.cluster_id = label, text, doc_id, cluster_id
        self.registry, self.new = registry, new
        self.where = f"task {task_id} ({doc_id})"
        self.problems: list[Problem] = []
        self.escaped: list[str] = []  # regions whose text Label Studio stored with escaped line breaks
        self.region_of: dict[tuple[str, str], str] = {}  # (layer, record id) -> region id

    def problem(self, region: str, name: str, found: str, expected: str) -> None:
        self.problems.append(Problem(self.label, f"{self.where}, region {region}", name, found, expected))

    def span(self, region_id: str, value: dict) -> dict | None:
        """A region's offsets and text: integers within the text (a Label Studio rule, said in Label Studio's
        terms), then the surface rule of every span (``corpus.check_span``)."""
        start, end = value.get("start"), value.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            self.problem(region_id, "value.start", show([start, end]), "integer start and end offsets")
            return None
        if not 0 <= start < end <= len(self.text):
            self.problem(region_id, "value.end", f"[{start}:{end}]", f"0 <= start < end <= {len(self.text)}, the text's length")
            return None
        given = value.get("text")
        if escaped_as_label_studio_does(given, self.text[start:end]):
            self.escaped.append(region_id)
            given = self.text[start:end]  # the offsets are the truth
        span = {"start": start, "end": end, "text": given}
        if not check_span(span, self.text, self.label, f"{self.where}, region {region_id}", "value", self.problems, gold=False):
            return None
        return {"start": start, "end": end, "text": self.text[start:end]}

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
            raw_value = item.get("value")
            value = raw_value if isinstance(raw_value, dict) else {}
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
        doc: dict[str, list[dict]] = {"entities": [], "quotes": [], "numeric_claims": []}
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
                    known = None if entity_id is None else self.registry.kb.get(entity_id) or self.new.kb.get(entity_id)
                    if known and known["type"] != reg["label"]:
                        self.problem(rid, "label", show(reg["label"]), f"{known['type']}, the type of {entity_id} in the knowledge base")
                record = {"id": _record_id(rid, LAYER_SPECS["entities"].label_studio_prefix), **span, "label": reg["label"], "entity_id": entity_id}
                self.region_of[("entities", record["id"])] = rid
                doc["entities"].append(record)
            elif reg["label"] == "QUOTE":
                self.missing(rid, attrs, QUOTE_FIELDS)
                kind = attrs.get("quote_type")
                if kind is not None and kind not in QUOTE_TYPES:
                    self.problem(rid, "quote_type", show(kind), "direct or indirect")
                record = {"id": _record_id(rid, LAYER_SPECS["quotes"].label_studio_prefix), **span, "type": kind,
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
                record = {"id": _record_id(rid, LAYER_SPECS["numeric_claims"].label_studio_prefix), **span, "value": value,
                          "unit": attrs.get("unit"), "approx": approx, "source": linked("source"),
                          "source_id": self.kb_id(rid, attrs, "source_id", None),
                          "claim_group": self.group_id(rid, attrs, "claim_group")}
                self.region_of[("numeric_claims", record["id"])] = rid
                doc["numeric_claims"].append(record)
        for layer in doc:
            doc[layer].sort(key=lambda r: (r["start"], r["end"], r["id"]))
        return doc


def read_export(path: Path, corpus: Corpus, gold: AnnotationSet | None = None, passes_dir: Path | None = None) -> ImportPlan:
    """A raw Label Studio JSON export -> an ImportPlan; raises InvalidInput listing every problem.

    The passes it merges into are read as they stand after an interrupted write is finished
    (``passes.recover_passes``), so a pass a kill left beside its folder is merged into, not lost.
    """
    from ..jsonio import read_json

    label = str(path)
    if passes_dir is not None:
        recover_passes(passes_dir)
    data = read_json(path, label)
    if not isinstance(data, list):
        raise InvalidInput([Problem(label, "", "", show(data), "a JSON list of tasks (Label Studio's JSON export)")])
    problems: list[Problem] = []
    notes: list[str] = []
    sets: dict[str, dict[str, dict]] = {}
    news: dict[str, NewEntries] = {}
    where: dict[str, dict[str, tuple[str, dict]]] = {}
    provenance: dict[str, dict[str, Provenance]] = {}
    owners: dict[str, str] = {}  # folder name -> the Label Studio user it came from
    registries: dict[str, Registry] = {}
    seen: dict[tuple[str, str], tuple] = {}  # (folder name, doc_id) -> (task id, annotation id) read first
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
        raw_pulled = task.get(PULLED_FROM)
        pulled = raw_pulled if isinstance(raw_pulled, dict) else {}
        for annotation in task.get("annotations") or []:
            if not isinstance(annotation, dict):
                problems.append(Problem(label, at, "annotations", show(annotation), "annotation objects"))
                continue
            who, name = author(annotation), annotator_name(annotation)
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
            first = seen.get((name, doc_id))
            if first is not None:
                if first[0] == task_id:
                    problems.append(Problem(label, at, "annotations", f"annotations {first[1]} and {annotation.get('id')} both by {who}",
                                            "one annotation per annotator and task (delete the one not meant in Label Studio)"))
                else:
                    problems.append(Problem(label, at, "annotations",
                                            f"annotation {annotation.get('id')} by {who}, who also annotated {doc_id} in task "
                                            f"{first[0]} (annotation {first[1]}): this document is in the export twice",
                                            "one task per document (delete the duplicate task in Label Studio, then pull again)"))
                continue
            seen[(name, doc_id)] = (task_id, annotation.get("id"))
            reason = pass_name_problem(name, passes_dir)
            if reason:
                problems.append(Problem(label, f"{at}, annotation {annotation.get('id')}", "completed_by",
                                        f"{who}, whose folder name {reason}", "an annotator name that is no other folder"))
                continue
            if name not in registries:
                registries[name] = Registry.of(gold, existing_pass(passes_dir, name, corpus))
            new = news.setdefault(name, NewEntries())
            reader = _Reader(f"{label}, annotation {annotation.get('id')} by {who}", task_id, doc_id, text,
                             document.cluster_id, registries[name], new)
            doc = reader.read(annotation.get("result") or [])
            problems += reader.problems
            if reader.escaped:
                notes.append(f"{label}: {at}: annotation {annotation.get('id')} by {who}: region{'s' if len(reader.escaped) > 1 else ''} "
                             f"{', '.join(reader.escaped)} crosses a line break, which Label Studio stores as \\n in the "
                             "region's text; the text was read from the seed at its offsets")
            sets.setdefault(name, {})[doc_id] = {"doc_id": doc_id, "text_sha256": document.sha256, **doc}
            where.setdefault(name, {})[doc_id] = (at, reader.region_of)
            project = task.get("project", annotation.get("project"))
            provenance.setdefault(name, {})[doc_id] = Provenance(
                pulled.get("server"), project if isinstance(project, int) else None, pulled.get("title"),
                task_id if isinstance(task_id, int) else None, annotation.get("id"), who,
                annotation.get("updated_at") if isinstance(annotation.get("updated_at"), str) else None)
    if problems:
        refuse(problems)
    if not sets and not notes:
        raise InvalidInput([Problem(label, "", "annotations", "no annotations", "at least one submitted annotation")])
    plan = ImportPlan(sets, news, notes, where, provenance, export_project(data), tasks_held(data))
    plan.notes += vanished_task_notes(plan.project, plan.tasks_held, passes_dir)
    return plan


def tasks_held(data: list) -> set:
    """(doc_id, task id) of every task of an export."""
    return {(t["data"].get("doc_id"), t.get("id")) for t in data if isinstance(t, dict) and isinstance(t.get("data"), dict)}


def export_project(data: list) -> Provenance | None:
    """The one project an export comes from (None when its tasks do not say, or name several)."""
    projects = {(t.get("project"), (t.get(PULLED_FROM) or {}).get("server") if isinstance(t.get(PULLED_FROM), dict) else None)
                for t in data if isinstance(t, dict)}
    if len(projects) != 1:
        return None
    ((project, server),) = projects
    return Provenance(server, project, None, None, None, "", None) if isinstance(project, int) else None

