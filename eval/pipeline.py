"""Score a run: ``evaluate(source, data)`` runs a source on the gold texts, scores what it predicted
and builds report.json. It is the one pipeline: ``newsclaims eval``, ``newsclaims baselines
refresh`` and the benchmark (through ``newsclaims eval``) run it.

A source says what is scored; each is a frozen value with ``predict`` and ``describe``:

- ``PredictionsFile(path)``: a predictions file, read once (``-`` is standard input, a FIFO works).
- ``Model(spec)``: a shipped baseline by name or ``package.module:callable`` (``adapters.callables``).
- ``Command(command)``: a program reading document lines on stdin (``adapters.commands``).
- ``OpenAIEndpoint(base_url, model, ...)``: an OpenAI-compatible chat endpoint (``adapters.openai_client``);
  its raw replies are kept beside the report as replies.jsonl.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from newsclaims.labels import LAYERS
from newsclaims.problems import InvalidInput, Problem, show

from .adapters.chunks import DEFAULT_MAX_CHARS
from .adapters.openai_client import DEFAULT_KEY_ENV, DEFAULT_MAX_REPLY_BYTES, DEFAULT_RETRIES, ChatOptions
from .adapters.openai_client import DEFAULT_WORKERS as DEFAULT_ENDPOINT_WORKERS

if TYPE_CHECKING:  # annotations only: the readers and the scorer are imported when a run needs them
    from .gold import GoldData
    from .predictions import Predictions
    from .scoring import Scores

DEFAULT_MODEL = "rules"  # scored when no source is given
DEFAULT_WORKERS = 1  # documents at a time for a model or command; an endpoint has its own (OpenAIEndpoint.default_workers)


def parse_layers(text: str | None) -> tuple[str, ...]:
    """``--layers``: a comma-separated list of layers; empty or None: every layer."""
    if not text:
        return LAYERS
    layers = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in layers if x not in LAYERS]
    if bad or not layers:
        raise InvalidInput([Problem("--layers", "", "", show(text), "a comma-separated list of " + ", ".join(LAYERS))])
    return layers


Files = dict[str, str]  # file name -> content, kept beside the report


@dataclass(frozen=True)
class PredictionsFile:
    path: Path | str

    def predict(self, texts: dict[str, str], workers: int, timeout: float) -> tuple[Predictions, Files]:
        from .predictions import load_predictions

        return load_predictions(self.path, texts), {}

    def describe(self, predictions: Predictions) -> dict:
        return {"kind": "predictions file", "name": str(self.path), "sha256": predictions.sha256}


@dataclass(frozen=True)
class Model:
    spec: str

    def predict(self, texts: dict[str, str], workers: int, timeout: float) -> tuple[Predictions, Files]:
        from .adapters.callables import run_callable

        return run_callable(self.spec, texts, workers), {}

    def describe(self, predictions: Predictions) -> dict:
        return {"kind": "model", "name": self.spec, **predictions.source_details}


@dataclass(frozen=True)
class Command:
    command: str

    def predict(self, texts: dict[str, str], workers: int, timeout: float) -> tuple[Predictions, Files]:
        from .adapters.commands import run_command

        return run_command(self.command, texts, workers, timeout), {}

    def describe(self, predictions: Predictions) -> dict:
        return {"kind": "command", "name": self.command}


@dataclass(frozen=True)
class OpenAIEndpoint:
    """An endpoint and the model name to ask it for (refused when empty), with the client's options
    and what each request sends (``ChatOptions``). Its shots are drawn from the gold it is scored on."""

    base_url: str
    model: str
    key_env: str = DEFAULT_KEY_ENV
    cache_dir: Path | None = None
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES
    retries: int = DEFAULT_RETRIES
    max_chars: int = DEFAULT_MAX_CHARS
    options: ChatOptions = ChatOptions()
    default_workers: ClassVar[int] = DEFAULT_ENDPOINT_WORKERS

    def __post_init__(self):
        if not self.model:
            raise InvalidInput([Problem("--openai-model", "", "", "nothing", "the model name to ask the endpoint for")])

    def examples(self, gold: GoldData | None) -> dict | None:
        """(text, gold records by layer) of each gold document, when the options ask for shots."""
        if not self.options.shots or gold is None:
            return None
        return {d: (text, {layer: gold.layers[layer].get(d, []) for layer in LAYERS}) for d, text in gold.texts.items()}

    def predict(self, texts: dict[str, str], workers: int, timeout: float, gold: GoldData | None = None) -> tuple[Predictions, Files]:
        from .adapters.openai_client import run_openai

        predictions, replies = run_openai(self.base_url, self.model, texts, workers, timeout, self.key_env, cache_dir=self.cache_dir,
                                          max_reply_bytes=self.max_reply_bytes, retries=self.retries, options=self.options, max_chars=self.max_chars,
                                          examples=self.examples(gold))
        lines = "".join(json.dumps({"doc_id": d, "reply": r}, ensure_ascii=False) + "\n" for d, r in replies.items())
        return predictions, {"replies.jsonl": lines}

    def request(self, doc_id: str, gold: GoldData) -> dict:
        """The request body that would be sent for ``doc_id`` (``--show-prompt``); nothing is sent."""
        from .adapters.openai_client import request_preview

        return request_preview(self.model, gold.texts, doc_id, self.options, self.examples(gold))

    def describe(self, predictions: Predictions) -> dict:
        from .adapters.openai_client import public_url

        return {"kind": "openai endpoint", "name": f"{self.model} at {public_url(self.base_url)}", **predictions.source_details}


Source = PredictionsFile | Model | Command | OpenAIEndpoint


@dataclass(frozen=True)
class Evaluation:
    """A scored run: report.json's content and what it was made from."""

    report: dict
    scores: Scores
    gold: GoldData
    predictions: Predictions
    layers: tuple[str, ...]
    files: Files
    model_lines: list[dict] | None  # what a model answered, in the texts' order; None for a predictions file
    predict_seconds: float  # the source's time alone, without reading the gold or scoring

    def write(self, folder: Path) -> list[str]:
        """report.json, report.md, report.html, a model's predictions.jsonl and ``files``, as one set
        (``report.write_outputs``); returns the names of the user's entries kept beside them."""
        from .report import write_outputs

        return write_outputs(folder, self.report, self.scores, self.gold.texts, self.model_lines, self.files)


def evaluate(source: Source, data: GoldData | Path | None = None, layers: tuple[str, ...] = LAYERS, *, workers: int | None = None,
             timeout: float = 60.0,
             resamples: int = 1000, seed: int = 0, warn: Callable[[str], None] | None = None,
             started: float | None = None) -> Evaluation:
    """Run ``source`` on the gold texts, score ``layers`` and build the report.

    ``data``: a ``GoldData`` already loaded, a dataset folder, or None for the packaged gold.
    ``workers``: documents a model, command or endpoint handles at a time (None: ``DEFAULT_WORKERS``,
    or an endpoint's ``default_workers``); ``timeout``: seconds per
    document for a command or endpoint. ``warn`` is called with each warning of the predictions as
    soon as they are read, before scoring (the report lists them too). ``started``: the
    ``time.perf_counter()`` the report's elapsed_seconds counts from (default: now).
    """
    from newsclaims.batches import track_memory

    from .gold import GoldData, load_gold_data
    from .report import build_report
    from .scoring import score

    track_memory()  # report.json's memory: this process's tree, sampled
    started = time.perf_counter() if started is None else started
    gold = data if isinstance(data, GoldData) else load_gold_data(data)
    before = time.perf_counter()
    if workers is None:
        workers = source.default_workers if isinstance(source, OpenAIEndpoint) else DEFAULT_WORKERS
    if isinstance(source, OpenAIEndpoint):  # its worked examples come from the gold
        predictions, files = source.predict(gold.texts, workers, timeout, gold)
    else:
        predictions, files = source.predict(gold.texts, workers, timeout)
    predict_seconds = time.perf_counter() - before
    for warning in predictions.warnings if warn is not None else ():
        warn(warning)
    scores = score(gold, predictions, layers, resamples=resamples, seed=seed)
    for warning in scores.warnings if warn is not None else ():  # found while placing records
        warn(warning)
    report = build_report(scores, gold, source.describe(predictions), time.perf_counter() - started,
                          predictions.warnings + scores.warnings)
    model_lines = None if isinstance(source, PredictionsFile) else [predictions.by_doc[d] for d in gold.texts if d in predictions.by_doc]
    return Evaluation(report, scores, gold, predictions, layers, files, model_lines, predict_seconds)


def preannotations(source: Model | PredictionsFile, texts: dict[str, str]) -> dict[str, dict]:
    """What ``source`` predicts for each document, as Label Studio tasks are pre-annotated with it
    (``newsclaims ls export/push --source``): a model's answers as it gave them; a predictions file's
    records placed in the text as ``eval`` places them (``spans``)."""
    predictions, _ = source.predict(texts, workers=1, timeout=60.0)
    if isinstance(source, Model):
        return predictions.by_doc
    from .spans import align_document

    return {d: {layer: a.records for layer, a in align_document(obj, texts[d]).items()} for d, obj in predictions.by_doc.items()}

