"""Completeness checks of a gold set against the raw text.

- Every quotation-mark pair encloses a direct quote: ``quoted_spans`` finds the spans the marks
  enclose, pairing curly and straight marks the way the guidelines do (a quotation that runs over a
  line break to its closing mark is one span; a paragraph that reopens with an opening mark after a
  paragraph that never closed ends the earlier span at its paragraph's end).
- Every digit group and number word is covered by a numeric claim or a DATE/TIME entity.
Exceptions are listed with a reason in ``annotations/waivers.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .corpus import AnnotationSet, Corpus
from .jsonio import expect_object, read_json
from .problems import InvalidInput
from .schema import schema_problems

WAIVERS_FILE = "waivers.json"
NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion trillion half dozen"
).split()
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*|\b(?:" + "|".join(NUMBER_WORDS) + r")s?\b", re.IGNORECASE)
OPENING_CONTEXT = set(" \t\n\u00a0([{—–-")


@dataclass(frozen=True)
class Gap:
    doc_id: str
    start: int
    end: int
    text: str


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the text strictly between each pair of quotation marks."""
    spans: list[tuple[int, int]] = []
    open_at: int | None = None

    def close_at_paragraph_end(start: int) -> None:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        spans.append((start, len(text[:end].rstrip())))

    for i, ch in enumerate(text):
        if ch == '"':
            opening = i == 0 or text[i - 1] in OPENING_CONTEXT
        elif ch == "\u201c":
            opening = True
        elif ch == "\u201d":
            opening = False
        else:
            continue
        if opening:
            if open_at is not None:
                close_at_paragraph_end(open_at)
            open_at = i + 1
        elif open_at is not None:
            spans.append((open_at, i))
            open_at = None
    if open_at is not None:
        close_at_paragraph_end(open_at)
    return [(s, e) for s, e in spans if e > s]


def number_mentions(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in NUMBER_RE.finditer(text)]


def load_waivers(root: Path) -> dict[str, set[tuple[str, int, int]]]:
    path = root / WAIVERS_FILE
    if not path.exists():
        return {"quote_marks": set(), "numbers": set()}
    data = expect_object(read_json(path, str(path)), str(path))
    problems = schema_problems("waivers", data, str(path))
    if problems:
        raise InvalidInput(problems)
    return {kind: {(w["doc_id"], w["start"], w["end"]) for w in data[kind]} for kind in ("quote_marks", "numbers")}


def unquoted_marks(corpus: Corpus, ann: AnnotationSet) -> list[Gap]:
    """Quotation-mark spans with no direct quote of exactly those offsets, less the waived ones."""
    waived = load_waivers(ann.root)["quote_marks"]
    gaps = []
    for doc_id, doc in sorted(ann.documents.items()):
        text = corpus.documents[doc_id].text
        direct = {(q["start"], q["end"]) for q in doc["quotes"] if q["type"] == "direct"}
        for start, end in quoted_spans(text):
            if (start, end) not in direct and (doc_id, start, end) not in waived:
                gaps.append(Gap(doc_id, start, end, text[start:end]))
    return gaps


def uncovered_numbers(corpus: Corpus, ann: AnnotationSet) -> list[Gap]:
    """Digit groups and number words inside no numeric claim and no DATE/TIME entity, less the waived ones."""
    waived = load_waivers(ann.root)["numbers"]
    gaps = []
    for doc_id, doc in sorted(ann.documents.items()):
        text = corpus.documents[doc_id].text
        covers = [(c["start"], c["end"]) for c in doc["numeric_claims"]]
        covers += [(e["start"], e["end"]) for e in doc["entities"] if e["label"] in ("DATE", "TIME")]
        for start, end in number_mentions(text):
            if not any(s <= start and end <= e for s, e in covers) and (doc_id, start, end) not in waived:
                gaps.append(Gap(doc_id, start, end, text[start:end]))
    return gaps
