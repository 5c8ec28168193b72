"""Optimal one-to-one matching: exact against brute force, independent of order."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from newsclaims.eval.matching import optimal_matching, overlap, overlapping_pairs

SPAN = st.tuples(st.integers(0, 40), st.integers(1, 8)).map(lambda t: (t[0], t[0] + t[1]))


def _weight(gold, pred):
    def weight(i, j):
        shared = overlap(gold[i], pred[j])
        return None if shared == 0 else 1 + shared / (max(gold[i][1], pred[j][1]) - min(gold[i][0], pred[j][0]))
    return weight


def _brute_force_best(gold, pred, weight):
    best = 0.0
    pairs = [(i, j) for i in range(len(gold)) for j in range(len(pred)) if weight(i, j)]
    for k in range(len(pairs) + 1):
        for subset in itertools.combinations(pairs, k):
            if len({i for i, _ in subset}) == k == len({j for _, j in subset}):
                best = max(best, sum(weight(i, j) for i, j in subset))
    return best


@settings(max_examples=200, deadline=None)
@given(st.lists(SPAN, min_size=1, max_size=5), st.lists(SPAN, min_size=1, max_size=5))
def test_matching_is_optimal(gold, pred):
    weight = _weight(gold, pred)
    chosen = optimal_matching(overlapping_pairs(gold, pred), weight)
    assert len({i for i, _ in chosen}) == len(chosen) == len({j for _, j in chosen})
    assert abs(sum(weight(i, j) for i, j in chosen) - _brute_force_best(gold, pred, weight)) < 1e-9


@given(st.lists(SPAN, max_size=8), st.lists(SPAN, max_size=8))
def test_overlapping_pairs_are_exactly_the_overlapping_ones(gold, pred):
    expected = sorted((i, j) for i in range(len(gold)) for j in range(len(pred)) if overlap(gold[i], pred[j]))
    assert sorted(overlapping_pairs(gold, pred)) == expected


@given(st.lists(SPAN, min_size=1, max_size=6), st.lists(SPAN, min_size=1, max_size=6), st.randoms())
def test_reordering_predictions_changes_nothing(gold, pred, rnd):
    order = list(range(len(pred)))
    rnd.shuffle(order)
    shuffled = [pred[k] for k in order]
    total = sum(_weight(gold, pred)(i, j) for i, j in optimal_matching(overlapping_pairs(gold, pred), _weight(gold, pred)))
    total_shuffled = sum(_weight(gold, shuffled)(i, j)
                         for i, j in optimal_matching(overlapping_pairs(gold, shuffled), _weight(gold, shuffled)))
    assert abs(total - total_shuffled) < 1e-9


def test_greedy_trap():
    """Greedy left-to-right pairing would take gold 0 with prediction 0 and leave gold 1 unmatched."""
    gold = [(0, 10), (8, 12)]
    pred = [(5, 11), (0, 4)]
    chosen = optimal_matching(overlapping_pairs(gold, pred), lambda i, j: 1.0)
    assert chosen == [(0, 1), (1, 0)]
