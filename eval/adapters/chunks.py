"""Long documents for a chat endpoint (``--max-chars``): asked in chunks, answers mapped back and merged.

- A document longer than ``max_chars`` characters is cut into chunks of at most ``max_chars``. Each
  cut is at the last paragraph boundary in the chunk's second half (a line break that does not break
  a word, ``spans.DocumentText.breaks_a_word``), else the last sentence end, else the last space,
  else at ``max_chars``. A chunk cut anywhere but at a paragraph boundary overlaps the next by at
  most an eighth of ``max_chars`` (the next chunk begins at the first sentence, else word, of that
  stretch), so that a record the cut runs through is seen whole in the next chunk.
- A chunk's records are placed in the chunk (``spans.place_spans``: the rules of eval/spans.py,
  exact text first, else modulo typography) and shifted to document offsets. In the chunk, not in
  the whole document: the chunk is what the model read, so "Russia" named by the third chunk is a
  mention in the third chunk (the document's first free "Russia" may lie in the first chunk, taking
  the place of the first chunk's own "Russia"), and two chunks naming one mention land on the same
  offsets, so they merge. A speaker, cue or source stays as given, to be placed in the whole
  document at the occurrence nearest its placed record (the same rule as for any record). A record
  whose text is not in its chunk stays text-only, placed (or counted unplaced) in the whole
  document like any other; surplus copies within a chunk count once (``spans``).
- Merged once: records of two chunks with the same offsets and ``spans.content_key`` are one
  record; a record lying inside a longer record of the same layer from another chunk that runs past
  the record's own chunk is that record seen cut by the edge, and is dropped. ``entity_id`` and
  the other ids are kept as the model wrote them (one namespace for the document).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from newsclaims.labels import LAYERS

from ..spans import WHITESPACE, DocumentText, content_key, place_spans

DEFAULT_MAX_CHARS = 12_000
SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")
Span = tuple[int, int]


def _boundaries(text: str) -> tuple[list[int], list[int], list[int]]:
    """Where a chunk may begin: after a paragraph break, after a sentence end, after a space (sorted)."""
    doc = DocumentText(text)
    paragraphs, spaces = [], []
    for m in WHITESPACE.finditer(text):
        spaces.append(m.end())
        if "\n" in m.group() and not doc.breaks_a_word(*m.span()):
            paragraphs.append(m.end())
    sentences = sorted(set(paragraphs) | {m.end() for m in SENTENCE_END.finditer(text)})
    return paragraphs, sentences, spaces


def _last(positions: list[int], low: int, high: int) -> int | None:
    """The largest position p with low < p <= high."""
    i = bisect.bisect_right(positions, high) - 1
    return positions[i] if i >= 0 and positions[i] > low else None


def _first(positions: list[int], low: int, high: int) -> int | None:
    """The smallest position p with low <= p < high."""
    i = bisect.bisect_left(positions, low)
    return positions[i] if i < len(positions) and positions[i] < high else None


def chunk_spans(text: str, max_chars: int) -> list[Span]:
    """(start, end) of each chunk of text, in order (module docstring); one chunk when it is short enough."""
    if len(text) <= max_chars:
        return [(0, len(text))]
    paragraphs, sentences, spaces = _boundaries(text)
    overlap = max_chars // 8
    spans, start = [], 0
    while len(text) - start > max_chars:
        limit = start + max_chars
        cut = _last(paragraphs, start + max_chars // 2, limit)
        at_paragraph = cut is not None
        for positions in (sentences, spaces):
            cut = cut if cut is not None else _last(positions, start + max_chars // 2, limit)
        cut = cut if cut is not None else limit
        spans.append((start, cut))
        if at_paragraph:
            start = cut
            continue
        low = cut - overlap
        following = _first(sentences, low, cut)
        following = following if following is not None else _first(spaces, low, cut)
        start = following if following is not None else low
    spans.append((start, len(text)))
    return spans


def _placed_in_chunk(records: list[dict], chunk: DocumentText, offset: int, text: str) -> tuple[list[dict], list[dict]]:
    """A chunk's records of one layer placed in the chunk and shifted by offset; and those left as text."""
    placed = place_spans(records, chunk)
    shifted = []
    for start, end, record in placed.spans:
        start, end = start + offset, end + offset
        shifted.append({**{k: v for k, v in record.items() if k != "occurrence"}, "start": start, "end": end, "text": text[start:end]})
    return shifted, [record for record, _ in placed.unplaced]


def merge_chunk_answers(doc_id: str, text: str, spans: list[Span], answers: list[dict]) -> dict:
    """One prediction for the document from each chunk's answer (records of the chunk's text), merged once."""
    out: dict = {"doc_id": doc_id}
    by_layer: dict[str, list[tuple[dict, int]]] = {}
    left_as_text: dict[str, list[dict]] = {}
    for index, ((start, end), answer) in enumerate(zip(spans, answers)):
        chunk = DocumentText(text[start:end])
        for layer in LAYERS:
            if answer.get(layer) is None:
                continue
            placed, unplaced = _placed_in_chunk(answer[layer], chunk, start, text)
            by_layer.setdefault(layer, []).extend((record, index) for record in placed)
            left_as_text.setdefault(layer, []).extend(unplaced)
    for layer in LAYERS:
        if layer not in by_layer:
            continue
        seen: dict[tuple, tuple[dict, int]] = {}
        for record, index in by_layer[layer]:
            seen.setdefault((record["start"], record["end"], content_key(record, layer)), (record, index))
        kept = list(seen.values())
        edges = {edge for span in spans for edge in span}
        crossing = [(r, i) for r, i in kept if any(r["start"] < edge < r["end"] for edge in edges)]  # what may hold a cut view
        out[layer] = [record for record, index in kept if not _seen_cut(record, index, crossing, spans)] + left_as_text[layer]
    return out


def _seen_cut(record: dict, index: int, crossing: list[tuple[dict, int]], spans: list[Span]) -> bool:
    """Whether a longer record of another chunk holds this one and runs past this one's chunk."""
    start, end = spans[index]
    return any(i != index and other["start"] <= record["start"] and record["end"] <= other["end"]
               and (other["start"] < start or other["end"] > end) for other, i in crossing)


def ask_in_chunks(doc_id: str, text: str, max_chars: int, ask: Callable[[str, Span | None], dict]) -> dict:
    """The document's prediction: ``ask(text, None)`` when it is at most max_chars long, else
    ``ask(chunk_text, (start, end))`` for each chunk in order, merged (module docstring)."""
    spans = chunk_spans(text, max_chars)
    if len(spans) == 1:
        return ask(text, None)
    return merge_chunk_answers(doc_id, text, spans, [ask(text[start:end], (start, end)) for start, end in spans])
