"""Placement forgives typography, never content (eval/spans.py, issue 22 item 1): whitespace runs,
quotes and apostrophes, dashes and a word broken over a line; exact text first; report.json counts."""

from __future__ import annotations

import json

import pytest

from newsclaims.eval.gold import load_gold_data
from newsclaims.eval.scoring import score
from newsclaims.eval.spans import DocumentText, align_document

from test_scoring import gold_predictions, numbers

STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
SEED_000 = "000_956b89daf0f4f269"


@pytest.fixture(scope="module")
def gold():
    return load_gold_data()


def as_text(gold_data, typeset=lambda s: s) -> dict:
    """The packaged gold fed back with every span, speaker, cue and source as text (typeset by ``typeset``)."""
    preds = gold_predictions(gold_data)
    for d, line in preds.items():
        text = gold_data.texts[d]
        for records in (line[layer] for layer in ("entities", "quotes", "numeric_claims")):
            for r in records:
                r["text"] = typeset(text[r.pop("start"):r.pop("end")])
                for name in ("speaker", "cue", "source"):
                    if isinstance(r.get(name), dict):
                        r[name] = {"text": typeset(text[r[name]["start"]:r[name]["end"]])}
    return preds


def plain(text: str) -> str:
    """What a model writes: a space for every line break, straight quotes for curly ones."""
    return text.replace("\n", " ").translate(STRAIGHT)


def test_the_gold_typed_plainly_scores_exactly_as_the_gold_verbatim(gold):
    """Before issue 22: 25 of the 85 quotes unplaced (quotes main F1 0.694 against 0.988 verbatim)."""
    verbatim, plainly = (score(gold, as_text(gold, typeset), resamples=50) for typeset in (lambda s: s, plain))
    assert plainly.flat() == verbatim.flat()
    assert numbers(plainly) == numbers(verbatim)  # error lists too: the placed spans are the seed's characters
    assert all(c["records"]["unplaced"] == 0 for c in plainly.placement.values())
    assert plainly.placement["quotes"]["records"] == {"offsets": 0, "exact": 60, "normalised": 25, "unplaced": 0}
    assert verbatim.placement["quotes"]["records"] == {"offsets": 0, "exact": 85, "normalised": 0, "unplaced": 0}
    for layer, counts in verbatim.placement.items():
        for kind, c in counts.items():
            assert c["exact"] == plainly.placement[layer][kind]["exact"] + plainly.placement[layer][kind]["normalised"]


def places(text: str, needle: str) -> list[str]:
    found, _ = DocumentText(text).places(needle)
    return [text[s:e] for s, e in found]


@pytest.mark.parametrize("text, needle, placed", [
    ("they are co-belligerents in", "co–belligerents", "co-belligerents"),  # an en dash for a hyphen
    ("from 10–12 October", "10-12", "10–12"),
    ("WASHINGTON — The Pentagon", "WASHINGTON - The", "WASHINGTON — The"),
    ("about Russia’s intentions", "Russia's intentions", "Russia’s intentions"),  # an apostrophe
    ("as a “sign of weakness.”", 'a "sign of weakness."', "a “sign of weakness.”"),  # double quotes
    ("Concerns\n\n\xa0\n\nRecent reports", "Concerns Recent", "Concerns\n\n\xa0\n\nRecent"),  # one run, one space
    ("their sovereign t\nerritory and", "sovereign territory", "sovereign t\nerritory"),  # the broken word, joined
    ("their sovereign t\nerritory and", "sovereign t erritory", "sovereign t\nerritory"),  # or read as a space
    ("to co-\noperate now", "cooperate", "co-\noperate"),  # hyphen + line break: the joined word
    ("to co-\noperate now", "co-operate", "co-\noperate"),
    ("echoed these concerns\nduring a press", "concerns during a", "concerns\nduring a"),
])
def test_typography_is_forgiven(text, needle, placed):
    assert places(text, needle) == [placed]


@pytest.mark.parametrize("text, needle", [
    ("their sovereign t\nerritory and", "Sovereign territory"),  # no case folding
    ("their sovereign t\nerritory and", "sovereign ter率itory"),  # a changed letter
    ("their sovereign t\nerritory and", "sovereign teritory"),  # a letter missing: no edit distance
    ("about Russia’s intentions", "Russias intentions"),  # an apostrophe is not nothing
    ("North Korea\nOver 10,000", "KoreaOver"),  # a line break before a capital is no broken word
    ("a\n\nb", "ab"),  # nor a blank line
    ("the Russian’s view", "Russia's"),  # the word-boundary rule holds through normalisation
])
def test_content_is_not_forgiven(text, needle):
    assert places(text, needle) == []


def test_exact_text_is_tried_first():
    text = "Russia's army and Russia’s navy"
    assert places(text, "Russia's") == ["Russia's"]  # the exact occurrence only
    assert places(text, "Russia’s") == ["Russia’s"]
    assert places(text, "Russia‘s") == ["Russia's", "Russia’s"]  # no exact one: both, modulo typography
    assert DocumentText(text).places("Russia's") == ([(0, 8)], False)
    assert DocumentText(text).places("Russia‘s") == ([(0, 8), (18, 26)], True)


def test_occurrence_and_copies_count_normalised_occurrences(gold):
    text = "Kyiv’s army. Kyiv’s navy. Kyiv’s air force."
    records = [{"text": "Kyiv's", "label": "GPE"}] * 2 + [{"text": "Kyiv's", "label": "ORG", "occurrence": 2}]
    aligned = align_document({"entities": records}, text)["entities"]
    assert sorted((r["start"], r["text"], r["label"]) for r in aligned.records) == [(0, "Kyiv’s", "GPE"), (13, "Kyiv’s", "GPE"),
                                                                                   (26, "Kyiv’s", "ORG")]
    assert dict(aligned.placed_by) == {"normalised": 3, "unplaced": 0}


def test_speaker_cue_and_source_are_placed_modulo_typography():
    text = "Pentagon’s Deputy Press Secretary Sabrina Singh echoed these concerns\nduring a press briefing."
    quote = {"text": "these concerns during a press briefing", "speaker": {"text": "Pentagon's Deputy Press Secretary"},
             "cue": {"text": "echoed"}}
    aligned = align_document({"quotes": [quote]}, text)["quotes"]
    (placed,) = aligned.records
    assert placed["text"] == "these concerns\nduring a press briefing"
    assert placed["speaker"] == {"start": 0, "end": 33, "text": "Pentagon’s Deputy Press Secretary"}
    assert dict(aligned.placed_by) == {"normalised": 1, "unplaced": 0}
    assert dict(aligned.attributions_placed_by) == {"normalised": 1, "exact": 1}


def test_the_typographic_view_is_built_once_per_document(gold, monkeypatch):
    calls = []
    original = DocumentText.view

    def counted(self):
        calls.append(self._view is None)
        return original(self)

    monkeypatch.setattr(DocumentText, "view", counted)
    line = as_text(gold, plain)[SEED_000]
    align_document(line, gold.texts[SEED_000])
    assert len(calls) > 1 and calls.count(True) == 1  # seven records of seed 000 need it; one view


def test_report_json_counts_how_records_were_placed(gold, cli, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in as_text(gold, plain).values()))
    assert cli("eval", "--predictions", path, "--output", tmp_path / "out", "--resamples", "10").code == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["placement"]["quotes"]["records"] == {"offsets": 0, "exact": 60, "normalised": 25, "unplaced": 0}
    assert report["placement"]["entities"] == {"records": {"offsets": 0, "exact": 344, "normalised": 0, "unplaced": 0}}
    assert report["placement"]["numeric_claims"]["speaker_cue_source"]["unplaced"] == 0
