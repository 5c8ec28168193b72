"""Paired significance over documents (``metrics.paired_permutation_test``): exact sign flips when
2^k is small enough, seeded Monte Carlo otherwise; the smallest p a design can reach; calibration under
the null by simulation; and the document bootstrap's coverage simulation (``bootstrap_coverage``)."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclaims.eval.metrics import (EXACT_LIMIT, bootstrap_coverage, few_documents_note, null_calibration,
                                     paired_permutation_test, smallest_p_note)

# Entities (strict) per document, [tp, predicted, gold], from `newsclaims eval` (0.5.0 reports)
RULES = {"000_956b89daf0f4f269": [42, 48, 51], "001_67ea46896210dce6": [51, 68, 74], "002_eebf9108032eaeec": [59, 72, 74],
         "003_8d866300cc861dbc": [39, 55, 59], "004_d0ac60c4e534b1bf": [60, 77, 86]}
SKLEARN = {"000_956b89daf0f4f269": [42, 54, 51], "001_67ea46896210dce6": [66, 74, 74], "002_eebf9108032eaeec": [68, 75, 74],
           "003_8d866300cc861dbc": [54, 59, 59], "004_d0ac60c4e534b1bf": [76, 84, 86]}


def test_sklearn_against_rules_on_entities():
    """The paired bootstrap said p = 0.004; over 5 documents the exact test gives 4/32."""
    t = paired_permutation_test(SKLEARN, RULES)
    assert t["p_value"] == 0.125 and t["method"] == "exact" and t["permutations"] == 32
    assert t["smallest_p"] == 0.0625 and t["documents"] == t["documents_differing"] == 5
    assert t["difference"] == pytest.approx(2 * 306 / (346 + 344) - 2 * 251 / (320 + 344))
    assert smallest_p_note(t) == "with 5 documents no difference can reach p < 0.0625"
    assert paired_permutation_test(RULES, SKLEARN)["p_value"] == 0.125  # two-sided: the order of the systems does not matter


def test_every_document_better_reaches_exactly_the_floor():
    better = {f"d{i}": (9, 10, 10) for i in range(5)}
    worse = {f"d{i}": (5, 10, 10) for i in range(5)}
    t = paired_permutation_test(better, worse)
    assert t["p_value"] == t["smallest_p"] == 2 / 32


def test_documents_where_the_systems_agree_flip_nothing():
    a = {f"d{i}": (9, 10, 10) for i in range(5)}
    b = {**{f"d{i}": (5, 10, 10) for i in range(3)}, "d3": (9, 10, 10), "d4": (9, 10, 10)}
    t = paired_permutation_test(a, b)
    assert t["documents_differing"] == 3 and t["permutations"] == 8 and t["p_value"] == t["smallest_p"] == 0.25
    assert smallest_p_note(t) == "with 5 documents (3 where the systems differ) no difference can reach p < 0.25"


def test_identical_systems_empty_and_undefined():
    docs = {f"d{i}": (i, 10, 10) for i in range(4)}
    same = paired_permutation_test(docs, dict(reversed(list(docs.items()))))
    assert same["difference"] == 0.0 and same["p_value"] == 1.0 and same["smallest_p"] == 1.0
    empty = paired_permutation_test({}, {})
    assert empty["p_value"] is None and empty["difference"] is None and smallest_p_note(empty) is None
    nothing = paired_permutation_test({"d0": (0, 0, 0)}, {"d0": (0, 3, 0)})  # a's F1 is undefined
    assert nothing["p_value"] is None and nothing["difference"] is None
    with pytest.raises(ValueError, match="different documents"):
        paired_permutation_test(docs, {"d0": (1, 1, 1)})


def test_monte_carlo_beyond_the_exact_limit_is_seeded_and_never_zero():
    a = {f"d{i:02d}": (9, 10, 10) for i in range(20)}
    b = {f"d{i:02d}": (5, 10, 10) for i in range(20)}
    t = paired_permutation_test(a, b, resamples=999, seed=3)
    assert 2 ** 20 > EXACT_LIMIT and t["method"] == "monte carlo" and t["permutations"] == t["resamples"] == 999
    assert t["p_value"] == t["smallest_p"] == 1 / 1000 and t["seed"] == 3
    assert smallest_p_note(t) == "with 999 Monte Carlo resamples no difference can reach p < 0.001"
    mixed = {**a, **{f"d{i:02d}": (4, 10, 10) for i in range(8)}}
    assert paired_permutation_test(mixed, b, 999, 3) == paired_permutation_test(mixed, b, 999, 3)


def test_monte_carlo_agrees_with_exact():
    a = {f"d{i}": (5 + i % 4, 10, 10) for i in range(10)}
    b = {f"d{i}": (6 + (i * 7) % 3, 10, 10) for i in range(10)}
    exact = paired_permutation_test(a, b)
    sampled = paired_permutation_test(a, b, resamples=20_000, exact_limit=1)
    assert exact["method"] == "exact" and sampled["method"] == "monte carlo"
    se = math.sqrt(exact["p_value"] * (1 - exact["p_value"]) / 20_000)
    assert abs(sampled["p_value"] - exact["p_value"]) < 4 * se + 1e-4


def brute_p(a: dict, b: dict) -> Fraction:
    """Every one of the 2^n swap assignments, in exact fractions."""
    docs = sorted(a)

    def f1(counts):
        tp, pred, gold = (sum(c[k] for c in counts) for k in range(3))
        return None if pred + gold == 0 else Fraction(2 * tp, pred + gold)

    observed = f1([a[d] for d in docs]) - f1([b[d] for d in docs])
    far = 0
    for swap in itertools.product((False, True), repeat=len(docs)):
        fa = f1([b[d] if s else a[d] for d, s in zip(docs, swap)])
        fb = f1([a[d] if s else b[d] for d, s in zip(docs, swap)])
        far += fa is None or fb is None or abs(fa - fb) >= abs(observed)
    return Fraction(far, 2 ** len(docs))


def counts_for(gold):
    return st.integers(0, gold).flatmap(lambda tp: st.integers(tp, tp + 4).map(lambda pred: (tp, pred, gold)))


@st.composite
def paired_systems(draw):
    golds = draw(st.lists(st.integers(1, 6), min_size=1, max_size=7))
    a = {f"d{i}": draw(counts_for(g)) for i, g in enumerate(golds)}
    b = {f"d{i}": draw(counts_for(g)) for i, g in enumerate(golds)}
    return a, b


@settings(max_examples=300, deadline=None, derandomize=True)
@given(paired_systems())
def test_exact_p_equals_brute_force_enumeration(systems):
    a, b = systems
    assert paired_permutation_test(a, b)["p_value"] == pytest.approx(float(brute_p(a, b)), abs=1e-12)


def test_few_documents_note():
    assert few_documents_note(5) == "from 5 documents: unreliable (fewer than 10)"
    assert few_documents_note(10) is None


# --- Calibration under the null -------------------------------------------------------------------------

@pytest.mark.parametrize("n,resamples", [(5, None), (10, None), (20, 499)])
def test_calibrated_under_the_null(n, resamples):
    """Two systems of equal expected quality (counts drawn independently on the same documents): the
    share of p <= alpha stays within alpha plus 3 Monte Carlo standard errors. 20 documents is past
    the exact limit, so this runs the Monte Carlo branch (fewer resamples to bound the run time; the
    Monte Carlo p-value is valid for any number)."""
    result = null_calibration(n, datasets=2000, seed=11, **({"resamples": resamples} if resamples else {}))
    for alpha in (0.05, 0.01):
        assert result["rejections"][alpha] <= alpha + 3 * result["standard_error"][alpha], (alpha, result)


def test_bootstrap_coverage_simulation_runs():
    result = bootstrap_coverage(20, datasets=40, resamples=200)
    assert 0.5 < result["coverage"] <= 1 and result["true_f1"] == pytest.approx(2 * 0.735 / (0.735 + 0.2 + 1))
