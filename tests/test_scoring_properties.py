"""Properties no number may break (eval/scoring.py, "Order and duplicates"; issue 19, items 5 and 6):
renaming predicted ids by a bijection, permuting gold or predictions, and adding a contradicting
duplicate (a hedge) never raise a number; the issue's concrete cases, each failing on 0.5.0."""

from __future__ import annotations

import copy
import random

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from newsclaims.eval.gold import GoldData, load_gold_data
from newsclaims.eval.scoring import NOT_PREDICTED, score

from test_scoring import _claim, _quote, gold_predictions, synthetic_gold

CLUSTER_IDS = ("entity_id", "quote_group", "claim_group")  # any string: only the clustering is scored
JUDGED_IDS = ("speaker_id", "source_id")  # judged against the gold id: renamed among invented ids only
INVENTED = [f"invented_{i}" for i in range(6)]
SEEDS = st.integers(0, 2**32)
# numbers that a better prediction raises (counts of predictions or errors may rise with a duplicate)
SCORES = {"f1", "precision", "recall", "accuracy", "value", "right", "tp", "correct", "macro_f1", "macro_f1_over_types",
          "macro_f1_over_approx", "shared_tokens"}


@pytest.fixture(scope="module")
def gold():
    return load_gold_data()


def run(gold_data, preds) -> dict:
    return score(gold_data, preds, resamples=20).flat()


def noisy_predictions(gold_data, seed: int):
    """The gold with records dropped, shifted, mislabelled, given wrong or invented ids and clusters;
    and the random source that made them, for what a test does next."""
    preds = gold_predictions(gold_data)
    rnd = random.Random(seed)
    for line in preds.values():
        for layer in ("entities", "quotes", "numeric_claims"):
            kept = []
            for r in line[layer]:
                roll = rnd.random()
                if roll < 0.1:
                    continue
                if roll < 0.2 and r["end"] - r["start"] > 2:
                    r["start"] += 1
                if rnd.random() < 0.2:
                    r[{"entities": "entity_id", "quotes": "quote_group", "numeric_claims": "claim_group"}[layer]] = rnd.choice(INVENTED)
                if layer == "entities" and rnd.random() < 0.1:
                    r["label"] = rnd.choice(["PERSON", "ORG", "GPE"])
                if layer == "quotes" and rnd.random() < 0.15:
                    r["speaker_id"] = rnd.choice(INVENTED)
                if layer == "numeric_claims" and rnd.random() < 0.15:
                    r["source_id"] = rnd.choice(INVENTED)
                kept.append(r)
            line[layer] = kept
    return preds, rnd


def renamed(preds: dict, rnd: random.Random) -> dict:
    """Every cluster id through one bijection, and the invented speaker/source ids through another."""
    values = sorted({r[f] for line in preds.values() for layer in ("entities", "quotes", "numeric_claims")
                     for r in line[layer] for f in CLUSTER_IDS if r.get(f) is not None})
    clusters = dict(zip(values, rnd.sample([f"z{i:04d}" for i in range(len(values))], len(values))))
    invented = dict(zip(INVENTED, rnd.sample(INVENTED, len(INVENTED))))
    out = copy.deepcopy(preds)
    for line in out.values():
        for layer in ("entities", "quotes", "numeric_claims"):
            for r in line[layer]:
                for f in CLUSTER_IDS:
                    if r.get(f) is not None:
                        r[f] = clusters[r[f]]
                for f in JUDGED_IDS:
                    if r.get(f) in invented:
                        r[f] = invented[r[f]]
    return out


def contradicting(r: dict, layer: str, rnd: random.Random) -> dict:
    """A copy of a record, same span, differing in one or more judged fields."""
    other = copy.deepcopy(r)
    changes = {"entities": [("label", ["PERSON", "ORG", "GPE", "NORP"]), ("entity_id", INVENTED + ["joe_biden"])],
               "quotes": [("type", ["direct", "indirect"]), ("speaker_id", INVENTED + ["joe_biden", "mark_rutte"]),
                          ("quote_group", INVENTED), ("cue", [None, {"text": "said"}])],
               "numeric_claims": [("value", [1, 10000, 600000]), ("unit", ["troop", "soldier", "dollar"]),
                                  ("approx", ["exact", "approximate"]), ("source_id", INVENTED + ["author"]),
                                  ("claim_group", INVENTED)]}[layer]
    changes = [(name, [v for v in values if v != r.get(name)]) for name, values in changes]
    changes = [(name, values) for name, values in changes if values]
    for name, values in rnd.sample(changes, rnd.randint(1, len(changes))):
        other[name] = rnd.choice(values)
    return other


def only_one_gold_overlaps(gold_data, doc_id: str, layer: str, r: dict) -> bool:
    """A duplicate of a span that overlaps two gold records (nested quotes) can pair with both: two
    detections, not a hedge (scoring's rule pairs first). The property is about hedges."""
    return sum(g["start"] < r["end"] and r["start"] < g["end"] for g in gold_data.layers[layer][doc_id]) <= 1


def raised(before: dict, after: dict) -> dict:
    return {k: (before.get(k), v) for k, v in after.items() if k.rsplit(".", 1)[-1] in SCORES and isinstance(v, (int, float))
            and isinstance(before.get(k), (int, float)) and v > before[k] + 1e-12}


@pytest.mark.slow
@settings(max_examples=12, deadline=None, derandomize=True, phases=[Phase.generate])  # bounded: no shrinking
@given(st.data())
def test_renaming_predicted_ids_by_a_bijection_changes_no_number(gold, data):
    preds, rnd = noisy_predictions(gold, data.draw(SEEDS))
    with_hedges = copy.deepcopy(preds)
    for line in with_hedges.values():
        for layer in ("entities", "quotes", "numeric_claims"):
            line[layer] += [contradicting(r, layer, rnd) for r in line[layer] if rnd.random() < 0.15]
    for p in (preds, with_hedges):
        assert run(gold, renamed(p, rnd)) == run(gold, p)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, derandomize=True, phases=[Phase.generate])  # bounded: no shrinking
@given(st.data())
def test_adding_contradicting_duplicates_raises_no_number(gold, data):
    preds, rnd = noisy_predictions(gold, data.draw(SEEDS))
    hedged = copy.deepcopy(preds)
    for d, line in hedged.items():
        for layer in ("entities", "quotes", "numeric_claims"):
            line[layer] += [contradicting(r, layer, rnd) for r in line[layer]
                            if rnd.random() < 0.2 and only_one_gold_overlaps(gold, d, layer, r)]
    assert raised(run(gold, preds), run(gold, hedged)) == {}


def permuted_gold(gold_data: GoldData, rnd: random.Random) -> GoldData:
    layers = {layer: {d: rnd.sample(list(records), len(records)) for d, records in by_doc.items()}
              for layer, by_doc in gold_data.layers.items()}
    return GoldData(gold_data.path, dict(rnd.sample(list(gold_data.texts.items()), len(gold_data.texts))), layers,
                    gold_data.kb, gold_data.info)


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True, phases=[Phase.generate])
@given(st.data())
def test_permuting_gold_records_or_predictions_changes_no_number(gold, data):
    preds, rnd = noisy_predictions(gold, data.draw(SEEDS))
    for line in preds.values():
        for layer in ("entities", "quotes", "numeric_claims"):
            line[layer] += [contradicting(r, layer, rnd) for r in line[layer] if rnd.random() < 0.1]
    reference = run(gold, preds)
    shuffled = {d: {**line, **{layer: rnd.sample(line[layer], len(line[layer])) for layer in ("entities", "quotes", "numeric_claims")}}
                for d, line in rnd.sample(list(preds.items()), len(preds))}
    assert run(gold, shuffled) == reference
    assert run(permuted_gold(gold, rnd), preds) == reference


# --- The concrete cases (each fails on 0.5.0) ---------------------------------------------------

TEXT = "Biden met Rutte. " + "x" * 83


def test_renaming_entity_ids_does_not_move_linking():
    """0.5.0: B-cubed 0.667 with ids (p, q), 1.0 with q and p swapped (the tie went to the smaller string)."""
    g = synthetic_gold(entities=[("d1", {"start": 0, "end": 5, "text": "Biden", "label": "PERSON", "entity_id": "a"}),
                                 ("d1", {"start": 10, "end": 15, "text": "Rutte", "label": "PERSON", "entity_id": "b"})], text=TEXT)
    results = []
    for p, q in (("p", "q"), ("q", "p")):
        preds = [{"start": 0, "end": 5, "label": "PERSON", "entity_id": p}, {"start": 0, "end": 5, "label": "PERSON", "entity_id": q},
                 {"start": 10, "end": 15, "label": "PERSON", "entity_id": p}]
        results.append(score(g, {"d1": {"doc_id": "d1", "entities": preds}}).layers["entities"]["linking_matched_mentions"])
    assert results[0] == results[1]
    assert results[0]["bcubed"]["f1"] == pytest.approx(2 / 3)  # the hedge at Biden counts as its worst: merged with Rutte


@pytest.mark.parametrize("groups", [("0", "3"), ("3", "0")])
def test_a_right_and_wrong_value_hedge_is_never_credited(groups):
    """0.5.0: value accuracy 1.0 when the right value's claim_group sorted first ("0"), 0.0 otherwise."""
    g = synthetic_gold(claims=[("d1", _claim(0, 5, 10))])
    preds = [{"start": 0, "end": 5, "value": 10, "unit": "troop", "approx": "exact", "source_id": "author", "claim_group": groups[0]},
             {"start": 0, "end": 5, "value": 11, "unit": "troop", "approx": "exact", "source_id": "author", "claim_group": groups[1]}]
    result = score(g, {"d1": {"doc_id": "d1", "numeric_claims": preds}}).layers["numeric_claims"]
    assert result["value_accuracy"] == {"right": 0, "total": 1, "accuracy": 0.0}
    assert result["main"]["tp"] == 0


def test_an_ignored_name_beside_a_right_id_does_not_raise_speaker_accuracy():
    """0.5.0: a wrong speaker name alone scores 0.0; adding the same quote with the right id beside
    the name (a hedge) raised speaker accuracy to 1.0 and the main score 0.0 -> 0.667."""
    g = synthetic_gold(quotes=[("d1", _quote(0, 10, speaker_id="a"))])
    wrong = {"start": 0, "end": 10, "speaker": "Bob Brown"}
    results = [score(g, {"d1": {"doc_id": "d1", "quotes": preds}}).layers["quotes"]
               for preds in ([wrong], [wrong, {"start": 0, "end": 10, "speaker_id": "a", "speaker": "Bob Brown"}])]
    assert [r["speaker_accuracy"]["accuracy"] for r in results] == [0.0, 0.0]
    assert [r["main"]["value"] for r in results] == [0.0, 0.0]


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_one_sentence_two_speakers_pairs_the_gold_the_prediction_is_right_on(order):
    """Two gold quotes of one span; one prediction right on the second. 0.5.0: speaker, type and cue
    1.0 or 0.0 by the gold's order."""
    quotes = [_quote(0, 10, speaker_id="a", kind="direct", cue=(20, 24), group="g1"),
              _quote(0, 10, speaker_id="b", kind="indirect", cue=(30, 34), group="g2")]
    g = synthetic_gold(quotes=[("d1", quotes[i]) for i in order])
    preds = [{"start": 0, "end": 10, "speaker_id": "b", "type": "indirect", "cue": {"start": 30, "end": 34}}]
    result = score(g, {"d1": {"doc_id": "d1", "quotes": preds}}).layers["quotes"]
    assert (result["speaker_accuracy"]["accuracy"], result["type_accuracy"]["accuracy"], result["cue"]["f1"]) == (1.0, 1.0, 1.0)


def test_two_speakers_predicted_for_two_gold_of_one_span_are_both_right():
    g = synthetic_gold(quotes=[("d1", _quote(0, 10, speaker_id="a")), ("d1", _quote(0, 10, speaker_id="b"))])
    preds = [{"start": 0, "end": 10, "speaker_id": "b", "type": "indirect"}, {"start": 0, "end": 10, "speaker_id": "a", "type": "indirect"}]
    result = score(g, {"d1": {"doc_id": "d1", "quotes": preds}}).layers["quotes"]
    assert result["speaker_accuracy"]["accuracy"] == 1.0 and result["main"]["value"] == 1.0


def test_a_label_hedge_counts_as_its_wrong_label():
    """A mention given as PERSON and as ORG: strict counts it incorrect (0.5.0: correct, F1 0.667)."""
    g = synthetic_gold(entities=[("d1", {"start": 0, "end": 5, "text": "Biden", "label": "PERSON", "entity_id": "a"})], text=TEXT)
    preds = [{"start": 0, "end": 5, "label": "PERSON"}, {"start": 0, "end": 5, "label": "ORG"}]
    result = score(g, {"d1": {"doc_id": "d1", "entities": preds}}).layers["entities"]
    assert result["schemes"]["strict"]["micro"]["correct"] == 0 and result["main"]["value"] == 0.0
    assert result["schemes"]["exact"]["micro"]["correct"] == 1  # exact does not judge the label
    assert result["schemes"]["strict"]["macro_f1"] == 0.0


def test_layers_not_predicted_stay_not_predicted(gold):
    assert score(gold, {d: {"doc_id": d, "entities": []} for d in gold.texts}).layers["quotes"] == NOT_PREDICTED
