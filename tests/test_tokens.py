"""Tokenisation and BIO tags: properties over random texts and spans."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsclaims.tokens import bio_tags, spans_from_bio, tokenize

TEXT = st.text(alphabet=st.sampled_from(list("ab1,.’“” \n\u00a0-") + ["\U0001F1F0", "é"]), max_size=60)


@st.composite
def text_and_spans(draw):
    text = draw(TEXT)
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=8))))
    spans = []
    for start, end in zip(cuts[::2], cuts[1::2]):
        stripped = text[start:end]
        lead = len(stripped) - len(stripped.lstrip())
        trail = len(stripped) - len(stripped.rstrip())
        if end - trail > start + lead:
            spans.append((start + lead, end - trail, draw(st.sampled_from(["PERSON", "GPE", "DATE"]))))
    return text, spans


@given(TEXT)
def test_tokens_cover_every_non_space_character_once(text):
    spans = tokenize(text)
    covered = [i for s, e in spans for i in range(s, e)]
    assert covered == [i for i, ch in enumerate(text) if not ch.isspace()]
    assert all(not text[s:e].isspace() and s < e for s, e in spans)


@settings(max_examples=300)
@given(text_and_spans())
def test_bio_round_trip_is_exact(case):
    text, entities = case
    spans = tokenize(text, [b for s, e, _ in entities for b in (s, e)])
    tags = bio_tags(spans, entities)
    assert spans_from_bio(spans, tags) == entities


def test_worked_example():
    text = "Joe Biden’s 10,000 troops"
    spans = tokenize(text, [0, 9])
    assert [text[s:e] for s, e in spans] == ["Joe", "Biden", "’", "s", "10,000", "troops"]
    assert bio_tags(spans, [(0, 9, "PERSON")]) == ["B-PERSON", "I-PERSON", "O", "O", "O", "O"]


def test_boundary_inside_a_token_splits_it():
    text = "Ukraine-Russia"
    spans = tokenize(text, [0, 7, 8, 14])
    assert bio_tags(spans, [(0, 7, "GPE"), (8, 14, "GPE")]) == ["B-GPE", "O", "B-GPE"]
    joined = "NorthKorea"
    assert [joined[s:e] for s, e in tokenize(joined, [5])] == ["North", "Korea"]
