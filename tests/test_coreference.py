"""End-to-end coreference (``metrics.coreference_scores``): MUC, B-cubed, CEAF-e and CoNLL F1 over all
gold and predicted mentions, twinless mentions handled as the CoNLL-2012 reference scorer v8.01 handles
them. Checked on the reference scorer's own test cases, on the worked example of Pradhan et al. (2014),
against an independent brute-force implementation and, where installed, against scorch."""

from __future__ import annotations

import itertools
import json
import statistics
from fractions import Fraction
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclaims.eval.metrics import bcubed, ceaf_e, coreference_scores, muc

ROOT = Path(__file__).resolve().parent.parent


def clustering(text: str) -> dict:
    """"{a} {bc} {def}" as item -> cluster: one letter (or capital) one mention, one brace one cluster."""
    return {m: k for k, cluster in enumerate(text.replace("}", "").split("{")[1:]) for m in cluster.strip()}


KEY_A = "{a} {bc} {def}"

# (response, expected (recall, precision, F1) per metric): the reference scorer v8.01's test cases
# (test/CorefMetricTestConfig.pm, key TC-A = {a} {bc} {def}); x, y, z and B are twinless mentions.
REFERENCE_CASES = {
    "A1 perfect": ("{a} {bc} {def}", {"muc": (1, 1, 1), "bcubed": (1, 1, 1), "ceafe": (1, 1, 1)}),
    "A2 missing mentions": ("{a} {de}", {"muc": (1 / 3, 1, 0.5), "bcubed": ((7 / 3) / 6, 1, 14 / 25),
                                         "ceafe": (0.6, 0.9, 0.72)}),
    "A3 false alarms": ("{a} {bcx} {defy} {z}", {"muc": (1, 3 / 5, 0.75), "bcubed": (1, (4 + 7 / 12) / 9, 110 / 163),
                                                 "ceafe": (0.88571, 0.66429, 0.75918)}),
    "A4 missing and false alarms": ("{a} {bcx} {dy} {z}", {
        "muc": (1 / 3, 1 / 3, 1 / 3), "bcubed": ((3 + 1 / 3) / 6, (1 + 4 / 3 + 1 / 2) / 7, 2 * (5 / 9) * (17 / 42) / ((5 / 9) + (17 / 42))),
        "ceafe": (0.73333, 0.55, 0.62857)}),
    "A5 twinless mention in an aligned entity": ("{a} {bcxB} {dy} {z}", {
        "muc": (1 / 3, 1 / 4, 2 / 7), "bcubed": ((3 + 1 / 3) / 6, 2.5 / 8, 2 * (5 / 9) * (5 / 16) / ((5 / 9) + (5 / 16))),
        "ceafe": (0.68889, 0.51667, 0.59048)}),
    "A6 twinless mention in an unaligned entity": ("{a} {bcx} {dy} {Bz}", {
        "muc": (1 / 3, 1 / 4, 2 / 7), "bcubed": ((10 / 3) / 6, (1 + 4 / 3 + 1 / 2) / 8, 2 * (5 / 9) * (17 / 48) / ((5 / 9) + (17 / 48))),
        "ceafe": (0.73333, 0.55, 0.62857)}),
    "A10 gold mentions, only singletons": ("{a} {b} {c} {d} {e} {f}", {"muc": (0, None, 0), "bcubed": (3 / 6, 1, 2 / 3)}),
    "A11 gold mentions, all coreferent": ("{abcdef}", {"muc": (1, 3 / 5, 6 / 8), "bcubed": (1, (1 / 6 + 2 * 2 / 6 + 3 * 3 / 6) / 6, 14 / 25)}),
    "A12 system mentions, only singletons": ("{a} {x} {y} {c} {d} {e} {z}", {
        "muc": (0, None, 0), "bcubed": ((1 + 1 / 2 + 2 / 3) / 6, 4 / 7, 2 * (13 / 36) * (4 / 7) / ((13 / 36) + (4 / 7)))}),
    "A13 system mentions, all coreferent": ("{axycdez}", {
        "muc": (1 / 3, 1 / 6, 2 / 9),
        "bcubed": ((1 + 1 / 2 + 2 * 2 / 3) / 6, (1 / 7 + 1 / 7 + 2 * 2 / 7) / 7, 2 * (17 / 36) * (6 / 49) / ((17 / 36) + (6 / 49)))}),
}

# keys other than TC-A, from the same file: (key, response, metric, expected (recall, precision, F1))
OTHER_REFERENCE_CASES = [
    ("{12345} {67} {89ABC}", "{12345} {6789ABC}", "muc", (1, 9 / 10, 2 * 0.9 / 1.9)),       # D1 (B-cubed paper)
    ("{12345} {67} {89ABC}", "{12345} {6789ABC}", "bcubed", (1, 16 / 21, 2 * (16 / 21) / (1 + 16 / 21))),
    ("{ABCD}", "{AB} {CD}", "muc", (2 / 3, 1, 0.8)),                                         # F1 (MUC paper)
    ("{AB} {CD}", "{ABCD}", "muc", (1, 2 / 3, 0.8)),                                         # G1
    ("{ABCD}", "{ABCD}", "muc", (1, 1, 1)),                                                  # H1
]

FUNCTIONS = {"muc": muc, "bcubed": bcubed, "ceafe": ceaf_e}


def check(result: dict, expected: tuple) -> None:
    r, p, f = expected
    for got, want in ((result["recall"], r), (result["precision"], p), (result["f1"], f)):
        assert got == (None if want is None else pytest.approx(want, abs=5e-5))


@pytest.mark.parametrize("case", list(REFERENCE_CASES))
def test_reference_scorer_cases(case):
    response, expected = REFERENCE_CASES[case]
    for metric, want in expected.items():
        check(FUNCTIONS[metric](clustering(KEY_A), clustering(response)), want)


@pytest.mark.parametrize("key,response,metric,expected", OTHER_REFERENCE_CASES)
def test_reference_scorer_cases_other_keys(key, response, metric, expected):
    check(FUNCTIONS[metric](clustering(key), clustering(response)), expected)


def test_worked_example_of_pradhan_et_al_2014():
    """Key {a,b,c} {d,e,f,g}, response {a,b} {c,d} {f,g,h,i}: e is missed, h and i are invented.
    By hand: MUC R = ((3-2) + (4-3)) / (2+3) = 2/5, P = ((2-1) + (2-2) + (4-3)) / (1+1+3) = 2/5;
    B-cubed R = (5/3 + 5/4) / 7 = 5/12, P = (2 + 1 + 1) / 8 = 1/2; CEAF-e aligns abc-ab (4/5) and
    defg-fghi (1/2): R = 1.3/2, P = 1.3/3."""
    gold = clustering("{abc} {defg}")
    pred = clustering("{ab} {cd} {fghi}")
    s = coreference_scores(gold, pred)
    assert (s["muc_recall"], s["muc_precision"]) == (pytest.approx(2 / 5), pytest.approx(2 / 5))
    assert (s["bcubed_recall"], s["bcubed_precision"]) == (pytest.approx(5 / 12), pytest.approx(1 / 2))
    assert (s["ceafe_recall"], s["ceafe_precision"]) == (pytest.approx(0.65), pytest.approx(1.3 / 3))
    assert s["conll_f1"] == pytest.approx((0.4 + 2 * (5 / 12) * 0.5 / (5 / 12 + 0.5) + 2 * 0.65 * (1.3 / 3) / (0.65 + 1.3 / 3)) / 3)
    assert (s["gold_mentions"], s["predicted_mentions"], s["twin_mentions"]) == (7, 8, 6)
    assert (s["gold_clusters"], s["predicted_clusters"]) == (2, 3)


def test_cross_document_mentions_and_null_entities():
    gold = {("d1", 0, 5): "biden", ("d2", 10, 15): "biden", ("d2", 20, 25): "rutte", ("d1", 30, 34): None}
    pred = {("d1", 0, 5): "P1", ("d2", 10, 15): "P1", ("d2", 20, 25): "P2", ("d2", 40, 44): None}
    s = coreference_scores(gold, pred)
    assert s["conll_f1"] == 1.0 and s["gold_mentions"] == 3 and s["predicted_mentions"] == 3
    split = coreference_scores(gold, {**pred, ("d2", 10, 15): "P3"})  # one document apart: the cross-document link is lost
    assert split["muc_recall"] == 0.0 and split["muc_precision"] is None and split["muc_f1"] == 0.0
    assert split["bcubed_recall"] == pytest.approx((1 / 2 + 1 / 2 + 1) / 3) and split["bcubed_precision"] == 1.0


def test_nothing_predicted_is_zero_and_nothing_at_all_is_none():
    gold = clustering(KEY_A)
    none = coreference_scores(gold, {})
    assert none["muc_f1"] == none["bcubed_f1"] == none["ceafe_f1"] == none["conll_f1"] == 0.0
    assert none["bcubed_precision"] is None and none["bcubed_recall"] == 0.0
    empty = coreference_scores({}, {})
    assert empty["conll_f1"] is None and empty["bcubed_f1"] is None


def test_renaming_cluster_ids_changes_nothing():
    gold, pred = clustering(KEY_A), clustering("{a} {bcx} {dy} {z}")
    renamed = {m: f"other-{c}" for m, c in pred.items()}
    assert coreference_scores(gold, pred) == coreference_scores(gold, renamed)


def test_packaged_gold_against_itself():
    gold = {}
    for line in (ROOT / "dataset" / "entities" / "test.jsonl").read_text().splitlines():
        r = json.loads(line)
        gold[(r["doc_id"], r["start"], r["end"])] = r.get("entity_id")
    s = coreference_scores(gold, gold)
    assert s["conll_f1"] == 1.0 and s["gold_mentions"] == 319 and s["gold_clusters"] == 49
    assert len({doc for (doc, _, _), e in gold.items() if e == "russia"}) > 1  # clusters span documents


# --- Against an independent brute-force implementation and scorch ---------------------------------------

def brute_force(gold: dict, pred: dict) -> dict:
    """The three scores from their textbook definitions, in exact fractions: MUC by counting
    partitions, B-cubed mention by mention, CEAF-e over every one-to-one alignment."""
    def sets(assignment):
        out = {}
        for m, c in assignment.items():
            out.setdefault(c, set()).add(m)
        return list(out.values())

    keys, responses = sets(gold), sets(pred)

    def prf(p_num, p_den, r_num, r_den):
        p = None if p_den == 0 else Fraction(p_num) / p_den
        r = None if r_den == 0 else Fraction(r_num) / r_den
        f = None if p is None and r is None else 0 if p is None or r is None or p + r == 0 else 2 * p * r / (p + r)
        return p, r, f

    def partitions(cluster, other):
        return len({frozenset(cluster & o) for o in other if cluster & o}) + len(cluster - set().union(*other))

    muc_r = (sum(len(k) - partitions(k, responses) for k in keys), sum(len(k) - 1 for k in keys))
    muc_p = (sum(len(r) - partitions(r, keys) for r in responses), sum(len(r) - 1 for r in responses))

    def own(m, clusters):
        return next((c for c in clusters if m in c), set())

    b_r = sum(Fraction(len(own(m, keys) & own(m, responses)), len(own(m, keys))) for m in gold)
    b_p = sum(Fraction(len(own(m, keys) & own(m, responses)), len(own(m, responses))) for m in pred)

    def phi4(k, r):
        return Fraction(2 * len(k & r), len(k) + len(r))

    small, large = (keys, responses) if len(keys) <= len(responses) else (responses, keys)
    best = max((sum(phi4(a, b) for a, b in zip(small, perm)) for perm in itertools.permutations(large, len(small))), default=0)
    return {"muc": prf(*muc_p, *muc_r), "bcubed": prf(b_p, len(pred), b_r, len(gold)),
            "ceafe": prf(best, len(responses), best, len(keys))}


mentions = st.sampled_from("abcdefghij")
clusterings = st.dictionaries(mentions, st.integers(0, 3), max_size=8)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, derandomize=True)
@given(clusterings, clusterings)
def test_same_as_brute_force(gold, pred):
    got = coreference_scores(gold, pred)
    for metric, (p, r, f) in brute_force(gold, pred).items():
        for name, want in (("precision", p), ("recall", r), ("f1", f)):
            value = got[f"{metric}_{name}"]
            assert (value is None) == (want is None), (metric, name)
            if want is not None:
                assert value == pytest.approx(float(want), abs=1e-12), (metric, name)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, derandomize=True)
@given(clusterings, clusterings)
def test_same_as_scorch(gold, pred):
    scores = pytest.importorskip("scorch.scores")
    key = [set(c) for c in _as_sets(gold)]
    response = [set(c) for c in _as_sets(pred)]
    got = coreference_scores(gold, pred)
    if not key or not response:
        return  # scorch leaves an empty side undefined in its own way; the brute force covers it
    for metric, fn in (("muc", scores.muc), ("bcubed", scores.b_cubed), ("ceafe", scores.ceaf_e)):
        # scorch's statistics.harmonic_mean fails on a numpy 0.0: F1 of zeros is 0
        with mock.patch.object(scores, "harmonic_mean", lambda xs: 0.0 if 0 in xs else statistics.harmonic_mean([float(x) for x in xs])):
            r, p, f = fn(key, response)
        # scorch (like the reference scorer) prints 0 where we say None (nothing to score on that side)
        assert (got[f"{metric}_recall"] or 0.0) == pytest.approx(r, abs=1e-9), metric
        assert (got[f"{metric}_precision"] or 0.0) == pytest.approx(p, abs=1e-9), metric
        assert (got[f"{metric}_f1"] or 0.0) == pytest.approx(f, abs=1e-9), metric


def _as_sets(assignment: dict) -> list:
    out = {}
    for m, c in assignment.items():
        out.setdefault(c, set()).add(m)
    return list(out.values())
