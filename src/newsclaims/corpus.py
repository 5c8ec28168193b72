"""Seeds and annotation sets: loading with every structural and semantic check.

An annotation set is a folder holding ``gold/<doc_id>.json`` (one file per document),
``entities.json`` (the knowledge base), ``claim_groups.json`` and ``quote_groups.json``. The
adjudicated gold is ``annotations/``; each annotation pass is ``annotations/passes/<pass>/``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import paths
from .jsonio import expect_object, read_json
from .labels import AUTHOR, LAYER_SPECS, LAYERS, UNLINKED_ENTITY_LABELS
from .normalise import norm_name
from .problems import InvalidInput, Problem, RecordAt, show
from .schema import schema_problems

GOLD_DIR = "gold"
KB_FILE = "entities.json"
CLAIM_GROUPS_FILE = "claim_groups.json"
QUOTE_GROUPS_FILE = "quote_groups.json"
Warn = Callable[[str], None]  # where a command's warnings go (its caller prints them)


@dataclass(frozen=True)
class Document:
    doc_id: str
    file: str
    cluster_id: str
    sha256: str
    fold: int  # see ``assign_folds``
    text: str
    provenance: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class Corpus:
    """The seed articles, checked against seeds/MANIFEST.json."""

    seeds_dir: Path
    clusters: dict[str, dict]
    documents: dict[str, Document]


def shown_path(path: Path) -> str:
    """A path as shown in messages: relative to the working folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def assign_folds(cluster_ids: Sequence[str], clusters: Sequence[str]) -> list[int]:
    """The fold of each document, given the documents' cluster ids in manifest order: the one rule.

    With one story cluster, each document is a fold of its own, its position in the manifest
    (leave-one-document-out: the packaged five are folds 0-4). With two or more, each cluster is one
    fold, numbered in the manifest's order of the clusters that hold documents (leave-one-cluster-out): a cluster's documents
    are never split between training and test, so no story is seen on both sides. Adding a second
    cluster therefore renumbers the folds of the first; ``newsclaims diff`` says so.
    """
    if len(set(cluster_ids)) <= 1:
        return list(range(len(cluster_ids)))
    held = set(cluster_ids)
    order = {cluster_id: index for index, cluster_id in enumerate(c for c in clusters if c in held)}
    return [order.get(cluster_id, len(order)) for cluster_id in cluster_ids]  # an unknown cluster is refused by the caller


def load_corpus(seeds_dir: Path | None = None) -> Corpus:
    seeds_dir = Path(seeds_dir) if seeds_dir else paths.seeds_dir()
    manifest_path = seeds_dir / "MANIFEST.json"
    label = shown_path(manifest_path)
    manifest = expect_object(read_json(manifest_path, label), label)
    problems = schema_problems("manifest", manifest, label)
    if problems:
        raise InvalidInput(problems)
    clusters = {c["id"]: c for c in manifest["clusters"]}
    folds = assign_folds([entry["cluster_id"] for entry in manifest["documents"]], list(clusters))
    documents: dict[str, Document] = {}
    for index, entry in enumerate(manifest["documents"]):
        where = f"documents[{index}] ({entry['doc_id']})"
        doc_id = entry["doc_id"]
        if doc_id in documents:
            problems.append(Problem(label, where, "doc_id", show(doc_id), "a doc_id not used by another document"))
            continue
        if entry["file"] != f"{doc_id}.txt":
            problems.append(Problem(label, where, "file", show(entry["file"]), f"{doc_id}.txt (the doc_id is the file stem)"))
        if entry["cluster_id"] not in clusters:
            problems.append(Problem(label, where, "cluster_id", show(entry["cluster_id"]), "a cluster listed under clusters"))
        try:
            raw = (seeds_dir / entry["file"]).read_bytes()
        except OSError:
            problems.append(Problem(label, where, "file", show(entry["file"]), "a file present in seeds/"))
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if len(raw) != entry["bytes"]:
            problems.append(Problem(label, where, "bytes", str(len(raw)) + " bytes on disk", f"{entry['bytes']} as recorded"))
        if digest != entry["sha256"]:
            problems.append(Problem(label, where, "sha256", digest + " on disk", entry["sha256"] + " as recorded (seeds are never edited)"))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            problems.append(Problem(label, where, "file", f"the byte 0x{raw[err.start]:02x} at byte {err.start}", "UTF-8 text"))
            continue
        documents[doc_id] = Document(doc_id, entry["file"], entry["cluster_id"], digest, folds[index], text, entry["provenance"])
    if problems:
        raise InvalidInput(problems)
    return Corpus(seeds_dir, clusters, documents)


@dataclass
class AnnotationSet:
    """A validated annotation set: gold documents by doc_id, knowledge base and groups by id."""

    root: Path
    documents: dict[str, dict]
    kb: dict[str, dict]
    claim_groups: dict[str, dict]
    quote_groups: dict[str, dict]

    def records(self, layer: str):
        """(doc_id, record) for every record of a layer, in document order."""
        for doc_id in sorted(self.documents):
            for record in self.documents[doc_id][layer]:
                yield doc_id, record


def _registry(root: Path, filename: str, schema: str, key: str, problems: list[Problem]) -> tuple[dict, str]:
    path = root / filename
    label = shown_path(path)
    try:
        data = expect_object(read_json(path, label), label)
    except InvalidInput as err:
        problems.extend(err.problems)
        return {}, label
    found = schema_problems(schema, data, label)
    if found:
        problems.extend(found)
        return {}, label
    items: dict[str, dict] = {}
    for index, item in enumerate(data[key]):
        if item["id"] in items:
            problems.append(Problem(label, f"{key}[{index}] (id {item['id']})", "id", show(item["id"]), "an id not used by another record"))
        items[item["id"]] = item
    return items, label


def _check_kb(kb: dict[str, dict], label: str, problems: list[Problem], warn: Warn | None = None) -> None:
    """Semantic checks of a knowledge base, and a warning (to ``warn``) for a name two entities share.

    A shared name is legitimate (one surname for two people, each mention linked right; ls import
    records every mention's text as an alias), so it is said, not refused: a bare-name speaker or
    source with that name is judged right for either entity (``eval/attribution.py`` rule 3).
    """
    named: dict[str, str] = {}  # normalised name or alias -> the first entity holding it
    for index, (entity_id, entity) in enumerate(kb.items()):
        for name in dict.fromkeys(norm_name(n) for n in [entity["name"], *entity["aliases"]]):
            other = named.setdefault(name, entity_id)
            if other != entity_id and warn is not None:
                warn(f"{label}: warning: entities[{index}] (id {entity_id}): the name {show(name)} is also a name of {other}; "
                     f"a bare-name speaker or source {show(name)} is judged right for either")
    for index, (entity_id, entity) in enumerate(kb.items()):
        where = f"entities[{index}] (id {entity_id})"
        if entity_id == AUTHOR:
            problems.append(Problem(label, where, "id", show(entity_id), "an id other than 'author', which is reserved for the article itself"))
        if entity["type"] in UNLINKED_ENTITY_LABELS:
            problems.append(Problem(label, where, "type", show(entity["type"]), "a name type (DATE and TIME mentions are not linked)"))
        if len(set(entity["aliases"])) != len(entity["aliases"]):
            dupes = sorted({a for a in entity["aliases"] if entity["aliases"].count(a) > 1})
            problems.append(Problem(label, where, "aliases", show(dupes) + " listed twice", "each alias once"))


def _check_groups(groups: dict[str, dict], key: str, label: str, clusters: dict, problems: list[Problem]) -> None:
    for index, (group_id, group) in enumerate(groups.items()):
        if group["cluster_id"] not in clusters:
            problems.append(Problem(label, f"{key}[{index}] (id {group_id})", "cluster_id", show(group["cluster_id"]),
                                    "a cluster id from seeds/MANIFEST.json"))


def check_span(span: dict, text: str, label: str, where: str, name: str, problems: list[Problem], *,
               gold: bool, line: int | None = None) -> bool:
    """The span rule, for one span (a record, or a speaker, cue or source in one); False and a problem
    added when it is broken.

    Offsets are code-point indices into the document text, ``end`` exclusive: ``start < end <=
    len(text)`` (``start >= 0`` is the schema's). A ``text`` given with the span equals
    ``text[start:end]``. A gold span (``gold``) has no leading or trailing white space.
    ``spans_fit`` is the same rule for many spans at once.
    """
    start, end = span["start"], span["end"]

    def problem(attr: str, found: str, expected: str) -> bool:
        problems.append(Problem(label, where, f"{name}.{attr}" if name else attr, found, expected, line))
        return False

    if not _offsets_fit(start, end, len(text)):
        if start >= end:
            return problem("end", f"end {end} <= start {start}", "end > start (end is exclusive)")
        return problem("end", str(end), f"an offset <= {len(text)}, the length of the document text")
    surface = text[start:end]
    given = span.get("text")
    if not _surface_fits(given, surface):
        return problem("text", show(given), f"{show(surface)}, the text at [{start}:{end}]")
    if gold and surface != surface.strip():
        return problem("text", show(surface), "a span without leading or trailing white space")
    return True


def spans_fit(texts: Sequence[str], lengths, doc, starts, ends, surfaces=None) -> bool:
    """Whether every span keeps ``check_span``'s rule (not a gold span's): span i lies in
    ``texts[doc[i]]`` (whose length is ``lengths[doc[i]]``) and, where ``surfaces[i]`` is not None,
    reads it there. ``doc``, ``starts`` and ``ends`` are parallel sequences or arrays."""
    import numpy as np

    start, end = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    if not np.all(_offsets_fit(start, end, np.asarray(lengths)[doc])):
        return False
    if surfaces is None:
        return True
    read = map(str.__getitem__, map(texts.__getitem__, np.asarray(doc).tolist()), map(slice, starts, ends))
    if None not in surfaces:  # every text given: compared as tuples, at C speed
        return tuple(read) == tuple(surfaces)
    return all(map(_surface_fits, surfaces, read))


def _offsets_fit(start, end, length):
    """``start < end <= length``, for ints or element-wise for arrays."""
    return (start < end) & (end <= length)


def _surface_fits(given: str | None, surface: str) -> bool:
    return given is None or given == surface


def check_gold_document(doc: dict, document: Document, ann: AnnotationSet, label: str) -> list[Problem]:
    """Semantic checks of one schema-valid gold document."""
    problems: list[Problem] = []
    text = document.text
    if doc["text_sha256"] != document.sha256:
        problems.append(Problem(label, "", "text_sha256", doc["text_sha256"], f"{document.sha256}, the seed's sha256 (offsets point into that text)"))
        return problems
    seen_ids: dict[str, str] = {}
    well_placed_entities = []
    for layer in LAYERS:
        spans_seen: dict[tuple[int, int], str] = {}
        for index, record in enumerate(doc[layer]):
            at = RecordAt(layer, index, record["id"])
            where, first = str(at), len(problems)
            if record["id"] in seen_ids:
                problems.append(Problem(label, where, "id", show(record["id"]),
                                        f"an id unique in the document (also used at {seen_ids[record['id']]})"))
            seen_ids.setdefault(record["id"], where)
            if check_span(record, text, label, where, "", problems, gold=True):
                if layer == "entities":
                    well_placed_entities.append((index, record))
                key = (record["start"], record["end"])
                if key in spans_seen:
                    problems.append(Problem(label, where, "start", f"the span [{key[0]}:{key[1]}] again",
                                            f"one record per span in {layer} (also {spans_seen[key]})"))
                spans_seen.setdefault(key, where)
            for name in LAYER_SPECS[layer].span_fields:
                span = record[name]
                if span is not None and check_span(span, text, label, where, name, problems, gold=True) \
                        and (span["start"], span["end"]) == (record["start"], record["end"]):
                    problems.append(Problem(label, where, f"{name}.start", f"the record's own span [{span['start']}:{span['end']}]",
                                            f"a {name} span other than the record's own"))
            problems.extend(_check_references(layer, record, ann, label, where))
            problems[first:] = [replace(p, record=at) for p in problems[first:]]  # the record as data too
    problems.extend(_check_entity_overlaps(well_placed_entities, label))
    return problems


def _check_references(layer: str, record: dict, ann: AnnotationSet, label: str, where: str) -> list[Problem]:
    problems = []
    if layer == "entities":
        entity_id = record["entity_id"]
        if record["label"] in UNLINKED_ENTITY_LABELS:
            if entity_id is not None:
                problems.append(Problem(label, where, "entity_id", show(entity_id), f"null for a {record['label']} mention"))
        elif entity_id is None:
            problems.append(Problem(label, where, "entity_id", "null", f"a knowledge-base id for a {record['label']} mention"))
        elif entity_id not in ann.kb:
            problems.append(Problem(label, where, "entity_id", show(entity_id), "an id from entities.json"))
        elif ann.kb[entity_id]["type"] != record["label"]:
            problems.append(Problem(label, where, "label", show(record["label"]),
                                    f"{ann.kb[entity_id]['type']}, the type of {entity_id} in entities.json"))
    elif layer == "quotes":
        speaker_id = record["speaker_id"]
        if speaker_id is not None and speaker_id not in ann.kb:
            problems.append(Problem(label, where, "speaker_id", show(speaker_id), "an id from entities.json"))
        if record["speaker"] is not None and speaker_id is None:
            problems.append(Problem(label, where, "speaker_id", "null", "the speaker's entity id, since a speaker span is given"))
        group = record["quote_group"]
        if group is not None and group not in ann.quote_groups:
            problems.append(Problem(label, where, "quote_group", show(group), "an id from quote_groups.json"))
    else:
        source_id = record["source_id"]
        if source_id is not None and source_id != AUTHOR and source_id not in ann.kb:
            problems.append(Problem(label, where, "source_id", show(source_id), "an id from entities.json or 'author'"))
        if record["source"] is not None and source_id is None:
            problems.append(Problem(label, where, "source_id", "null", "the source's entity id, since a source span is given"))
        if record["source"] is not None and source_id == AUTHOR:
            problems.append(Problem(label, where, "source", f"a span ({show(record['source']['text'])}) beside source_id 'author'",
                                    "null: the article's own voice has no span in it"))
        if record["claim_group"] not in ann.claim_groups:
            problems.append(Problem(label, where, "claim_group", show(record["claim_group"]), "an id from claim_groups.json"))
    return problems


def _check_entity_overlaps(entities: list[tuple[int, dict]], label: str) -> list[Problem]:
    problems = []
    ordered = sorted(entities, key=lambda pair: (pair[1]["start"], pair[1]["end"]))
    for (_, left), (index, right) in zip(ordered, ordered[1:]):
        if right["start"] < left["end"]:
            at = RecordAt("entities", index, right["id"])
            problems.append(Problem(label, str(at), "start",
                                    f"{right['start']}, inside mention {left['id']} [{left['start']}:{left['end']}]",
                                    "entity mentions that do not overlap", record=at))
    return problems


def _load_registries(root: Path, corpus: Corpus, problems: list[Problem], warn: Warn | None = None) -> AnnotationSet:
    kb, kb_label = _registry(root, KB_FILE, "kb", "entities", problems)
    claim_groups, cg_label = _registry(root, CLAIM_GROUPS_FILE, "claim_groups", "claim_groups", problems)
    quote_groups, qg_label = _registry(root, QUOTE_GROUPS_FILE, "quote_groups", "quote_groups", problems)
    _check_kb(kb, kb_label, problems, warn)
    _check_groups(claim_groups, "claim_groups", cg_label, corpus.clusters, problems)
    _check_groups(quote_groups, "quote_groups", qg_label, corpus.clusters, problems)
    return AnnotationSet(root, {}, kb, claim_groups, quote_groups)


def _load_gold_file(path: Path, corpus: Corpus, ann: AnnotationSet, check_references: bool) -> tuple[dict | None, list[Problem]]:
    label = shown_path(path)
    try:
        doc = expect_object(read_json(path, label), label)
    except InvalidInput as err:
        return None, err.problems
    problems = schema_problems("gold_document", doc, label)
    if problems:
        return None, problems
    doc_id = doc["doc_id"]
    if doc_id != path.stem:
        return None, [Problem(label, "", "doc_id", show(doc_id), f"{path.stem!r}, the file's stem")]
    if doc_id not in corpus.documents:
        return None, [Problem(label, "", "doc_id", show(doc_id), "a doc_id from seeds/MANIFEST.json")]
    if check_references:
        problems = check_gold_document(doc, corpus.documents[doc_id], ann, label)
    return doc, problems


def load_annotation_set(root: Path | None = None, corpus: Corpus | None = None, *, require_complete: bool = True,
                        warn: Warn | None = None) -> AnnotationSet:
    """Load and fully validate an annotation set; raises InvalidInput listing every problem, and says
    each warning (``_check_kb``) to ``warn``."""
    root = Path(root) if root else paths.annotations_dir()
    if not root.is_dir():
        raise InvalidInput([Problem(shown_path(root), "", "", "a file" if root.exists() else "nothing",
                                    f"an annotation set folder ({GOLD_DIR}/, {KB_FILE}, {CLAIM_GROUPS_FILE}, {QUOTE_GROUPS_FILE})")])
    corpus = corpus or load_corpus()
    problems: list[Problem] = []
    ann = _load_registries(root, corpus, problems, warn)
    registries_ok = not problems
    gold_dir = root / GOLD_DIR
    for path in sorted(gold_dir.glob("*.json")) if gold_dir.is_dir() else []:
        doc, found = _load_gold_file(path, corpus, ann, registries_ok)
        problems.extend(found)
        if doc is not None:
            ann.documents[doc["doc_id"]] = doc
    if require_complete:
        for doc_id in corpus.documents:
            if doc_id not in ann.documents and not (gold_dir / f"{doc_id}.json").exists():
                problems.append(Problem(shown_path(gold_dir), "", "", f"no {doc_id}.json", "one gold file per document in seeds/MANIFEST.json"))
    if problems:
        raise InvalidInput(problems)
    return ann


def validate_gold_file(path: Path, corpus: Corpus | None = None, annotations: Path | None = None) -> dict:
    """Validate one gold document against the registries of its annotation set (or those of ``annotations``,
    default the packaged ones)."""
    path = Path(path)
    corpus = corpus or load_corpus()
    root = path.parent.parent if path.parent.name == GOLD_DIR and (path.parent.parent / KB_FILE).is_file() \
        else Path(annotations) if annotations else paths.annotations_dir()
    # The file on its own first (readable, schema-valid, a known document), so that a file that is no
    # gold document at all is one line, not a report on registries it never reached.
    _, found = _load_gold_file(path, corpus, AnnotationSet(root, {}, {}, {}, {}), False)
    if found:
        raise InvalidInput(found)
    problems: list[Problem] = []
    ann = _load_registries(root, corpus, problems)
    doc, found = _load_gold_file(path, corpus, ann, not problems)
    problems.extend(found)
    if problems:
        raise InvalidInput(problems)
    return doc


def validate_registry(path: Path, corpus: Corpus | None = None, warn: Warn | None = None) -> int:
    """Validate a knowledge base or group file on its own; returns its number of records."""
    path = Path(path)
    corpus = corpus or load_corpus()
    kinds = {KB_FILE: ("kb", "entities"), CLAIM_GROUPS_FILE: ("claim_groups", "claim_groups"),
             QUOTE_GROUPS_FILE: ("quote_groups", "quote_groups")}
    if path.name not in kinds:
        raise InvalidInput([Problem(shown_path(path), "", "", f"a file named {path.name}",
                                    f"a registry: {', '.join(kinds)} (with --kind registry)")])
    schema, key = kinds[path.name]
    problems: list[Problem] = []
    items, label = _registry(path.parent, path.name, schema, key, problems)
    if schema == "kb":
        _check_kb(items, label, problems, warn)
    else:
        _check_groups(items, key, label, corpus.clusters, problems)
    if problems:
        raise InvalidInput(problems)
    return len(items)


def load_gold(root: Path | None = None) -> AnnotationSet:
    """The packaged, adjudicated gold (validated). Does not import datasets."""
    return load_annotation_set(root)


def blank_document(document: Document) -> dict[str, Any]:
    """A gold document with every layer empty, in the canonical key order."""
    return {"doc_id": document.doc_id, "text_sha256": document.sha256, "entities": [], "quotes": [], "numeric_claims": []}
