"""Agreement numbers on a hand-built pair of annotation sets, worked out by hand."""

from __future__ import annotations

import json

import pytest

from conftest import MINI
from newsclaims.corpus import load_annotation_set, load_corpus
from newsclaims.agreement import agreement


@pytest.fixture
def second_pass(mini_copy):
    """The mini gold with deliberate disagreements in mini_a."""
    path = mini_copy / "annotations" / "gold" / "mini_a.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["entities"][1].update(start=16, text="Biden")                  # Joe Biden -> Biden: overlap, not strict
    doc["entities"][0].update(label="GPE")                             # unchanged label
    del doc["entities"][2]                                             # Monday missed
    doc["quotes"][1].update(speaker_id="washington_dc")                # wrong speaker id, same span
    doc["numeric_claims"][0].update(value=10000.000001, unit="soldier")  # same value within 1e-6, other unit
    path.write_text(json.dumps(doc, ensure_ascii=False))
    return mini_copy


def test_agreement_by_hand(second_pass):
    corpus = load_corpus(MINI / "seeds")
    report = agreement(load_annotation_set(MINI / "annotations", corpus),
                       load_annotation_set(second_pass / "annotations", corpus))["layers"]
    ent = report["entities"]
    # A has 8 mentions, B has 7; strict: 6 identical; overlap: 7 (Joe Biden ~ Biden).
    assert (ent["count_a"], ent["count_b"], ent["strict_matched"], ent["overlap_matched"]) == (8, 7, 6, 7)
    assert ent["strict_f1"] == pytest.approx(2 * 6 / 15)
    assert ent["overlap_f1"] == pytest.approx(2 * 7 / 15)
    assert ent["label_accuracy"] == 1.0 and ent["entity_id_accuracy"] == 1.0
    quotes = report["quotes"]
    assert quotes["strict_f1"] == 1.0
    assert quotes["speaker_id_accuracy"] == pytest.approx(3 / 4)
    assert quotes["type_accuracy"] == 1.0 and quotes["cue_accuracy"] == 1.0
    claims = report["numeric_claims"]
    assert claims["value_accuracy"] == 1.0 and claims["unit_accuracy"] == pytest.approx(1 / 2)


def test_agreement_of_a_set_with_itself_is_perfect():
    corpus = load_corpus(MINI / "seeds")
    ann = load_annotation_set(MINI / "annotations", corpus)
    for numbers in agreement(ann, ann)["layers"].values():
        assert all(v == 1.0 for k, v in numbers.items() if k.endswith(("_f1", "_accuracy")))


def test_units_agree_by_the_rule_scoring_judges_them_by(mini_copy):
    """"Troops" and "troop" are one unit to scoring (``newsclaims.normalise.same_unit``), so to agreement too."""
    path = mini_copy / "annotations" / "gold" / "mini_a.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["numeric_claims"][0].update(unit="Troops")
    path.write_text(json.dumps(doc, ensure_ascii=False))
    corpus = load_corpus(MINI / "seeds")
    report = agreement(load_annotation_set(MINI / "annotations", corpus), load_annotation_set(mini_copy / "annotations", corpus))
    assert report["layers"]["numeric_claims"]["unit_accuracy"] == 1.0
