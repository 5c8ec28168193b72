"""Scoring rules of issue 19: a pronoun is judged where it stands (7); nothing predicted is zero (8)."""

from __future__ import annotations

import json

import pytest

from newsclaims.eval.gold import load_gold_data
from newsclaims.eval.scoring import NOT_PREDICTED, score

DOC = "004_d0ac60c4e534b1bf"  # two quotes whose gold speakers are both "He": Sybiha's and Yermak's


@pytest.fixture(scope="module")
def gold():
    return load_gold_data()


def gold_quote(gold, speaker_id: str) -> dict:
    return next(q for q in gold.layers["quotes"][DOC] if q["speaker_id"] == speaker_id and q["speaker"]["text"] == "He")


def speaker_right(gold, quote: dict, speaker) -> bool:
    prediction = {"start": quote["start"], "end": quote["end"], "type": quote["type"], "speaker": speaker}
    result = score(gold, {DOC: {"doc_id": DOC, "quotes": [prediction]}}, ("quotes",), resamples=10).layers["quotes"]
    assert result["speaker_accuracy"]["total"] == 1
    return result["speaker_accuracy"]["right"] == 1


# --- 7. A pronoun is judged where it stands ------------------------------------------------------------

def test_a_pronoun_is_right_at_the_gold_speaker_span_only(gold):
    sybiha, yermak = gold_quote(gold, "andrii_sybiha"), gold_quote(gold, "andriy_yermak")
    own, other = sybiha["speaker"], yermak["speaker"]
    assert own["text"] == other["text"] and own["start"] != other["start"]
    assert speaker_right(gold, sybiha, {"start": own["start"], "end": own["end"]})
    assert not speaker_right(gold, sybiha, {"start": other["start"], "end": other["end"]})  # Yermak's "He"
    assert not speaker_right(gold, yermak, {"start": own["start"], "end": own["end"]})
    assert not speaker_right(gold, sybiha, "He")  # a bare pronoun names nobody
    assert not speaker_right(gold, sybiha, "he")


def test_a_speaker_is_right_through_the_knowledge_base_names_anywhere(gold):
    sybiha = gold_quote(gold, "andrii_sybiha")
    name = gold.kb["andrii_sybiha"]["name"]
    assert name in gold.texts[DOC]
    assert speaker_right(gold, sybiha, name)
    assert speaker_right(gold, sybiha, {"text": name})  # placed wherever the name occurs nearest


def test_a_source_given_as_its_gold_text_elsewhere_is_wrong(gold):
    doc = "000_956b89daf0f4f269"
    claim = next(c for c in gold.layers["numeric_claims"][doc] if c["source"] and c["source"]["text"] == "The NSC spokesperson")
    base = {k: claim[k] for k in ("start", "end", "value", "unit", "approx")}

    def source_right(source) -> bool:
        result = score(gold, {doc: {"doc_id": doc, "numeric_claims": [{**base, "source": source}]}}, ("numeric_claims",),
                       resamples=10).layers["numeric_claims"]
        return result["source_accuracy"]["right"] == 1

    assert source_right({"start": claim["source"]["start"], "end": claim["source"]["end"]})
    assert not source_right("The NSC spokesperson")  # the gold span's text is a description, not a name


# --- 8. Nothing predicted is zero ------------------------------------------------------------------------

def test_empty_lists_score_every_gold_label_zero(gold):
    predictions = {d: {"doc_id": d, "entities": [], "quotes": [], "numeric_claims": []} for d in gold.texts}
    layers = score(gold, predictions, resamples=10).layers
    entities = layers["entities"]
    for name in ("exact", "partial"):  # blind to the type: no per-label view (report_version 3)
        assert entities["schemes"][name]["micro"]["f1"] == 0.0
    for name in ("strict", "type"):
        scheme = entities["schemes"][name]
        assert scheme["macro_f1"] == 0.0
        assert set(scheme["per_label"]) == {m["label"] for d in gold.texts for m in gold.layers["entities"][d]}
        assert all(counts["f1"] == 0.0 for counts in scheme["per_label"].values())
    assert entities["linking_matched_mentions"] != NOT_PREDICTED
    quotes = layers["quotes"]
    assert quotes["content"]["macro_f1_over_types"] == 0.0
    assert all(counts["f1"] == 0.0 for counts in quotes["content"]["per_type_exact_span"].values())
    for field in ("speaker_accuracy", "type_accuracy", "cue", "quote_group_bcubed"):
        assert quotes[field] != NOT_PREDICTED  # nothing to score: null numbers, not "not predicted"
    claims = layers["numeric_claims"]
    assert claims["span"]["macro_f1_over_approx"] == 0.0
    for field in ("value_accuracy", "unit_accuracy", "approx_accuracy", "source_accuracy", "claim_group_bcubed"):
        assert claims[field] != NOT_PREDICTED


def test_one_empty_line_predicts_the_layer_and_every_field(gold):
    first = sorted(gold.texts)[0]
    predictions = {d: {"doc_id": d} for d in gold.texts}
    predictions[first]["entities"] = []
    entities = score(gold, predictions, ("entities",), resamples=10).layers["entities"]
    assert entities["main"]["value"] == 0.0
    assert entities["schemes"]["strict"]["macro_f1"] == 0.0


def test_records_without_a_label_are_still_not_predicted_per_label(gold):
    predictions = {d: {"doc_id": d, "entities": [{"start": m["start"], "end": m["end"]} for m in gold.layers["entities"][d]]}
                   for d in gold.texts}
    entities = score(gold, predictions, ("entities",), resamples=10).layers["entities"]
    assert entities["schemes"]["strict"]["macro_f1"] == NOT_PREDICTED
    assert entities["schemes"]["exact"]["micro"]["f1"] == 1.0


def test_a_predictions_file_of_empty_lists_scores_zero(gold, cli, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("".join(json.dumps({"doc_id": d, "entities": [], "quotes": []}) + "\n" for d in sorted(gold.texts)))
    out = tmp_path / "run"
    assert cli("eval", "--predictions", path, "--output", out).code == 0
    layers = json.loads((out / "report.json").read_text())["layers"]
    assert layers["entities"]["schemes"]["strict"]["macro_f1"] == 0.0
    assert layers["quotes"]["content"]["macro_f1_over_types"] == 0.0
    assert layers["numeric_claims"] == NOT_PREDICTED


# --- 1. Quote and claim pairs share enough tokens -----------------------------------------------------

@pytest.mark.parametrize("predicted, paired", [
    ("10,000", True), ("about 10,000", True), ("about 10,000 North", True),  # token F1 1, 2/3, 1/2
    ("about 10,000 North Korean", False), ("0,0", True), ("North Korean troops", False),  # 2/5; the same token; none shared
])
def test_a_one_token_claim_pairs_with_at_most_three_tokens_around_it(predicted, paired):
    from newsclaims.matching import SpanArrays, candidates

    text = "Officials said about 10,000 North Korean troops had arrived."
    gold_start = text.index("10,000")
    start = text.index(predicted)
    gold = SpanArrays.of([0], [gold_start], [gold_start + len("10,000")], [-1])
    pred = SpanArrays.of([0], [start], [start + len(predicted)], [-1])
    assert len(candidates(gold, pred)[0]) == (predicted != "North Korean troops")  # without texts: one shared character
    assert len(candidates(gold, pred, [text])[0]) == paired
