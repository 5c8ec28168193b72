"""``newsclaims build``: the dataset/ folder, deterministically, from seeds/ and annotations/.

Every config is JSON Lines (datasets picks one reader for all configs of a folder). The dataset card
``dataset/README.md`` declares the configs and their feature types, and records each data file's
sha256: datasets caches a local folder by the card's hash, so the card must change whenever the data
does. ``build_info.json`` records the data version and the gold digest for reports.

The data version comes from CHANGELOG.md: the newest ``## data X.Y.Z`` entry must record the gold
digest (``gold-sha256: ...``) of the annotations being built, so a gold change cannot ship without
a new version.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .corpus import CLAIM_GROUPS_FILE, GOLD_DIR, KB_FILE, QUOTE_GROUPS_FILE, AnnotationSet, Corpus
from .jsonio import dumps_canonical, dumps_line
from .labels import APPROX_VALUES, BIO_TAGS, ENTITY_LABELS, QUOTE_TYPES
from .problems import InvalidInput, Problem
from .tokens import bio_tags, tokenize

SPLIT = "test"
BUILD_INFO = "build_info.json"
CARD = "README.md"

# Feature specs: a dtype name, ("class_label", names), ("struct", fields) or ("list", spec).
SPAN = ("struct", [("start", "int32"), ("end", "int32"), ("text", "string")])
DOC_FIELDS = [("doc_id", "string"), ("fold", "int32")]
RECORD_FIELDS = DOC_FIELDS + [("id", "string"), ("start", "int32"), ("end", "int32"), ("text", "string")]
GROUP_FIELDS = [("id", "string"), ("cluster_id", "string"), ("description", "string")]


@dataclass(frozen=True)
class Config:
    name: str
    description: str
    features: list


CONFIGS = [
    Config("documents", "One row per article: the exact seed text, its sha256, story cluster and fold (one per document, or per "
           "cluster when there are several).",
           [("doc_id", "string"), ("cluster_id", "string"), ("fold", "int32"), ("file", "string"), ("sha256", "string"), ("text", "string")]),
    Config("entities", "One row per entity mention: character span, OntoNotes label and the cross-document entity_id (null for DATE and TIME).",
           RECORD_FIELDS + [("label", ("class_label", list(ENTITY_LABELS))), ("entity_id", "string")]),
    Config("quotes", "One row per quote: content span, direct or indirect, speaker span and entity, cue span, and the cross-article quote_group.",
           RECORD_FIELDS + [("type", ("class_label", list(QUOTE_TYPES))), ("speaker", SPAN), ("speaker_id", "string"),
                            ("cue", SPAN), ("quote_group", "string")]),
    Config("numeric_claims", "One row per numeric claim: number span, value, unit, approximation, who asserts it, and the cross-article claim_group.",
           RECORD_FIELDS + [("value", "float64"), ("unit", "string"), ("approx", ("class_label", list(APPROX_VALUES))),
                            ("source", SPAN), ("source_id", "string"), ("claim_group", "string")]),
    Config("ner_tokens", "One row per article: tokens with character offsets and IOB2 ner_tags derived from the entity spans (CoNLL style).",
           DOC_FIELDS + [("tokens", ("list", "string")), ("token_starts", ("list", "int32")), ("token_ends", ("list", "int32")),
                         ("ner_tags", ("list", ("class_label", list(BIO_TAGS))))]),
    Config("kb", "The entity knowledge base: id, canonical name, type, every alias seen, and a Wikidata QID only where certain.",
           [("id", "string"), ("name", "string"), ("type", ("class_label", list(ENTITY_LABELS))), ("aliases", ("list", "string")),
            ("wikidata", "string")]),
    Config("claim_groups", "The quantities claimed across articles; numeric_claims.claim_group points here.", GROUP_FIELDS),
    Config("quote_groups", "Utterances reported in several articles; quotes.quote_group points here.", GROUP_FIELDS),
]


def gold_digest(annotations_root: Path, seeds_dir: Path) -> str:
    """sha256 over the files that make up the data: gold documents, registries and the seed manifest.

    Files are named by their place in the repository layout, not their path on disk, so the digest of
    the same data is the same wherever it is checked out.
    """
    named = [(f"annotations/{GOLD_DIR}/{p.name}", p) for p in sorted((annotations_root / GOLD_DIR).glob("*.json"))]
    named += [(f"annotations/{name}", annotations_root / name) for name in (KB_FILE, CLAIM_GROUPS_FILE, QUOTE_GROUPS_FILE)]
    named.append(("seeds/MANIFEST.json", seeds_dir / "MANIFEST.json"))
    digest = hashlib.sha256()
    for name, path in named:
        digest.update(f"{name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


def data_version(changelog: Path, digest: str) -> tuple[str, str]:
    """The newest data version in CHANGELOG.md and its date; the entry must record this gold digest."""
    text = changelog.read_text("utf-8")
    match = re.search(r"^## data (\d+\.\d+\.\d+)\b(.*?)$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not match:
        raise InvalidInput([Problem(str(changelog), "", "", "no '## data X.Y.Z' heading", "a data version entry")])
    version, heading, body = match.group(1), match.group(2), match.group(3)
    dated = re.search(r"\d{4}-\d{2}-\d{2}", heading)
    recorded = re.search(r"^gold-sha256: ([0-9a-f]{64})\s*$", body, re.M)
    if not recorded or recorded.group(1) != digest:
        found = recorded.group(1) if recorded else "no gold-sha256 line"
        raise InvalidInput([Problem(str(changelog), f"data {version}", "gold-sha256", found,
                                    f"{digest}, the digest of the annotations being built: a gold change needs a new "
                                    "'## data X.Y.Z' entry recording it")])
    return version, dated.group() if dated else ""


def _span(span: dict | None) -> dict | None:
    return None if span is None else {"start": span["start"], "end": span["end"], "text": span["text"]}


def config_rows(corpus: Corpus, ann: AnnotationSet) -> dict[str, list[dict]]:
    """Every config's rows, in a fixed order (documents by fold, records by offset then id)."""
    docs = sorted(corpus.documents.values(), key=lambda d: d.fold)
    rows: dict[str, list[dict]] = {c.name: [] for c in CONFIGS}
    for doc in docs:
        gold = ann.documents[doc.doc_id]
        base = {"doc_id": doc.doc_id, "fold": doc.fold}
        rows["documents"].append({"doc_id": doc.doc_id, "cluster_id": doc.cluster_id, "fold": doc.fold, "file": doc.file,
                                  "sha256": doc.sha256, "text": doc.text})

        def ordered(layer: str) -> list[dict]:
            return sorted(gold[layer], key=lambda r: (r["start"], r["end"], r["id"]))

        for r in ordered("entities"):
            rows["entities"].append({**base, "id": r["id"], "start": r["start"], "end": r["end"], "text": r["text"],
                                     "label": r["label"], "entity_id": r["entity_id"]})
        for r in ordered("quotes"):
            rows["quotes"].append({**base, "id": r["id"], "start": r["start"], "end": r["end"], "text": r["text"],
                                   "type": r["type"], "speaker": _span(r["speaker"]), "speaker_id": r["speaker_id"],
                                   "cue": _span(r["cue"]), "quote_group": r["quote_group"]})
        for r in ordered("numeric_claims"):
            rows["numeric_claims"].append({**base, "id": r["id"], "start": r["start"], "end": r["end"], "text": r["text"],
                                           "value": float(r["value"]), "unit": r["unit"], "approx": r["approx"],
                                           "source": _span(r["source"]), "source_id": r["source_id"],
                                           "claim_group": r["claim_group"]})
        entities = [(r["start"], r["end"], r["label"]) for r in ordered("entities")]
        token_spans = tokenize(doc.text, [b for s, e, _ in entities for b in (s, e)])
        rows["ner_tokens"].append({**base, "tokens": [doc.text[s:e] for s, e in token_spans],
                                   "token_starts": [s for s, _ in token_spans], "token_ends": [e for _, e in token_spans],
                                   "ner_tags": bio_tags(token_spans, entities)})
    for entity_id in sorted(ann.kb):
        e = ann.kb[entity_id]
        rows["kb"].append({"id": e["id"], "name": e["name"], "type": e["type"], "aliases": list(e["aliases"]), "wikidata": e["wikidata"]})
    for name, groups in (("claim_groups", ann.claim_groups), ("quote_groups", ann.quote_groups)):
        for group_id in sorted(groups):
            g = groups[group_id]
            rows[name].append({"id": g["id"], "cluster_id": g["cluster_id"], "description": g["description"]})
    return rows


def _feature_yaml(name: str, spec) -> dict:
    if isinstance(spec, str):
        return {"name": name, "dtype": spec}
    return {"name": name, **_type_yaml(spec)}


def _type_yaml(spec) -> dict:
    if isinstance(spec, str):
        return {"dtype": spec}
    kind, arg = spec
    if kind == "class_label":
        return {"dtype": {"class_label": {"names": {str(i): n for i, n in enumerate(arg)}}}}
    if kind == "struct":
        return {"struct": [_feature_yaml(n, s) for n, s in arg]}
    if kind == "list":
        inner = _type_yaml(arg)
        return {"list": inner["dtype"] if set(inner) == {"dtype"} else inner}
    raise ValueError(f"unknown feature spec {spec!r}")


def to_yaml(value, indent: int = 0) -> str:
    """Block YAML for dicts, lists and scalars; scalars are written as JSON, which YAML reads unchanged."""
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            k = json.dumps(key) if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else key
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(item, indent + (2 if isinstance(item, dict) else 0)))
            else:
                lines.append(f"{pad}{k}: {json.dumps(item, ensure_ascii=False)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {body[indent + 2:]}")
            else:
                lines.append(f"{pad}- {json.dumps(item, ensure_ascii=False)}")
    return "\n".join(lines)


def card_metadata(file_bytes: dict[str, int], rows: dict[str, list[dict]], card: dict) -> dict:
    configs, infos = [], []
    for index, config in enumerate(CONFIGS):
        path = f"{config.name}/{SPLIT}.jsonl"
        entry = {"config_name": config.name, "data_files": [{"split": SPLIT, "path": path}]}
        if index == 0:
            entry["default"] = True
        configs.append(entry)
        infos.append({"config_name": config.name, "features": [_feature_yaml(n, s) for n, s in config.features],
                      "splits": [{"name": SPLIT, "num_bytes": file_bytes[path], "num_examples": len(rows[config.name])}]})
    return {
        "pretty_name": "newsclaims: who said what, and how many",
        "language": ["en"],
        "license": "other",
        "license_name": "annotations CC BY 4.0; article texts of their publishers",
        "license_details": card["license_details"],
        "multilinguality": "monolingual",
        "annotations_creators": ["machine-generated"],
        "language_creators": ["found"],
        "source_datasets": ["original"],
        "size_categories": ["n<1K"],
        "task_categories": ["token-classification", "text-classification"],
        "task_ids": ["named-entity-recognition", "entity-linking-classification"],
        "tags": ["quotation-attribution", "numeric-claims", "cross-document-coreference", "news"],
        "configs": configs,
        "dataset_info": infos,
    }


def card_text(annotations_root: Path) -> dict:
    """What the dataset card and Croissant say about this data: annotations/card.json (see
    ``newsclaims.benchmark.read_card``), else the template ``newsclaims init`` writes (nothing claimed)."""
    from .benchmark import card_template, read_card

    return read_card(annotations_root) or card_template(Path(annotations_root).resolve().parent.name)


def fold_sentence(corpus: Corpus) -> str:
    """The card's sentence on folds, following ``corpus.assign_folds``."""
    folds = sorted({doc.fold for doc in corpus.documents.values()})
    shown = "none" if not folds else f"{folds[0]}-{folds[-1]}" if len(folds) > 1 else str(folds[0])
    if len(corpus.clusters) > 1:
        return (f"carry their document's `fold` ({shown}), one per story cluster, for leave-one-cluster-out training "
                "(a cluster's documents are never split)")
    return f"carry their document's `fold` ({shown}) for leave-one-document-out training"


def render_card(version: str, digest: str, files: dict[str, str], file_bytes: dict[str, int], rows: dict[str, list[dict]],
                blocks: dict[str, str], card: dict, folds: str) -> str:
    meta = to_yaml(card_metadata(file_bytes, rows, card))
    config_table = "\n".join(f"| `{c.name}` | {len(rows[c.name])} | {c.description} |" for c in CONFIGS)
    field_lines = []
    for c in CONFIGS:
        field_lines.append(f"- `{c.name}`: " + ", ".join(f"`{n}`" for n, _ in c.features))
    file_table = "\n".join(f"| `{path}` | {file_bytes[path]} | `{sha}` |" for path, sha in files.items())
    return f"""---
{meta}
---

# {card["name"]}

Gold annotations of who said what, and how many, in English news: named entities linked across
documents, direct and indirect quotes with their speakers, and numeric claims with value, unit,
approximation and source. This folder is generated by `newsclaims build` from `seeds/` and
`annotations/`; do not edit it by hand.

- Data version: **{version}** (see CHANGELOG.md)
- Gold digest (sha256 of the annotation and manifest files): `{digest}`
- Split: every document is in `{SPLIT}`. Rows of `documents`, `entities`, `quotes`, `numeric_claims` and `ner_tokens`
  {folds}; `kb`, `claim_groups` and `quote_groups`
  are shared by all documents and have no `fold`.
- Offsets: Python str indices (Unicode code points) into `documents.text`, `end` exclusive; every span carries its `text`.

## Who made the labels

{card["labels_made_by"]}

## Configs

| config | rows | contents |
|---|---|---|
{config_table}

Fields:

{chr(10).join(field_lines)}

## Usage

```python
import newsclaims  # pip install 'newsclaims[hf]'

quotes = newsclaims.load_dataset("quotes", split="{SPLIT}")  # from any folder, offline
texts = {{d["doc_id"]: d["text"] for d in newsclaims.load_dataset("documents", split="{SPLIT}")}}
for q in quotes:
    assert texts[q["doc_id"]][q["start"]:q["end"]] == q["text"]
print(quotes.features["type"].int2str(quotes[0]["type"]), quotes[0]["text"], quotes[0]["speaker_id"])
```

`newsclaims.load_dataset` reads the folder the installed package carries (or `data_dir=`, any folder
`newsclaims build` wrote) into a cache folder named by the gold digest, so rows of one data version
are never served for another. ClassLabel columns (`label`, `type`, `approx`, `ner_tags`, kb `type`) come back
as integers: `quotes.features["type"].int2str(1)` is `"indirect"`. `datasets.load_dataset` on this
folder's path works as well, but caches by the files' modification times.

Score a system with `newsclaims eval --predictions predictions.jsonl` (see the repository README).

## Statistics

{blocks["counts"]}

## Conflicting figures and attributions across articles

The articles disagree, and the data keeps every version: per claim group, each article's figure and
who asserts it; per quote group, who each article says spoke.

{blocks["conflicts"]}

## Annotation agreement

{blocks["agreement"]}

The full table is `annotations/AGREEMENT.md`; every disagreement and how it was resolved is in
`annotations/ADJUDICATION.md`.

## License

{card["license_text"]}

## Citation

```bibtex
{CITATION}
```

## Files

The card lists every data file's sha256, so it changes whenever the data does.

| file | bytes | sha256 |
|---|---|---|
{file_table}
"""


def render(corpus: Corpus, ann: AnnotationSet, version: str, digest: str, released: str = "") -> dict[str, str]:
    """Every file of dataset/ as relative path -> text."""
    rows = config_rows(corpus, ann)
    out: dict[str, str] = {}
    for config in CONFIGS:
        out[f"{config.name}/{SPLIT}.jsonl"] = "".join(dumps_line(row) for row in rows[config.name])
    files = {path: hashlib.sha256(text.encode()).hexdigest() for path, text in out.items()}
    file_bytes = {path: len(text.encode()) for path, text in out.items()}
    out[BUILD_INFO] = dumps_canonical({"data_version": version, "gold_sha256": digest, "split": SPLIT,
                                       "rows": {c.name: len(rows[c.name]) for c in CONFIGS}, "files": files})
    card = card_text(ann.root)
    out[CROISSANT] = dumps_canonical(croissant(version, released, files, card))
    out[CARD] = render_card(version, digest, files, file_bytes, rows, generated_blocks(corpus, ann), card, fold_sentence(corpus))
    return out


def empty_configs(files: dict[str, str]) -> list[str]:
    return [c.name for c in CONFIGS if not files[f"{c.name}/{SPLIT}.jsonl"]]


def stale_files(out_dir: Path, files: dict[str, str]) -> list[str]:
    """Paths that differ between the rendered files and out_dir (missing, changed or extra)."""
    present = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()} if out_dir.is_dir() else set()
    stale = sorted(p for p in files if p not in present or (out_dir / p).read_bytes() != files[p].encode())
    return stale + sorted(present - set(files))


def is_built_folder(folder: Path) -> bool:
    """A folder newsclaims build wrote: its build_info.json is a JSON object with the gold digest."""
    try:
        info = json.loads((Path(folder) / BUILD_INFO).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and "gold_sha256" in info and "files" in info


def check_out_target(out_dir: Path, label: str = "--out") -> None:
    """Refuse (one line) an output folder build may not replace: see ``write_tree``."""
    from .safewrite import check_folder_target, refuse_protected

    refuse_protected(out_dir, label, allow_data=True)
    check_folder_target(out_dir, is_built_folder, label, "a folder newsclaims build wrote (with build_info.json)")


def write_tree(out_dir: Path, files: dict[str, str], label: str = "--out") -> None:
    """Replace out_dir with exactly these files, crash-safe (see ``newsclaims.safewrite``).

    out_dir must be a new path, an empty folder or a folder build wrote before (it holds a
    build_info.json); anything else is refused with one line and left untouched.
    """
    from .safewrite import write_tree_atomically

    check_out_target(out_dir, label)
    write_tree_atomically(out_dir, files, recognise=is_built_folder, label=label,
                          what="a folder newsclaims build wrote (with build_info.json)")


# --- Croissant ---------------------------------------------------------------------------------

CROISSANT = "croissant.json"
CROISSANT_CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/", "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract",
    "field": "cr:field", "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet",
    "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath",
    "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace",
    "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField",
    "transform": "cr:transform", "samplingRate": "cr:samplingRate", "equivalentProperty": "cr:equivalentProperty",
}
CROISSANT_TYPES = {"string": "sc:Text", "int32": "sc:Integer", "float64": "sc:Float"}
CITATION = ("@misc{newsclaims,\n  title = {newsclaims: who said what, and how many, in news text},\n"
            "  note = {Gold entities, quotes and numeric claims on English news},\n  year = {2026}\n}")


def croissant(version: str, released: str, files: dict[str, str], card: dict) -> dict:
    """MLCommons Croissant 1.0 metadata: one file object per config, one record set per config.

    Scalar and class-label fields are described as typed fields; a nested span (speaker, cue,
    source) as sub-fields read by JSON path; list fields (tokens, tags, aliases) are left to the
    dataset card, since Croissant 1.0 has no list type for a JSON Lines column.
    """
    distribution, record_sets = [], []
    for config in CONFIGS:
        path = f"{config.name}/{SPLIT}.jsonl"
        file_id = f"{config.name}-file"
        distribution.append({"@type": "cr:FileObject", "@id": file_id, "name": file_id, "contentUrl": path,
                             "encodingFormat": "application/jsonlines", "sha256": files[path]})
        fields = []
        for name, spec in config.features:
            field_id = f"{config.name}/{name}"
            source = {"fileObject": {"@id": file_id}, "extract": {"column": name}}
            if isinstance(spec, str):
                fields.append({"@type": "cr:Field", "@id": field_id, "name": field_id, "dataType": CROISSANT_TYPES[spec],
                               "source": source})
            elif spec[0] == "class_label":
                fields.append({"@type": "cr:Field", "@id": field_id, "name": field_id, "dataType": "sc:Text",
                               "description": "one of " + ", ".join(spec[1]), "source": source})
            elif spec[0] == "struct":
                fields.append({"@type": "cr:Field", "@id": field_id, "name": field_id, "dataType": "sc:Text",
                               "description": f"the {name} span (start, end, text), or null",
                               "subField": [{"@type": "cr:Field", "@id": f"{field_id}/{sub}", "name": f"{field_id}/{sub}",
                                             "dataType": CROISSANT_TYPES[sub_type],
                                             "source": {**source, "transform": {"jsonPath": sub}}}
                                            for sub, sub_type in spec[1]]})
        record_sets.append({"@type": "cr:RecordSet", "@id": config.name, "name": config.name,
                            "description": config.description, "field": fields})
    return {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "name": card["name"],
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "description": card["description"],
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "url": "https://github.com/newsclaims/newsclaims",
        "version": version,
        "datePublished": released,
        "citeAs": CITATION,
        "distribution": distribution,
        "recordSet": record_sets,
    }


# --- Generated numbers in DATASHEET.md and the card --------------------------------------------

DATASHEET = "DATASHEET.md"
BLOCKS = ("counts", "conflicts", "agreement")


def generated_blocks(corpus: Corpus, ann: AnnotationSet) -> dict[str, str]:
    """Markdown of the numbers the documentation states: counts, cross-article claims, agreement."""
    from .agreement import agreement, load_passes
    from .safewrite import is_pass_folder
    from .stats import agreement_summary_markdown, conflicts_markdown, counts_markdown

    card = card_text(ann.root)
    named = card.get("agreement_passes")
    if named is None:  # without a choice in card.json: the two passes, when there are exactly two
        found = sorted(p.name for p in (ann.root / "passes").iterdir() if is_pass_folder(p)) if (ann.root / "passes").is_dir() else []
        named = found if len(found) == 2 else []
    passes = [ann.root / "passes" / name for name in named]
    if len(passes) == 2 and all(is_pass_folder(p) for p in passes):
        report = agreement(*load_passes(*passes, corpus))
        shown = ", ".join(f"`annotations/passes/{p.name}`" for p in passes)
        agreement_text = (f"Two passes ({shown}) {card.get('agreement_note', 'compared by `newsclaims agree`')}:\n\n"
                          + agreement_summary_markdown(report))
    else:
        agreement_text = "No two annotation passes are recorded for this data."
    return {"counts": counts_markdown(corpus, ann), "conflicts": conflicts_markdown(corpus, ann), "agreement": agreement_text}


def fill_blocks(text: str, blocks: dict[str, str], label: str) -> str:
    """Replace every <!-- generated:NAME --> ... <!-- /generated:NAME --> block; each must be present."""
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        if not pattern.search(text):
            raise InvalidInput([Problem(label, "", "", f"no <!-- generated:{name} --> block", "the block where the numbers go")])
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


# --- One build: what is rendered, what is stale, what is written ------------------------------

@dataclass
class BuildPlan:
    """A build rendered in memory: the dataset files, the datasheet's new text, and what differs on disk."""

    out: Path
    files: dict[str, str]
    version: str
    digest: str
    stale: list[str]  # shown paths that differ (the datasheet's included)
    data_stale: bool
    datasheet: Path | None = None
    sheet_old: str | None = None
    sheet_new: str | None = None


def plan_build(seeds: Path, annotations: Path, out: Path, changelog: Path, datasheet: Path | None, *, check: bool = False,
               warn=None) -> BuildPlan:
    """Load and validate the data, render every file, compare with ``out`` and ``datasheet``; writes nothing."""
    from .corpus import load_annotation_set, load_corpus, shown_path
    from .safewrite import file_target, refuse_protected

    corpus = load_corpus(seeds)
    ann = load_annotation_set(annotations, corpus, warn=warn)
    digest = gold_digest(annotations, seeds)
    version, released = data_version(changelog, digest)
    files = render(corpus, ann, version, digest, released)
    stale = stale_files(out, files)
    plan = BuildPlan(out, files, version, digest, stale, bool(stale), datasheet)
    if datasheet is not None:
        if not check:
            refuse_protected(datasheet, "--datasheet")
        plan.sheet_old = Path(file_target(datasheet, "--datasheet")).read_text("utf-8")
        plan.sheet_new = fill_blocks(plan.sheet_old, generated_blocks(corpus, ann), str(datasheet))
        if plan.sheet_new != plan.sheet_old:
            stale.append(shown_path(datasheet))
    return plan


def write_build(plan: BuildPlan) -> None:
    """Write what ``plan_build`` found stale: the dataset folder as a whole, then the datasheet."""
    from .safewrite import atomic_write_text

    if plan.data_stale:
        write_tree(plan.out, plan.files)
    if plan.sheet_new is not None and plan.sheet_new != plan.sheet_old:
        atomic_write_text(plan.datasheet, plan.sheet_new)
