"""report.html is drawn from the scored arrays (``report.drawn_spans``), linear in the spans (issue 24.5)."""

from __future__ import annotations

import html
import random

from newsclaims.eval import report


def _reference_highlight(text, gold, pred) -> str:  # the character-by-character drawing it replaces
    cover = [0] * (len(text) + 1)
    for spans, bit in ((gold, 1), (pred, 2)):
        for start, end in spans:
            for i in range(start, min(end, len(text))):
                cover[i] |= bit
    parts, i = [], 0
    classes = {0: None, 1: "gold", 2: "pred", 3: "both"}
    while i < len(text):
        j = i
        while j < len(text) and cover[j] == cover[i]:
            j += 1
        cls = classes[cover[i]]
        parts.append(f'<span class="{cls}">{html.escape(text[i:j])}</span>' if cls else html.escape(text[i:j]))
        i = j
    return "".join(parts)


def test_the_drawing_is_the_character_by_character_one():
    rnd = random.Random(3)
    for _ in range(200):
        text = "".join(rnd.choice("ab <&é") for _ in range(rnd.randint(0, 40)))
        spans = [[(s, s + rnd.randint(0, 9)) for s in (rnd.randrange(max(1, len(text))) for _ in range(rnd.randint(0, 6)))]
                 for _ in range(2)]
        assert report._highlight(text, *spans) == _reference_highlight(text, *spans)


def test_only_the_drawn_documents_are_taken(monkeypatch):
    import numpy as np

    from newsclaims.matching import SpanArrays

    monkeypatch.setattr(report, "MAX_HTML_DOCUMENTS", 2)
    texts = {"c": "cc", "a": "aaaa", "b": "bbb"}
    gold = SpanArrays.of([0, 1, 2], [0, 1, 0], [2, 3, 1], [-1, -1, -1])  # doc: index into sorted doc_ids
    pred = SpanArrays.of([1, 1], [0, 2], [1, 3], [-1, -1])
    drawn = report.drawn_spans({"entities": (gold, pred)}, texts)
    assert list(drawn) == ["a", "b"]
    assert np.array_equal(drawn["a"]["entities"][0], [[0, 2]]) and len(drawn["a"]["entities"][1]) == 0
    assert np.array_equal(drawn["b"]["entities"][1], [[0, 1], [2, 3]])
