"""Tokens and BIO tags derived from character offsets (the ``ner_tokens`` view).

Tokens are digit groups ("10,000"), word-character runs and single punctuation marks; white space
(including the no-break space) separates tokens and is never part of one. A token is further split
wherever an entity boundary falls inside it, so every entity is a whole number of tokens and the
BIO view loses nothing of the gold spans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|\w+|[^\w\s]")


def tokenize(text: str, boundaries: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Token (start, end) offsets, split at every given boundary that falls inside a token."""
    cuts = sorted(set(boundaries))
    spans: list[tuple[int, int]] = []
    for match in TOKEN_RE.finditer(text):
        start, end = match.span()
        for cut in cuts:
            if start < cut < end:
                spans.append((start, cut))
                start = cut
        spans.append((start, end))
    return spans


def bio_tags(token_spans: list[tuple[int, int]], entities: Iterable[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags for tokens; entities are non-overlapping (start, end, label) on token boundaries."""
    tags = ["O"] * len(token_spans)
    index_of_start = {start: i for i, (start, _) in enumerate(token_spans)}
    for start, end, label in entities:
        first = index_of_start.get(start)
        if first is None:
            raise ValueError(f"entity [{start}:{end}] does not start on a token boundary")
        tags[first] = f"B-{label}"
        i = first + 1
        while i < len(token_spans) and token_spans[i][1] <= end:
            tags[i] = f"I-{label}"
            i += 1
        if token_spans[i - 1][1] != end:
            raise ValueError(f"entity [{start}:{end}] does not end on a token boundary")
    return tags


def spans_from_bio(token_spans: list[tuple[int, int]], tags: list[str]) -> list[tuple[int, int, str]]:
    """The (start, end, label) character spans of IOB2 tags; an I- without a matching B- starts a span."""
    spans: list[tuple[int, int, str]] = []
    current: list | None = None
    for (start, end), tag in zip(token_spans, tags):
        prefix, _, label = tag.partition("-")
        if prefix == "I" and current is not None and current[2] == label:
            current[1] = end
            continue
        if current is not None:
            spans.append(tuple(current))
            current = None
        if prefix in ("B", "I"):
            current = [start, end, label]
    if current is not None:
        spans.append(tuple(current))
    return spans
