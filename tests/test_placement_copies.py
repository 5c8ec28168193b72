"""Placing text-only records (eval/spans.py): copies are repeated mentions, null is not given, and
surplus copies count once with a warning (issue 19, items 3 and 4)."""

from __future__ import annotations

import json

import pytest

from newsclaims.eval.gold import load_gold_data
from newsclaims.eval.scoring import score

from test_scoring import gold_predictions, synthetic_gold

TEXT = "Biden met Rutte in Russia. Russia said no; Russia, again." + " " * 43


def entity(start: int, end: int, entity_id: str, label: str = "GPE") -> tuple[str, dict]:
    return ("d1", {"start": start, "end": end, "text": TEXT[start:end], "label": label, "entity_id": entity_id})


@pytest.fixture(scope="module")
def gold():
    return load_gold_data()


def entities_main(gold_data, records: list[dict]):
    scores = score(gold_data, {"d1": {"doc_id": "d1", "entities": records}})
    return scores.main("entities"), scores.warnings


BIDEN = synthetic_gold(entities=[entity(0, 5, "joe_biden", "PERSON")], text=TEXT)
RUSSIA = synthetic_gold(entities=[entity(19, 25, "russia"), entity(27, 33, "russia"), entity(43, 49, "russia")], text=TEXT)


@pytest.mark.parametrize("null_field", ["entity_id", "occurrence", "label", "id"])
def test_a_copy_with_a_null_field_is_the_same_record(null_field):
    """Fails on 0.5.0: the copy with a null counted as a second prediction (F1 0.667)."""
    base = {k: v for k, v in {"text": "Biden", "label": "PERSON", "entity_id": "joe_biden"}.items() if k != null_field}
    main, warnings = entities_main(BIDEN, [base, {**base, null_field: None}])
    alone, _ = entities_main(BIDEN, [base])
    assert main["predicted"] == 1 and main == alone
    assert null_field == "label" or main["value"] == 1.0
    assert len(warnings) == 1 and "entities: 1 copies of text-only records" in warnings[0]


def test_a_quote_copy_with_null_fields_is_the_same_record():
    text = "He said we will win the war. " + " " * 71
    quote = {"start": 8, "end": 27, "text": text[8:27], "type": "indirect", "speaker": None, "speaker_id": "a", "cue": None,
             "quote_group": None}
    g = synthetic_gold(quotes=[("d1", quote)], text=text)
    records = [{"text": "we will win the war", "speaker_id": "a"},
               {"text": "we will win the war", "speaker_id": "a", "cue": None, "speaker": None, "quote_group": None}]
    main = score(g, {"d1": {"doc_id": "d1", "quotes": records}}).main("quotes")
    assert (main["tp"], main["predicted"]) == (1, 1)


def test_russia_listed_three_times_is_three_mentions():
    """An LLM listing "Russia" once per mention: each copy takes the next occurrence (0.5.0: one of three)."""
    main, warnings = entities_main(RUSSIA, [{"text": "Russia", "label": "GPE", "entity_id": "russia"}] * 3)
    assert (main["tp"], main["predicted"], main["gold"]) == (3, 3, 3)
    assert warnings == []


def test_copies_beyond_the_occurrences_count_once_and_are_warned_about():
    main, warnings = entities_main(RUSSIA, [{"text": "Russia", "label": "GPE", "entity_id": "russia"}] * 5)
    assert (main["tp"], main["predicted"]) == (3, 3)
    assert warnings == ["warning: entities: 2 copies of text-only records beyond the text's occurrences were counted once "
                        "(1 document)"]


def test_a_text_that_does_not_occur_is_one_wrong_prediction_however_many_copies():
    main, _ = entities_main(BIDEN, [{"text": "Biden", "label": "PERSON"}] + [{"text": "Obama", "label": "PERSON"}] * 4)
    assert (main["tp"], main["predicted"]) == (1, 2)


def test_a_shorter_text_is_not_placed_inside_a_longer_mention_while_it_stands_alone():
    text = "Joe Biden spoke. Biden left." + " " * 72
    g = synthetic_gold(entities=[("d1", {"start": 0, "end": 9, "text": "Joe Biden", "label": "PERSON", "entity_id": "b"}),
                                 ("d1", {"start": 17, "end": 22, "text": "Biden", "label": "PERSON", "entity_id": "b"})], text=text)
    for records in ([{"text": "Biden", "label": "PERSON", "entity_id": "b"}, {"text": "Joe Biden", "label": "PERSON", "entity_id": "b"}],
                    [{"text": "Joe Biden", "label": "PERSON", "entity_id": "b"}, {"text": "Biden", "label": "PERSON", "entity_id": "b"}]):
        main = score(g, {"d1": {"doc_id": "d1", "entities": records}}).main("entities")
        assert main["value"] == 1.0


def as_text(gold_data, layers=("entities",)) -> dict:
    """The packaged gold fed back with every span (and speaker, cue, source) as text without occurrence."""
    preds = gold_predictions(gold_data, list(layers))
    for d, line in preds.items():
        text = gold_data.texts[d]
        for layer in layers:
            for r in line[layer]:
                r["text"] = text[r.pop("start"):r.pop("end")]
    return preds


def test_the_gold_fed_back_as_text_scores_entities_at_least_0_99(gold):
    """0.5.0: 0.605 (190 gold mentions missed, no warning)."""
    main = score(gold, as_text(gold), ["entities"], resamples=10).main("entities")
    assert main["value"] >= 0.99


def test_the_surplus_warning_reaches_the_terminal_and_report_json(gold, cli, tmp_path):
    preds = as_text(gold)
    first = next(iter(preds.values()))
    first["entities"] += [dict(first["entities"][0]) for _ in range(400)]  # far more copies than occurrences
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in preds.values()))
    result = cli("eval", "--predictions", path, "--layers", "entities", "--output", tmp_path / "out")
    assert result.code == 0
    warned = [line for line in result.err_lines if "copies of text-only records beyond the text's occurrences" in line]
    assert len(warned) == 1 and warned[0].startswith(f"{path}: warning: entities: ")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert warned[0] in report["warnings"]
    assert report["main_scores"]["entities"]["value"] >= 0.99
