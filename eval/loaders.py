"""Loading predictions files: the first stage of the harness (loaders -> spans -> matching -> evaluator).

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
  0-based ``occurrence``: the k-th place, left to right, where the exact text occurs without
  continuing a word (``eval/spans.py`` gives the rule: "U.S." does not occur in "U.S.A"); without
  it, the first such place not taken by another record of the same layer. A ``speaker``, ``cue`` or
  ``source`` given as text is placed at the occurrence nearest its record. Text that cannot be
  placed counts as a wrong prediction and is listed. ``speaker`` and ``source`` may also be a bare
  name (a string). Records repeated within a document count once.
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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from newsclaims.corpus import SPAN_FIELDS, check_span
from newsclaims.jsonio import iter_jsonl_handle, no_cycle_collection, open_input, value_problems
from newsclaims.labels import LAYERS
from newsclaims.problems import InvalidInput, Problem, show
from newsclaims.schema import schema_problems

MAX_PROBLEMS = 20


@dataclass
class Predictions:
    """Validated predictions by doc_id, with the warnings found while loading."""

    path: str
    by_doc: dict[str, dict] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # doc_id -> line number, for messages
    warnings: list[str] = field(default_factory=list)
    sha256: str | None = None  # of the bytes read, for a file or standard input

    def layers_predicted(self) -> set[str]:
        return {layer for doc in self.by_doc.values() for layer in LAYERS if layer in doc}


def check_prediction_line(obj: dict, text: str, label: str, line: int) -> list[Problem]:
    """Semantic checks of one schema-valid predictions line against its document."""
    problems: list[Problem] = []
    for layer in LAYERS:
        for index, record in enumerate(obj.get(layer) or []):
            where = f"{layer}[{index}]"
            if "start" in record:
                check_span(record, text, label, where, "", problems, gold=False, line=line)
            for name in SPAN_FIELDS[layer]:
                span = record.get(name)
                if isinstance(span, dict) and "start" in span:
                    check_span(span, text, label, where, name, problems, gold=False, line=line)
    return problems


def check_prediction(obj, texts: dict[str, str], label: str, line: int | None, seen: dict[str, int], *,
                     from_text: bool = False) -> list[Problem]:
    """Every problem of one prediction object (a line of a file, or a model's answer).

    A value a model produced in Python is first checked to be a JSON value (no NaN, no tuple, no
    lone surrogate, ...), as the reader checks a file; ``from_text=True`` says the reader already did.
    """
    if not from_text:
        found = value_problems(obj, label, line)
        if found:
            return found
    if type(obj) is not dict:
        return [Problem(label, "", "", show(obj), "a JSON object for one document", line)]
    found = schema_problems("predictions_line", obj, label, line)
    if found:
        return found
    doc_id = obj["doc_id"]
    if doc_id not in texts:
        return [Problem(label, "", "doc_id", show(doc_id), "a doc_id of the dataset being scored", line)]
    if doc_id in seen:
        where = f"line {seen[doc_id]}" if seen[doc_id] else "an earlier answer"
        return [Problem(label, "", "doc_id", show(doc_id), f"one line per document (already on {where})", line)]
    return check_prediction_line(obj, texts[doc_id], label, line or 0)


class _HashingReader:
    """A binary stream read once, line by line, hashing every byte it hands out."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def readline(self, limit: int = -1) -> bytes:
        data = self.handle.readline(limit)
        self.digest.update(data)
        return data


STDIN = "-"


def load_predictions(path: Path | str, texts: dict[str, str], label: str | None = None) -> Predictions:
    """Stream and validate a predictions file; raises InvalidInput with up to MAX_PROBLEMS lines.

    ``-`` is standard input. The file is opened and read once (a FIFO or ``<(...)`` works), and
    ``Predictions.sha256`` is the digest of the bytes read.
    """
    if str(path) == STDIN and label in (None, STDIN):
        label = "<stdin>"
    label = label or str(path)
    with open_input(path, label) as handle, no_cycle_collection():
        return _load_stream(handle, texts, label)


def _load_stream(handle, texts: dict[str, str], label: str) -> Predictions:
    result = Predictions(label)
    problems: list[Problem] = []
    reader = _HashingReader(handle)
    for number, obj in iter_jsonl_handle(reader, label, schema_checked=True):
        found = check_prediction(obj, texts, label, number, result.lines, from_text=True)
        if not found:
            result.by_doc[obj["doc_id"]] = obj
        if isinstance(obj, dict) and isinstance(obj.get("doc_id"), str):
            result.lines.setdefault(obj["doc_id"], number)
        problems.extend(found)
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(label, "", "", f"at least {len(problems)} problems", "a valid file (stopped reading here)"))
            break
    if problems:
        raise InvalidInput(problems)
    result.sha256 = reader.digest.hexdigest()
    result.warnings += missing_documents(result, texts, "no line")
    return result


def missing_documents(result: Predictions, texts: dict[str, str], what: str) -> list[str]:
    return [f"{result.path}: warning: {what} for document {doc_id}; it scores as predicted-nothing"
            for doc_id in texts if doc_id not in result.by_doc]
