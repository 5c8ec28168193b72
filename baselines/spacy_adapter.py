"""The ``spacy`` baseline: any spaCy pipeline's entities mapped onto the entity and numeric-claim layers.

Which pipeline: ``--model spacy:NAME_OR_PATH`` loads an installed pipeline by name (``en_core_web_trf``)
or a pipeline folder saved with ``nlp.to_disk(...)`` (``~`` is expanded). ``--model spacy`` loads
``en_core_web_sm``, or the pipeline ``NEWSCLAIMS_SPACY_MODEL`` names (deprecated, kept for existing
scripts: use ``spacy:NAME``). Nothing is downloaded: a missing pipeline stops the run with one line
naming what was given (the environment variable only when it chose the pipeline) and how to get one.
The report's ``predictions.pipeline`` names what was loaded: ``lang_name`` and ``version`` from the
pipeline's meta, the spaCy version, and the entity labels the pipeline can give that are dropped.

The label map, read from ``doc.ents`` (OntoNotes 5 labels, as the ``en_core_web_*`` pipelines give them):

- PERSON, NORP, FAC, ORG, GPE, LOC, PRODUCT, EVENT, WORK_OF_ART, LAW, LANGUAGE, DATE, TIME (``ENTITY_LABELS``)
  become entity mentions with the same label; ``entity_id`` is the lower-cased text joined by ``_``
  (``Mark Rutte`` -> ``mark_rutte``), none for DATE and TIME (``UNLINKED_ENTITY_LABELS``: never linked).
- CARDINAL, QUANTITY, MONEY, PERCENT (``NUMERIC_LABELS``) become numeric claims: the value parsed from
  the text (``rules.parse_value``; a mention it cannot parse is dropped), ``approx`` from the words
  just before (``rules.APPROXIMATORS``: "more than" -> at_least ...), the word after as the unit
  (singular), and the author as source.
- ORDINAL and every label outside OntoNotes (a custom or WikiNER pipeline's PER, MISC ...) are dropped;
  they are not renamed. Quotes are not predicted.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Protocol, cast

from newsclaims.labels import ENTITY_LABELS, UNLINKED_ENTITY_LABELS
from newsclaims.problems import InvalidInput, Problem

from .rules import APPROXIMATORS, parse_value

NUMERIC_LABELS = ("CARDINAL", "QUANTITY", "MONEY", "PERCENT")
DEFAULT_PIPELINE = "en_core_web_sm"
PIPELINE_ENV = "NEWSCLAIMS_SPACY_MODEL"  # deprecated: --model spacy:NAME
ENTITY_FACTORIES = ("ner", "beam_ner", "entity_ruler")  # the components whose labels reach doc.ents
_LOCK = threading.Lock()  # a pipeline is not thread-safe: documents go through it one at a time


class DescribedPredictor(Protocol):
    """A ``--model`` callable that names what it runs (``eval.adapters.callables`` reads ``source_details``)."""

    source_details: dict

    def __call__(self, document: dict) -> dict: ...


def predictor(argument: str = "") -> Callable[[dict], dict]:
    """``--model spacy:ARGUMENT`` (the registry's factory): ``predict(document)`` for the pipeline
    ARGUMENT names, or for the default pipeline when it is empty; ``predict.source_details`` names it."""
    given_by = "--model spacy" + (f":{argument}" if argument else "")
    env = os.environ.get(PIPELINE_ENV, "") if not argument else ""
    nlp = load_pipeline(argument or env or DEFAULT_PIPELINE, given_by, PIPELINE_ENV if env else "")

    def predict(document: dict) -> dict:
        with _LOCK:
            doc = nlp(document["text"])
        return from_doc(doc, document["doc_id"])

    described = cast(DescribedPredictor, predict)  # a function with an attribute, which mypy cannot express
    described.source_details = {"pipeline": describe_pipeline(nlp)}
    return described


@cache
def load_pipeline(name: str, given_by: str = "--model spacy", field: str = ""):
    """The pipeline ``name`` (installed or a folder), loaded once; one Problem naming ``name`` if it cannot be."""
    from newsclaims.extras import require

    spacy = require("spacy", "spacy", given_by)
    path = Path(name).expanduser()
    is_path = path.exists() or "/" in name or os.sep in name or name.startswith(("~", "."))
    try:
        return spacy.load(path if is_path else name)
    except (OSError, ValueError) as err:  # E050: no such package or path; E053: no meta.json; a config spaCy cannot read
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        if is_path and not path.exists():
            found = f"{name!r}, a path that does not exist"
        elif is_path or isinstance(err, ValueError):
            found = f"{name!r}, which spaCy cannot load ({reason})"
        else:
            found = f"{name!r}, which is not an installed spaCy pipeline"
        download = f"python -m spacy download {DEFAULT_PIPELINE if is_path else name}"
        raise InvalidInput([Problem(given_by, "", field, found, f"an installed pipeline ({download}, or pip install its wheel "
                                    "file offline) or a pipeline folder saved with nlp.to_disk(...)")]) from None


def describe_pipeline(nlp) -> dict:
    """What the report says of a loaded pipeline: its package-style name and version (from its meta),
    spaCy's version, and the entity labels it can give that the label map drops."""
    import spacy

    meta = nlp.meta
    labels = {label for name, labels in nlp.pipe_labels.items() if nlp.get_pipe_meta(name).factory in ENTITY_FACTORIES
              for label in labels}
    return {"name": f"{meta.get('lang', nlp.lang)}_{meta.get('name', 'pipeline')}", "version": meta.get("version"),
            "spacy_version": spacy.__version__,
            "labels_dropped": sorted(labels - set(ENTITY_LABELS) - set(NUMERIC_LABELS))}


def from_doc(doc, doc_id: str) -> dict:
    """Our prediction format from a processed spaCy Doc."""
    text = doc.text
    entities, claims = [], []
    for ent in doc.ents:
        if ent.label_ in ENTITY_LABELS:
            entity_id = None if ent.label_ in UNLINKED_ENTITY_LABELS else re.sub(r"[^a-z0-9]+", "_", ent.text.lower()).strip("_")
            entities.append({"start": ent.start_char, "end": ent.end_char, "label": ent.label_, "entity_id": entity_id})
        elif ent.label_ in NUMERIC_LABELS:
            value = parse_value(re.sub(r"[^\w,.\s-]", "", ent.text).strip())
            if value is None:
                continue
            approx = "exact"
            before = text[max(0, ent.start_char - 25):ent.start_char].lower()
            for pattern, kind in APPROXIMATORS:
                if re.search(rf"\b{pattern}\s+$", before):
                    approx = kind
                    break
            following = doc[ent.end] if ent.end < len(doc) else None
            unit = following.text.lower() if following is not None and following.is_alpha else None
            if unit and unit.endswith("s") and not unit.endswith("ss"):
                unit = unit[:-1]
            claims.append({"start": ent.start_char, "end": ent.end_char, "value": value, "unit": unit,
                           "approx": approx, "source_id": "author"})
    return {"doc_id": doc_id, "entities": entities, "numeric_claims": claims}
