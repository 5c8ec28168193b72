"""The adjudicated gold: complete against the raw text, consistent, and documented by generated files."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from conftest import REPO
from newsclaims.corpus import load_annotation_set, load_corpus
from newsclaims.coverage import load_waivers, number_mentions, quoted_spans, uncovered_numbers, unquoted_marks
from newsclaims.agreement import adjudication_markdown, agreement, agreement_markdown, disagreements
from newsclaims.labels import LAYERS

ANNOTATIONS = REPO / "annotations"
PASSES = ("a", "b")


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(REPO / "seeds")


@pytest.fixture(scope="module")
def gold(corpus):
    return load_annotation_set(ANNOTATIONS, corpus)


@pytest.fixture(scope="module")
def passes(corpus):
    return [load_annotation_set(ANNOTATIONS / "passes" / p, corpus) for p in PASSES]


def test_every_document_is_annotated_in_every_layer(gold):
    for doc_id, doc in gold.documents.items():
        for layer in LAYERS:
            assert doc[layer], f"{doc_id} has no {layer}"


def test_every_quotation_mark_pair_encloses_a_direct_quote(corpus, gold):
    assert unquoted_marks(corpus, gold) == []


def test_every_number_is_a_numeric_claim_or_a_date(corpus, gold):
    assert uncovered_numbers(corpus, gold) == []


def test_waivers_are_not_stale(corpus, gold):
    """A waiver points at a real mark pair or number that the gold indeed leaves unannotated."""
    data = json.loads((ANNOTATIONS / "waivers.json").read_text("utf-8"))
    for kind, finder in (("quote_marks", quoted_spans), ("numbers", number_mentions)):
        for w in data[kind]:
            text = corpus.documents[w["doc_id"]].text
            assert text[w["start"]:w["end"]] == w["text"]
            assert (w["start"], w["end"]) in finder(text), w
    assert load_waivers(ANNOTATIONS)  # schema-valid


def test_knowledge_base_lists_every_alias_seen(gold):
    for _, mention in gold.records("entities"):
        if mention["entity_id"]:
            assert mention["text"] in gold.kb[mention["entity_id"]]["aliases"], mention


def test_every_registry_entry_is_used(gold):
    used_groups = {r["claim_group"] for _, r in gold.records("numeric_claims")}
    assert used_groups == set(gold.claim_groups)
    used_quote_groups = {r["quote_group"] for _, r in gold.records("quotes")} - {None}
    assert used_quote_groups == set(gold.quote_groups)
    for group in gold.quote_groups:
        docs = {doc_id for doc_id, r in gold.records("quotes") if r["quote_group"] == group}
        assert len(docs) >= 2, f"quote group {group} is reported in one article only"
    referenced = {r["entity_id"] for _, r in gold.records("entities")}
    referenced |= {r["speaker_id"] for _, r in gold.records("quotes")}
    referenced |= {r["source_id"] for _, r in gold.records("numeric_claims")}
    assert set(gold.kb) <= referenced


def test_conflicting_figures_are_kept(gold):
    """The articles disagree on the number of troops; the gold keeps every figure."""
    troops = {r["value"] for _, r in gold.records("numeric_claims") if r["claim_group"] == "nk_troops_in_russia"}
    assert {10000, 3000, 1500} <= troops


def test_agreement_file_is_current(passes):
    expected = agreement_markdown(agreement(*passes),
                                  "newsclaims agree annotations/passes/a annotations/passes/b --write annotations/AGREEMENT.md")
    assert (ANNOTATIONS / "AGREEMENT.md").read_text("utf-8") == expected + "\n"


def test_adjudication_log_covers_every_disagreement_and_correction(passes, gold):
    from newsclaims.agreement import agreed_corrections, correction_key, disagreement_key

    entries = disagreements(*passes, gold)
    corrections = agreed_corrections(*passes, gold)
    decisions = json.loads((ANNOTATIONS / "adjudication_rules.json").read_text("utf-8"))
    text, missing = adjudication_markdown(entries, corrections, decisions,
                                          "newsclaims adjudicate annotations/passes/a annotations/passes/b")
    assert missing == []
    expected_keys = {disagreement_key(e) for e in entries} | {correction_key(e) for e in corrections}
    assert set(decisions["decisions"]) == expected_keys  # no stale decisions
    assert set(decisions["decisions"].values()) <= set(decisions["rules"])
    assert (ANNOTATIONS / "ADJUDICATION.md").read_text("utf-8") == text
    assert Counter(e["gold_sides_with"] for e in entries)  # there were disagreements to adjudicate
