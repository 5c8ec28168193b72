"""The one matcher (newsclaims.matching): exact against brute force, lexicographic, order-free."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from newsclaims.matching import best_matching, overlap, overlapping_pairs

SPAN = st.tuples(st.integers(0, 30), st.integers(1, 8)).map(lambda t: (t[0], t[0] + t[1]))
LABEL = st.sampled_from("AB")


def _overlap_rank(gold, pred):
    def rank(i, j):
        shared = overlap(gold[i][:2], pred[j][:2])
        if not shared:
            return None
        same_bounds = gold[i][:2] == pred[j][:2]
        same_label = gold[i][2] == pred[j][2]
        return (2 * (same_bounds and same_label), 1, shared)  # the strict scheme's rank
    return rank


def _brute_force_best(n_gold, n_pred, rank):
    """The lexicographically greatest summed rank over every one-to-one subset of allowed pairs."""
    pairs = [(i, j) for i in range(n_gold) for j in range(n_pred) if rank(i, j) is not None]
    best = None
    for k in range(len(pairs) + 1):
        for subset in itertools.combinations(pairs, k):
            if len({i for i, _ in subset}) == k == len({j for _, j in subset}):
                total = tuple(map(sum, zip(*(rank(i, j) for i, j in subset)))) if subset else (0, 0, 0)
                best = total if best is None or total > best else best
    return best


def _summed(chosen, rank):
    return tuple(map(sum, zip(*(rank(i, j) for i, j in chosen)))) if chosen else (0, 0, 0)


# Bounded: at most 4 x 4 spans (at most 2^16 subsets), a fixed number of derandomized examples.
@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(SPAN, LABEL).map(lambda t: (*t[0], t[1])), min_size=1, max_size=4),
       st.lists(st.tuples(SPAN, LABEL).map(lambda t: (*t[0], t[1])), min_size=1, max_size=4))
def test_matching_is_lexicographically_optimal(gold, pred):
    rank = _overlap_rank(gold, pred)
    chosen = best_matching(overlapping_pairs([g[:2] for g in gold], [p[:2] for p in pred]), rank)
    assert len({i for i, _ in chosen}) == len(chosen) == len({j for _, j in chosen})
    assert _summed(chosen, rank) == _brute_force_best(len(gold), len(pred), rank)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(SPAN, max_size=8), st.lists(SPAN, max_size=8))
def test_overlapping_pairs_are_exactly_the_overlapping_ones(gold, pred):
    expected = sorted((i, j) for i in range(len(gold)) for j in range(len(pred)) if overlap(gold[i], pred[j]))
    assert overlapping_pairs(gold, pred) == expected


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(SPAN, min_size=1, max_size=6), st.lists(SPAN, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_candidate_order_changes_nothing(gold, pred, rnd):
    candidates = overlapping_pairs(gold, pred)
    shuffled = list(candidates)
    rnd.shuffle(shuffled)
    rank = lambda i, j: (1, overlap(gold[i], pred[j]))  # noqa: E731
    assert best_matching(candidates, rank) == best_matching(shuffled, rank)


def test_greedy_trap():
    """Greedy left-to-right pairing would take gold 0 with prediction 0 and leave gold 1 unmatched."""
    gold = [(0, 10), (8, 12)]
    pred = [(5, 11), (0, 4)]
    assert best_matching(overlapping_pairs(gold, pred), lambda i, j: (1,)) == [(0, 1), (1, 0)]


def test_more_pairs_beat_tighter_pairs():
    """Gold [0,10) [5,20) [15,25) vs [0,10) [5,20) [0,3): three loose pairs exist and are chosen over
    two tight ones (a weight of 1 + Jaccard chose the two)."""
    gold, pred = [(0, 10), (5, 20), (15, 25)], [(0, 10), (5, 20), (0, 3)]
    chosen = best_matching(overlapping_pairs(gold, pred), lambda i, j: (1, overlap(gold[i], pred[j])))
    assert chosen == [(0, 2), (1, 0), (2, 1)]


def test_a_later_component_never_outweighs_an_earlier_one():
    """A huge total overlap never buys one unit of credit: the radix is exact, not a constant."""
    gold, pred = [(0, 1000), (1000, 2000)], [(0, 1000), (0, 2000)]
    rank = lambda i, j: (int(gold[i] == pred[j]), 1, overlap(gold[i], pred[j]))  # noqa: E731
    assert best_matching(overlapping_pairs(gold, pred), rank) == [(0, 0), (1, 1)]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(SPAN, LABEL).map(lambda t: (*t[0], t[1])), min_size=1, max_size=4),
       st.lists(st.tuples(SPAN, LABEL).map(lambda t: (*t[0], t[1])), min_size=1, max_size=6))
def test_pruning_keeps_an_optimal_matching(gold, pred):
    """The corpus matcher prunes candidates before the assignment; the optimum must not change."""
    import numpy as np

    from newsclaims.eval.schemes import SCHEMES, match_scheme
    from newsclaims.matching import SpanArrays, candidates

    gold, pred = sorted(gold), sorted(pred)
    codes = {"A": 0, "B": 1}
    g = SpanArrays.of([0] * len(gold), [x[0] for x in gold], [x[1] for x in gold], [codes[x[2]] for x in gold])
    p = SpanArrays.of([0] * len(pred), [x[0] for x in pred], [x[1] for x in pred], [codes[x[2]] for x in pred])
    cand_g, cand_p = candidates(g, p)
    scheme = SCHEMES["strict"]
    columns = scheme.rank_columns(g.start[cand_g], g.end[cand_g], p.start[cand_p], p.end[cand_p], g.label[cand_g] == p.label[cand_p])
    ranks = dict(zip(zip(cand_g.tolist(), cand_p.tolist()), zip(*(c.tolist() for c in columns))))
    rank = lambda i, j: ranks.get((i, j))  # noqa: E731
    g_idx, p_idx = match_scheme(scheme, g, p, cand_g, cand_p)
    chosen = list(zip(g_idx.tolist(), p_idx.tolist()))
    assert len({i for i, _ in chosen}) == len(chosen) == len({j for _, j in chosen})
    total = tuple(map(sum, zip(*(rank(i, j) for i, j in chosen)))) if chosen else (0, 0, 0, 0)
    assert total == tuple(map(sum, zip(*(rank(i, j) for i, j in best_matching(ranks, rank))))) if ranks else (0, 0, 0, 0)
    assert np.all(np.isin(np.array(chosen).reshape(-1, 2)[:, 0], cand_g))
