"""The gold side of scoring: a dataset folder as built by ``newsclaims build``.

A dataset folder is read with the same strict reader as every other input, and checked before
anything is scored: ``build_info.json`` is a JSON object naming the data version and gold digest;
``documents/``, ``entities/``, ``quotes/``, ``numeric_claims/`` and ``kb/`` each hold ``test.jsonl``;
every row has the shape of its record in ``gold_document.schema.json`` (or ``kb.schema.json``) plus
``doc_id`` and ``fold``; each row names a document of ``documents/`` and its spans lie in that
document's text, with their surface ``text`` equal to ``text[start:end]``. Anything else is one line
naming the file, line, field, what was found and what was expected (exit code 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsclaims.corpus import SPAN_FIELDS, check_span
from newsclaims.jsonio import expect_object, iter_jsonl, no_cycle_collection, read_json
from newsclaims.labels import LAYERS
from newsclaims.problems import InvalidInput, Problem, show
from newsclaims.schema import schema_problems

SPLIT_FILE = "test.jsonl"
SCORED_ENTITY_FIELDS = ("id", "start", "end", "label", "entity_id")
BUILT_BY = "a dataset folder written by newsclaims build"


@dataclass
class GoldData:
    path: Path
    texts: dict[str, str]  # doc_id -> text, in fold order
    layers: dict[str, dict[str, list[dict]]]  # layer -> doc_id -> records (entities: SCORED_ENTITY_FIELDS only)
    kb: dict[str, dict]
    info: dict  # build_info.json: data_version, gold_sha256, files


def _rows(folder: Path, config: str, schema: str) -> list[tuple[str, int, dict]]:
    """(label, line, row) of one config's test split, each row schema-checked."""
    path = folder / config / SPLIT_FILE
    label = str(path)
    if not path.is_file():
        raise InvalidInput([Problem(str(folder), "", "", f"no {config}/{SPLIT_FILE}", BUILT_BY)])
    rows = []
    for line, row in iter_jsonl(path, label, schema_checked=True, allow_empty=config != "documents"):
        problems = schema_problems(schema, row, label, line, limit=1)
        if problems:
            raise InvalidInput(problems)
        rows.append((label, line, row))
    return rows


def _info(folder: Path) -> dict:
    path = folder / "build_info.json"
    if not path.is_file():
        raise InvalidInput([Problem(str(folder), "", "", "no build_info.json", BUILT_BY)])
    info = expect_object(read_json(path, str(path)), str(path))
    for key in ("data_version", "gold_sha256"):
        if type(info.get(key)) is not str:
            found = "nothing" if key not in info else show(info[key])
            raise InvalidInput([Problem(str(path), "", key, found, f"a string (the build writes it; {BUILT_BY})")])
    return info


def load_gold_data(folder: Path | None = None) -> GoldData:
    """Read and check a dataset folder; default: the packaged dataset."""
    with no_cycle_collection():
        return _load_gold_data(folder)


def _load_gold_data(folder: Path | None) -> GoldData:
    from newsclaims import paths

    folder = Path(folder) if folder else paths.dataset_dir()
    if not folder.is_dir():
        found = "a file" if folder.exists() else "nothing"
        raise InvalidInput([Problem(str(folder), "", "", found, BUILT_BY)])
    info = _info(folder)
    documents = sorted(_rows(folder, "documents", "dataset_document"), key=lambda item: item[2]["fold"])
    texts: dict[str, str] = {}
    for label, line, row in documents:
        if row["doc_id"] in texts:
            raise InvalidInput([Problem(label, "", "doc_id", show(row["doc_id"]), "one row per document", line)])
        texts[row["doc_id"]] = row["text"]
    layers: dict[str, dict[str, list[dict]]] = {layer: {doc_id: [] for doc_id in texts} for layer in LAYERS}
    for layer in LAYERS:
        by_doc = layers[layer]
        for label, line, row in _rows(folder, layer, f"dataset_{layer}"):
            records = by_doc.get(row["doc_id"])
            if records is None:
                raise InvalidInput([Problem(label, "", "doc_id", show(row["doc_id"]),
                                            "a doc_id of documents/test.jsonl", line)])
            problems: list[Problem] = []
            text = texts[row["doc_id"]]
            check_span(row, text, label, "", "", problems, gold=False, line=line)
            for name in SPAN_FIELDS[layer]:
                if row[name] is not None:
                    check_span(row[name], text, label, "", name, problems, gold=False, line=line)
            if problems:
                raise InvalidInput(problems[:1])
            # Checked, a row keeps what scoring reads: the document is its list, the surface its
            # offsets. For the largest layer that is a third of the memory a dataset takes.
            records.append({k: row[k] for k in SCORED_ENTITY_FIELDS} if layer == "entities" else row)
    kb: dict[str, dict] = {}
    for label, line, row in _rows(folder, "kb", "dataset_kb"):
        if row["id"] in kb:
            raise InvalidInput([Problem(label, "", "id", show(row["id"]), "an id not used by another row", line)])
        kb[row["id"]] = row
    return GoldData(folder, texts, layers, kb, info)
