"""The gold side of scoring: a dataset folder as built by ``newsclaims build``.

A dataset folder is read with the same strict reader as every other input, and checked before
anything is scored: ``build_info.json`` is a JSON object naming the data version and gold digest;
``documents/``, ``entities/``, ``quotes/``, ``numeric_claims/`` and ``kb/`` each hold ``test.jsonl``;
every row has the shape of its record in ``gold_document.schema.json`` (or ``kb.schema.json``) plus
``doc_id`` and ``fold``; each row names a document of ``documents/`` and its spans lie in that
document's text, with their surface ``text`` equal to ``text[start:end]``. Anything else is one line
naming the file, line, field, what was found and what was expected (exit code 2).

Each data file read is hashed in the same pass that reads it, and, once the folder's own checks
pass, its sha256 must be the one ``build_info.json`` records (``files``), or the folder is refused
in one line (``newsclaims.hf.checksum_problem``, the line ``load_dataset`` gives): an edited copy is
never scored under the built gold's name. ``GoldData.files`` holds the digests of what was read,
which report.json records.

The entities file, the one that grows with a dataset, is checked a chunk of lines at a time, a
column at a time (``_check_mentions``; on every core for a large file, ``newsclaims.batches``), and
its mentions are kept as columns (``records.EntityTable``); a chunk those checks cannot vouch for is
checked line by line, which names the first problem.

What a built folder's digest vouches for (``_trusted_mentions``). When build_info.json records a
sha256 for entities/test.jsonl, the file is first read trusting what ``newsclaims build`` proved of
every row it wrote before recording that digest: the row's shape (its schema: fields, types, the
label list, the id patterns) and that its surface ``text`` is ``text[start:end]`` of its document.
Those two checks (about half the reading's CPU) are skipped. Everything else is still checked on
every row: each line is strict JSON (``parse_chunk``), names a document of documents/test.jsonl,
and has integer offsets with ``start < end <= len(text)``, so nothing downstream can index outside
a text. The digest of the bytes read is then compared with the recorded one; if they differ, the
file is read again with every check (the first row problem, if any, is named as before, else the
checksum refusal), so an edited file is never trusted. Why this is safe: equal digests mean the
very bytes the build checked. What it does not protect against: a build_info.json edited by hand to
record the digest of an edited file (the digest guards against edits and accidents, not forgery);
such a file's unchecked rows can only give wrong labels or surfaces, never an out-of-range span.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newsclaims.batches import checked_chunks
from newsclaims.corpus import check_span
from newsclaims.hf import BUILD_INFO, checksum_problem
from newsclaims.jsonio import HashingReader, exact_lines, expect_object, iter_jsonl_batches, no_cycle_collection, open_input, parse_chunk, read_json
from newsclaims.labels import LAYER_SPECS
from newsclaims.problems import InvalidInput, Problem, show
from newsclaims.schema import all_valid, schema_problems, valid_columns

from .entity_columns import ENTITY_FIELDS, DocumentIndex, EntityTable, EntityTableBuilder, MentionBatch, MentionsByDocument, mention_batch

SPLIT_FILE = "test.jsonl"
SCORED_ENTITY_FIELDS = ENTITY_FIELDS
BUILT_BY = "a dataset folder written by newsclaims build"


@dataclass
class GoldData:
    path: Path
    texts: dict[str, str]  # doc_id -> text, in fold order
    layers: dict[str, Mapping]  # layer -> doc_id -> records (entities: a view of ``entities``)
    kb: dict[str, dict]
    info: dict  # build_info.json: data_version, gold_sha256, files
    entities: EntityTable | None = None  # the entity mentions as columns; doc indices follow ``texts``
    files: dict[str, str] | None = None  # sha256 of each data file scored, hashed as it was read (equal to info["files"])


class _Reads:
    """The data files of one folder, each opened once and hashed as it is read; ``verify`` then
    refuses the first whose digest is not build_info.json's."""

    def __init__(self, folder: Path, info: dict):
        self.folder, self.info = folder, info
        self.digests: dict[str, str] = {}

    @contextlib.contextmanager
    def open(self, config: str):
        """(label, hashing stream) of a config's test split; its digest is kept when the block ends
        without an error, which for every reader here means the file was read to its end."""
        path = self.folder / config / SPLIT_FILE
        label = str(path)
        if not path.is_file():
            raise InvalidInput([Problem(str(self.folder), "", "", f"no {config}/{SPLIT_FILE}", BUILT_BY)])
        with open_input(path, label) as handle:
            reader = HashingReader(handle)
            yield label, reader
        self.digests[f"{config}/{SPLIT_FILE}"] = reader.digest.hexdigest()

    def verify(self) -> dict[str, str]:
        """The digests read, once each agrees with build_info.json's; else the first that does not, refused."""
        for rel, digest in self.digests.items():
            problem = checksum_problem(self.folder, self.info, rel, digest)
            if problem:
                raise InvalidInput([problem])
        return dict(sorted(self.digests.items()))


def _batches(reads: _Reads, config: str, schema: str):
    """(label, line numbers, rows) of one config's test split, each batch schema-checked."""
    with reads.open(config) as (label, handle):
        for lines, rows in iter_jsonl_batches(handle, label, allow_empty=config != "documents"):
            if not all_valid(schema, rows):
                for line, row in zip(lines, rows):
                    problems = schema_problems(schema, row, label, line, limit=1)
                    if problems:
                        raise InvalidInput(problems)
            yield label, lines, rows


def _rows(reads: _Reads, config: str, schema: str):
    for label, lines, rows in _batches(reads, config, schema):
        yield from ((label, line, row) for line, row in zip(lines, rows))


def _info(folder: Path) -> dict:
    path = folder / BUILD_INFO
    if not path.is_file():
        raise InvalidInput([Problem(str(folder), "", "", f"no {BUILD_INFO}", BUILT_BY)])
    info = expect_object(read_json(path, str(path)), str(path))
    for key in ("data_version", "gold_sha256"):
        if type(info.get(key)) is not str:
            found = "nothing" if key not in info else show(info[key])
            raise InvalidInput([Problem(str(path), "", key, found, f"a string (the build writes it; {BUILT_BY})")])
    files = info.get("files")
    if type(files) is not dict or not all(type(v) is str for v in files.values()):
        raise InvalidInput([Problem(str(path), "", "files", "nothing" if "files" not in info else show(files),
                                    f"each data file's sha256 (the build writes them; {BUILT_BY})")])
    return info


def load_gold_data(folder: Path | None = None, *, workers: int | None = None) -> GoldData:
    """Read and check a dataset folder; default: the packaged dataset.

    ``workers``: processes checking a large entities file (``newsclaims.batches``; None: one per
    core for a large file, 0: none)."""
    with no_cycle_collection():
        return _load_gold_data(folder, workers)


def _row_problem(row: dict, texts: dict[str, str], label: str, line: int, layer: str) -> Problem | None:
    """The first semantic problem of one schema-valid row: its document, its spans."""
    text = texts.get(row["doc_id"])
    if text is None:
        return Problem(label, "", "doc_id", show(row["doc_id"]), "a doc_id of documents/test.jsonl", line)
    problems: list[Problem] = []
    check_span(row, text, label, "", "", problems, gold=False, line=line)
    for name in LAYER_SPECS[layer].span_fields:
        if row[name] is not None:
            check_span(row[name], text, label, "", name, problems, gold=False, line=line)
    return problems[0] if problems else None


def _check_mentions(documents: DocumentIndex, chunk: bytes, first: int) -> MentionBatch | None:
    """The mentions of one chunk of entities/test.jsonl, checked a column at a time (run by
    ``batches.checked_chunks``, maybe in a worker); None when some line may have a problem, which
    the line-by-line path then names."""
    rows = parse_chunk(chunk, first)
    columns = valid_columns("dataset_entities", rows) if rows else None
    if columns is None:
        return None
    try:
        doc = np.fromiter(map(documents.index.__getitem__, columns["doc_id"]), dtype=np.int64, count=len(rows))
    except KeyError:
        return None
    spans = documents.fitted_spans(doc, columns["start"], columns["end"], columns["text"])
    return None if spans is None else mention_batch(doc, *spans, columns["label"], columns["entity_id"])


def _trusted_mentions(documents: DocumentIndex, chunk: bytes, first: int) -> MentionBatch | None:
    """``_check_mentions`` less what a matching digest vouches for (the module docstring says what):
    each row parsed strictly, naming a known document, with integer offsets inside its text."""
    rows = parse_chunk(chunk, first)
    if not rows:
        return None
    doc = np.fromiter(map(documents.index.__getitem__, (r["doc_id"] for r in rows)), dtype=np.int64, count=len(rows))
    starts, ends = [r["start"] for r in rows], [r["end"] for r in rows]
    if not {type(x) for x in starts} | {type(x) for x in ends} <= {int} or min(starts) < 0:
        return None
    spans = documents.fitted_spans(doc, starts, ends)
    return None if spans is None else mention_batch(doc, *spans, [r["label"] for r in rows], [r["entity_id"] for r in rows])


ENTITIES_FILE = f"entities/{SPLIT_FILE}"


def _read_mentions(reads: _Reads, texts: dict[str, str], workers: int | None) -> EntityTable:
    """The entities file's mentions; trusting a built folder's checks while its digest is to be
    compared (``_trusted_mentions``), read again with every check when it then differs."""
    if type(reads.info["files"].get(ENTITIES_FILE)) is str:
        try:
            table = _read_mentions_with(reads, texts, workers, _trusted_mentions)
        except InvalidInput:  # a problem the trusted read found: the full read names the first one
            table = None
        if table is not None and reads.digests[ENTITIES_FILE] == reads.info["files"][ENTITIES_FILE]:
            return table
    return _read_mentions_with(reads, texts, workers, _check_mentions)


def _read_mentions_with(reads: _Reads, texts: dict[str, str], workers: int | None, check) -> EntityTable:
    documents = DocumentIndex(texts)
    mentions = EntityTableBuilder()
    with reads.open("entities") as (label, handle):
        for first, chunk, batch in checked_chunks(handle, label, check, documents, workers):
            if batch is not None:
                mentions.add_coded(batch)
                continue
            for line, row in exact_lines(chunk, first, label):
                problem = (schema_problems("dataset_entities", row, label, line, limit=1) or [None])[0]
                problem = problem or _row_problem(row, texts, label, line, "entities")
                if problem:
                    raise InvalidInput([problem])
                mentions.add_records(documents.index[row["doc_id"]], [row])
    return mentions.table()


def _load_gold_data(folder: Path | None, workers: int | None) -> GoldData:
    from newsclaims import paths

    folder = Path(folder) if folder else paths.dataset_dir()
    if not folder.is_dir():
        found = "a file" if folder.exists() else "nothing"
        raise InvalidInput([Problem(str(folder), "", "", found, BUILT_BY)])
    info = _info(folder)
    reads = _Reads(folder, info)
    documents = sorted(_rows(reads, "documents", "dataset_document"), key=lambda item: item[2]["fold"])
    texts: dict[str, str] = {}
    for label, line, row in documents:
        if row["doc_id"] in texts:
            raise InvalidInput([Problem(label, "", "doc_id", show(row["doc_id"]), "one row per document", line)])
        texts[row["doc_id"]] = row["text"]
    del documents
    entities = _read_mentions(reads, texts, workers)
    layers: dict[str, Mapping] = {"entities": MentionsByDocument(list(texts), entities)}
    for layer in ("quotes", "numeric_claims"):
        by_doc: dict[str, list[dict]] = {doc_id: [] for doc_id in texts}
        for label, line, row in _rows(reads, layer, f"dataset_{layer}"):
            problem = _row_problem(row, texts, label, line, layer)
            if problem:
                raise InvalidInput([problem])
            by_doc[row["doc_id"]].append(row)
        layers[layer] = by_doc
    kb: dict[str, dict] = {}
    for label, line, row in _rows(reads, "kb", "dataset_kb"):
        if row["id"] in kb:
            raise InvalidInput([Problem(label, "", "id", show(row["id"]), "an id not used by another row", line)])
        kb[row["id"]] = row
    return GoldData(folder, texts, layers, kb, info, entities, reads.verify())
