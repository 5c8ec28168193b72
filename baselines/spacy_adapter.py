"""The ``spacy`` baseline: an installed spaCy pipeline mapped onto the three layers.

OntoNotes name labels become entity mentions; CARDINAL, QUANTITY, MONEY and PERCENT become numeric
claims (value parsed from the text, the noun after the number as the unit, the author as source).
The pipeline is ``en_core_web_sm`` unless ``NEWSCLAIMS_SPACY_MODEL`` names another installed
pipeline or a pipeline folder. Nothing is downloaded: a missing pipeline stops the run with a
message naming it. Quotes are left out ("not predicted").
"""

from __future__ import annotations

import os
import re
import threading
from functools import lru_cache

from newsclaims.labels import ENTITY_LABELS
from newsclaims.problems import InvalidInput, Problem

from .rules import APPROXIMATORS, parse_value

NUMERIC_LABELS = {"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}
DEFAULT_PIPELINE = "en_core_web_sm"
PIPELINE_ENV = "NEWSCLAIMS_SPACY_MODEL"  # names another pipeline
_LOCK = threading.Lock()


@lru_cache(maxsize=None)
def load_pipeline(name: str):
    from newsclaims.extras import require

    spacy = require("spacy", "spacy", "--model spacy")
    try:
        return spacy.load(name)
    except OSError:
        if PIPELINE_ENV in os.environ:  # the user's choice is at fault
            raise InvalidInput([Problem("--model spacy", "", PIPELINE_ENV, f"{name!r}, which is not an installed spaCy pipeline",
                                        f"an installed pipeline (python -m spacy download {name}) or a pipeline folder")]) from None
        raise InvalidInput([Problem("--model spacy", "", "", f"no spaCy pipeline {name!r} (the default)",
                                    f"it installed: python -m spacy download {name} (or name another in {PIPELINE_ENV})")]) from None


def from_doc(doc, doc_id: str) -> dict:
    """Our prediction format from a processed spaCy Doc."""
    text = doc.text
    entities, claims = [], []
    for ent in doc.ents:
        if ent.label_ in ENTITY_LABELS:
            entity_id = None if ent.label_ in ("DATE", "TIME") else re.sub(r"[^a-z0-9]+", "_", ent.text.lower()).strip("_")
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


def predict(document: dict) -> dict:
    name = os.environ.get(PIPELINE_ENV, DEFAULT_PIPELINE)
    with _LOCK:
        nlp = load_pipeline(name)
        doc = nlp(document["text"])
    return from_doc(doc, document["doc_id"])
