"""Loading predictions files: the first stage of the harness (predictions -> spans -> matching -> scoring).

This docstring is the specification of the predictions format; ``eval/sample_predictions.jsonl``
is a sample, and ``newsclaims/schemas/predictions_line.schema.json`` its JSON Schema.

A predictions file is JSON Lines, one object per document::

    {"doc_id": "000_956b89daf0f4f269",
     "entities": [{"start": 0, "end": 10, "label": "GPE", "entity_id": "washington_dc"}],
     "quotes": [{"text": "very dangerous.", "type": "direct", "speaker": "Joe Biden", "cue": {"text": "described"}}],
     "numeric_claims": [{"text": "10,000", "value": 10000, "unit": "troop", "approx": "approximate",
                         "source_id": "us_national_security_council"}]}

- ``doc_id`` (required): a document of the dataset being scored. One line per document; a document
  without a line is a warning and scores as predicted-nothing.
- Layers: ``entities``, ``quotes``, ``numeric_claims``. A layer left out of every line is "not
  predicted" (not scored); an empty list is "predicted nothing" (zero recall).
- Spans: every record, and a quote's ``speaker``/``cue`` or a claim's ``source``, is either
  ``start``/``end`` (Python str indices, i.e. code points, into the seed text decoded from UTF-8;
  ``end`` exclusive; an optional ``text`` must equal ``text[start:end]``) or ``text`` with an optional
  0-based ``occurrence``: the k-th place, left to right, where the text occurs (exactly, else modulo
  typography) without continuing a word (``eval/spans.py`` gives the rules: "U.S." does not occur in
  "U.S.A"); without
  it, the first such place not taken by another record of the same layer (copies of a text-only
  record are repeated mentions, taking successive places). ``occurrence`` beside ``start``/``end``
  is an error. A ``speaker``, ``cue`` or
  ``source`` given as text is placed at the occurrence nearest its record. Text that cannot be
  placed counts as a wrong prediction and is listed. ``speaker`` and ``source`` may also be a bare
  name (a string). Records repeated with offsets count once.
- Entity fields: ``label`` (PERSON, NORP, FAC, ORG, GPE, LOC, PRODUCT, EVENT, WORK_OF_ART, LAW,
  LANGUAGE, DATE, TIME), ``entity_id`` (any string: only its clustering is scored).
- Quote fields: ``type`` (direct | indirect), ``speaker``, ``speaker_id``, ``cue``, ``quote_group``.
- Numeric claim fields: ``value`` (a finite number), ``unit``, ``approx`` (exact | approximate |
  at_least | at_most), ``source``, ``source_id`` (an entity id or ``author``), ``claim_group``.
- Only ``doc_id`` and each record's span are required; ``null`` counts as not given; ``id`` is
  allowed and ignored. A field the gold has and a record leaves out counts as wrong for the metrics
  that need it; a field that no record of the whole file gives is "not predicted" for its own
  metrics only (``eval/scoring.py`` states every scoring rule). An id given for a speaker or source
  is judged alone, whatever name or span is given beside it.
- Offsets and ``occurrence`` are integers (``0.0`` is refused); ``value`` is a finite number a float
  can hold.
- Unknown fields, NaN or infinite numbers, duplicate keys, lone surrogates (``"\\ud800"``), nesting
  deeper than 100 levels and non-UTF-8 bytes are errors, each reported as
  ``file:line: record: field: found ...; expected ...`` (exit code 2). The file is streamed line by
  line and read once: ``-`` reads standard input, and a pipe or FIFO works like a file; the sha256
  in the report is of the bytes read.

A model's answers (``--model``, ``--command``, an OpenAI-compatible endpoint) are checked by
``check_prediction`` exactly like a line of a file, so whatever ``eval`` writes as predictions.jsonl
reads back with ``eval --predictions``.

A file is read a chunk of lines at a time, each chunk checked a column at a time
(``newsclaims.schema.all_valid``; a large file on every core, ``newsclaims.batches``); a chunk
those checks cannot vouch for is read line by line, with the messages above. Entity records given by offsets are kept as
columns (``records.EntityTable``), not as one dict each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np

from newsclaims.batches import checked_chunks
from newsclaims.corpus import check_span
from newsclaims.jsonio import HashingReader, empty_file, exact_lines, no_cycle_collection, open_input, parse_chunk, value_problems
from newsclaims.labels import LAYER_SPECS, LAYERS
from newsclaims.problems import InvalidInput, Problem, show
from newsclaims.schema import all_valid, is_valid, schema_problems, valid_columns

from .entity_columns import DocumentIndex, EntityTable, EntityTableBuilder, MentionBatch, MentionsByDocument, mention_batch

MAX_PROBLEMS = 20


@dataclass
class Predictions:
    """Validated predictions by doc_id, with the warnings found while loading.

    A line is held as ``objects[doc_id]`` (its layers as dicts), except its entity records when they
    all have offsets: those are rows of ``entities`` (doc = the index of the document in the order of
    the texts it was checked against), and ``doc_id`` is in ``tabled``. ``by_doc`` shows every line
    whole, as it was read.
    """

    path: str
    objects: dict[str, dict] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # doc_id -> line number, for messages
    warnings: list[str] = field(default_factory=list)
    sha256: str | None = None  # of the bytes read, for a file or standard input
    entities: EntityTable | None = None
    tabled: set[str] = field(default_factory=set)
    doc_ids: list[str] = field(default_factory=list)  # the texts' order, which entities.doc indexes
    source_details: dict = field(default_factory=dict)  # what a model says of itself for the report (a spaCy pipeline's name)

    @property
    def by_doc(self) -> LinesView:
        if getattr(self, "_view", None) is None or self._view.size != len(self.objects):
            self._view = LinesView(self)
        return self._view

    def layers_predicted(self) -> set[str]:
        found = {layer for doc in self.objects.values() for layer in LAYERS if layer in doc}
        return found | {"entities"} if self.tabled else found


class LinesView(Mapping):
    """doc_id -> the whole line of a document, its tabled entity records made into dicts when asked."""

    def __init__(self, predictions: Predictions):
        self.predictions = predictions
        self.size = len(predictions.objects)  # a view made before more lines came is made again
        self._mentions = None

    def __getitem__(self, doc_id: str) -> dict:
        p = self.predictions
        if doc_id not in p.tabled:
            return p.objects[doc_id]
        if self._mentions is None:
            self._mentions = MentionsByDocument(p.doc_ids, p.entities)
        records = [{k: v for k, v in r.items() if v is not None} for r in self._mentions[doc_id]]
        return {**p.objects.get(doc_id, {"doc_id": doc_id}), "entities": records}

    def __iter__(self):  # in line order; a model's answers have no lines
        p = self.predictions
        order = {**dict.fromkeys(p.lines), **dict.fromkeys(p.objects), **dict.fromkeys(sorted(p.tabled))}
        return (d for d in order if d in p.objects or d in p.tabled)

    def __len__(self) -> int:
        p = self.predictions
        return len(p.objects.keys() | p.tabled)

    def __contains__(self, doc_id) -> bool:
        p = self.predictions
        return doc_id in p.objects or doc_id in p.tabled


def check_prediction_line(obj: dict, text: str, label: str, line: int) -> list[Problem]:
    """Semantic checks of one schema-valid predictions line against its document: every span given
    by offsets fits the text (``corpus.check_span``) and has no ``occurrence`` beside them."""
    problems: list[Problem] = []
    for layer in LAYERS:
        for index, record in enumerate(obj.get(layer) or []):
            where = f"{layer}[{index}]"
            spans = [("", record)] + [(name, record.get(name)) for name in LAYER_SPECS[layer].span_fields]
            for name, span in spans:
                if isinstance(span, dict) and "start" in span:
                    check_span(span, text, label, where, name, problems, gold=False, line=line)
                    if span.get("occurrence") is not None:
                        problems.append(Problem(label, where, f"{name}.occurrence" if name else "occurrence",
                                                f"{show(span['occurrence'])} beside start and end", OCCURRENCE_ONLY_WITH_TEXT, line))
    return problems


OCCURRENCE_ONLY_WITH_TEXT = "occurrence only for a span given by text alone (start and end already place it)"


def check_prediction(obj, texts: dict[str, str], label: str, line: int | None, seen: dict[str, int], *,
                     from_text: bool = False) -> list[Problem]:
    """Every problem of one prediction object (a line of a file, or a model's answer), at most MAX_PROBLEMS.

    A value a model produced in Python is first checked to be a JSON value (no NaN, no tuple, no
    lone surrogate, ...), as the reader checks a file; ``from_text=True`` says the reader already did.
    A schema problem hides none of the line's other problems: the records the schema accepts are
    still checked against their document (``_schema_valid_part``).
    """
    if not from_text:
        found = value_problems(obj, label, line)
        if found:
            return found
    if type(obj) is not dict:
        return [Problem(label, "", "", show(obj), "a JSON object for one document", line)]
    found = schema_problems("predictions_line", obj, label, line, limit=MAX_PROBLEMS)
    checked = _schema_valid_part(obj) if found else obj
    if checked is None:  # no valid doc_id: no document to check the records against
        return found
    doc_id = checked["doc_id"]
    if doc_id not in texts:
        return found + [Problem(label, "", "doc_id", show(doc_id), "a doc_id of the dataset being scored", line)]
    if doc_id in seen:
        where = f"line {seen[doc_id]}" if seen[doc_id] else "an earlier answer"
        return found + [Problem(label, "", "doc_id", show(doc_id), f"one line per document (already on {where})", line)]
    return (found + check_prediction_line(checked, texts[doc_id], label, line or 0))[:MAX_PROBLEMS]


def _schema_valid_part(obj: dict) -> dict | None:
    """A schema-refused line with each record the schema refuses replaced by ``{}`` (so the others keep
    their index) and each layer that is not a list left out; None when its doc_id is not valid."""
    if not is_valid("predictions_line", {"doc_id": obj.get("doc_id")}):
        return None
    part = {"doc_id": obj["doc_id"]}
    for layer in LAYERS:
        records = obj.get(layer)
        if type(records) is list:
            part[layer] = [r if is_valid("predictions_line", {"doc_id": obj["doc_id"], layer: [r]}) else {} for r in records]
    return part


STDIN = "-"


def load_predictions(path: Path | str, texts: dict[str, str], label: str | None = None, *,
                     workers: int | None = None) -> Predictions:
    """Stream and validate a predictions file; raises InvalidInput with up to MAX_PROBLEMS lines.

    ``-`` is standard input. The file is opened and read once (a FIFO or ``<(...)`` works), and
    ``Predictions.sha256`` is the digest of the bytes read. ``workers``: processes checking a large
    file (``newsclaims.batches``; None: one per core for a large file, 0: none).
    """
    if str(path) == STDIN and label in (None, STDIN):
        label = "<stdin>"
    label = label or str(path)
    with open_input(path, label) as handle, no_cycle_collection():
        return _load_stream(handle, texts, label, workers)


class _Keeper:
    """Where checked lines go: the entity table or the dict lines (the one rule of ``Predictions``)."""

    def __init__(self, result: Predictions, texts: dict[str, str]):
        self.result = result
        self.documents = DocumentIndex(texts)
        self.mentions = EntityTableBuilder()

    def keep(self, obj: dict, number: int) -> None:
        """One line checked by ``check_prediction``."""
        doc_id = obj["doc_id"]
        self.result.lines[doc_id] = number
        entities = obj.get("entities")
        if entities is not None and all("start" in r for r in entities):
            self.mentions.add_records(self.documents.index[doc_id], entities)
            self.result.tabled.add(doc_id)
            obj = {k: v for k, v in obj.items() if k != "entities"}
            if len(obj) == 1:
                return
        self.result.objects[doc_id] = obj

    def keep_batch(self, batch: LineBatch) -> bool:
        """A chunk's lines checked by ``_check_lines``; False (nothing kept) when one names a document
        an earlier line named, which only the line-by-line path reports."""
        seen = self.result.lines
        if not seen.keys().isdisjoint(batch.doc_ids):
            return False
        self.mentions.add_coded(batch.mentions)
        for doc_id, number, obj, tabled in zip(batch.doc_ids, batch.numbers, batch.objects, batch.tabled):
            seen[doc_id] = number
            if tabled:
                self.result.tabled.add(doc_id)
            if obj is not None:
                self.result.objects[doc_id] = obj
        return True

    def finish(self) -> None:
        self.result.entities = self.mentions.table()
        self.result.doc_ids = list(self.documents.texts)


@dataclass
class LineBatch:
    """The checked lines of one chunk (see ``_check_lines``)."""

    doc_ids: list[str]
    numbers: list[int]
    objects: list[dict | None]  # a line without its tabled entities; None when nothing else is left
    tabled: list[bool]  # whether the line gave entities (all by offsets: they are in mentions)
    mentions: MentionBatch


def _check_lines(documents: DocumentIndex, chunk: bytes, first: int) -> LineBatch | None:
    """The lines of one chunk of a predictions file, checked a column at a time (run by
    ``batches.checked_chunks``, maybe in a worker); None when some line may have a problem (or
    gives entities by text, to be placed), and the line-by-line path must look at each."""
    objs = parse_chunk(chunk, first)
    if not objs or not all_valid("predictions_line", [{k: v for k, v in o.items() if k != "entities"} if type(o) is dict else o
                                                      for o in objs]):
        return None
    doc_ids = [o["doc_id"] for o in objs]
    if len(set(doc_ids)) != len(doc_ids):
        return None
    docs = list(map(documents.index.__getitem__, doc_ids))  # KeyError: an unknown document, named line by line
    lists = [o["entities"] if "entities" in o else None for o in objs]  # None: the line leaves entities out
    given = [e for o, e in zip(objs, lists) if "entities" in o]
    if not all(type(e) is list for e in given):  # "entities": null is refused line by line
        return None
    records = list(chain.from_iterable(given))
    columns = valid_columns("predictions_entity", records) if records else {"start": (), "end": ()}
    if columns is None:  # records of several shapes
        if not all_valid("predictions_entity", records):
            return None
        columns = {k: [r.get(k) for r in records] for k in ("start", "end", "text", "label", "entity_id", "occurrence")}
    if "start" not in columns or None in columns["start"]:
        return None  # some given by text, to be placed
    if any(x is not None for x in columns.get("occurrence", ())):
        return None  # an occurrence beside offsets, refused line by line
    doc = np.repeat(np.asarray([d for d, e in zip(docs, lists) if e is not None], dtype=np.int64), [len(e) for e in given])
    spans = documents.fitted_spans(doc, columns["start"], columns["end"], columns.get("text"))
    if spans is None:
        return None
    objects = []
    for o, entities in zip(objs, lists):  # the other layers, as check_prediction_line checks them
        rest = {k: v for k, v in o.items() if k != "entities"} if entities is not None else o
        if len(rest) > 1 and check_prediction_line(rest, documents.texts[o["doc_id"]], "", 0):
            return None
        objects.append(rest if entities is None or len(rest) > 1 else None)
    none = [None] * len(records)
    return LineBatch(doc_ids, list(range(first, first + len(objs))), objects, [e is not None for e in lists],
                     mention_batch(doc, *spans, columns.get("label", none), columns.get("entity_id", none)))


def _load_stream(handle, texts: dict[str, str], label: str, workers: int | None) -> Predictions:
    result = Predictions(label)
    keeper = _Keeper(result, texts)
    problems: list[Problem] = []
    reader = HashingReader(handle)
    seen_any = False
    for first, chunk, batch in checked_chunks(reader, label, _check_lines, keeper.documents, workers):
        if not problems and batch is not None and keeper.keep_batch(batch):
            seen_any = True
            continue
        for number, obj in exact_lines(chunk, first, label):
            seen_any = True
            found = check_prediction(obj, texts, label, number, result.lines, from_text=True)
            if not found:
                keeper.keep(obj, number)
            elif isinstance(obj, dict) and isinstance(obj.get("doc_id"), str):
                result.lines.setdefault(obj["doc_id"], number)
            problems.extend(found)
            if len(problems) >= MAX_PROBLEMS:
                break
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(label, "", "", f"at least {len(problems)} problems", "a valid file (stopped reading here)"))
            break
    if not seen_any:
        raise empty_file(label)
    if problems:
        raise InvalidInput(problems)
    keeper.finish()
    result.sha256 = reader.digest.hexdigest()
    result.warnings += missing_documents(result, texts, "no line")
    return result


def missing_documents(result: Predictions, texts: dict[str, str], what: str) -> list[str]:
    by_doc = result.by_doc
    return [f"{result.path}: warning: {what} for document {doc_id}; it scores as predicted-nothing"
            for doc_id in texts if doc_id not in by_doc]
