"""No strategy of bigger spans, or of borrowed names, pays (issue 19, items 1 and 7).

Each strategy starts from the rules baseline's predictions on the packaged gold (made here from the
gold texts) and must score at most what the scoring docstring's rules allow: a quote or claim pair
needs a token F1 of at least 0.5, and a pronoun is judged where it stands.
"""

from __future__ import annotations

import copy
import re

import pytest

from newsclaims.baselines import rules
from newsclaims.eval.gold import load_gold_data
from newsclaims.eval.scoring import score

SPEAKING_LABELS = ("PERSON", "ORG")


@pytest.fixture(scope="module")
def gold():
    return load_gold_data()


@pytest.fixture(scope="module")
def baseline(gold) -> dict:
    return {d: rules.predict({"doc_id": d, "text": text}) for d, text in gold.texts.items()}


def scored(gold, predictions, layer: str = "quotes") -> dict:
    return score(gold, predictions, (layer,), resamples=10).layers[layer]


def quotes_main(gold, predictions) -> float:
    return scored(gold, predictions)["main"]["value"]


def with_quotes(baseline: dict, make) -> dict:
    """The baseline with each document's quotes replaced by ``make(doc_id, line)``."""
    return {d: {**copy.deepcopy(line), "quotes": make(d, line)} for d, line in baseline.items()}


def sentences(text: str) -> list[tuple[int, int]]:
    ends = [m.end() for m in re.finditer(r"[.!?][\"”’]?\s+", text)]
    bounds = [0, *ends, len(text)]
    return list(zip(bounds[:-1], bounds[1:]))


def test_every_quote_stretched_to_the_whole_document_scores_at_most_half(gold, baseline):
    honest = scored(gold, baseline)

    def whole(d, line):  # distinct quote_groups keep the copies distinct records
        return [{**copy.deepcopy(q), "start": 0, "end": len(gold.texts[d]), "quote_group": f"copy {i}"}
                for i, q in enumerate(line["quotes"])]

    gamed = scored(gold, with_quotes(baseline, whole))
    assert gamed["main"]["value"] <= honest["main"]["value"] / 2  # 0.434 against 0.350 with one shared character
    assert gamed["content"]["overlap"]["f1"] <= honest["content"]["overlap"]["f1"] / 2


def test_every_person_or_org_speaking_the_whole_document_scores_at_most_half(gold, baseline):
    def speakers(d, line):
        mentions = [e for e in line["entities"] if e["label"] in SPEAKING_LABELS]
        return [{"start": 0, "end": len(gold.texts[d]), "type": "indirect", "quote_group": f"speaker {i}",
                 "speaker": {"start": e["start"], "end": e["end"]}} for i, e in enumerate(mentions)]

    gamed = with_quotes(baseline, speakers)
    assert sum(len(line["quotes"]) for line in gamed.values()) > 50
    assert quotes_main(gold, gamed) <= quotes_main(gold, baseline) / 2  # 0.386 with one shared character


def test_stretching_each_quote_to_its_sentences_does_not_gain(gold, baseline):
    def stretched(d, line):
        spans = sentences(gold.texts[d])
        return [{**copy.deepcopy(q), "start": min(s for s, e in spans if e > q["start"]),
                 "end": max(e for s, e in spans if s < q["end"])} for q in line["quotes"]]

    assert quotes_main(gold, with_quotes(baseline, stretched)) <= quotes_main(gold, baseline)


def test_claims_stretched_to_the_whole_document_are_matched_to_nothing(gold, baseline):
    honest = scored(gold, baseline, "numeric_claims")
    gamed = {d: {**copy.deepcopy(line), "numeric_claims": [{**c, "start": 0, "end": len(gold.texts[d]), "claim_group": f"copy {i}"}
                                                           for i, c in enumerate(line["numeric_claims"])]}
             for d, line in baseline.items()}
    result = scored(gold, gamed, "numeric_claims")
    assert result["span"]["overlap"]["f1"] <= honest["span"]["overlap"]["f1"] / 2
    assert result["source_accuracy"]["total"] == 0  # no pair to judge an attribute on


def test_he_as_the_speaker_of_every_quote_without_one_does_not_gain(gold, baseline):
    def with_he(d, line):
        return [{**copy.deepcopy(q), "speaker": q.get("speaker") or "he"} for q in line["quotes"]]

    gamed = with_quotes(baseline, with_he)
    assert sum(q["speaker"] == "he" for line in gamed.values() for q in line["quotes"]) > 10
    assert quotes_main(gold, gamed) <= quotes_main(gold, baseline)  # 0.350 -> 0.364 when the gold text was a name
