"""The scheme counts agree exactly with nervaluate 1.2.1 and seqeval on inputs where greedy and
optimal matching must agree: no two predictions overlap, and every predicted span overlaps at most
one gold span and every gold span at most one prediction."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclaims.eval.scoring import scheme_scores
from newsclaims.matching import overlap

nervaluate = pytest.importorskip("nervaluate")
LABELS = ["PER", "ORG", "LOC"]
NERVALUATE_SCHEME = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}


def _non_overlapping(rnd, n, length=120):
    spans, pos = [], 0
    for _ in range(n):
        pos += rnd.randint(0, 6)
        size = rnd.randint(1, 8)
        if pos + size > length:
            break
        spans.append({"start": pos, "end": pos + size, "label": rnd.choice(LABELS)})
        pos += size
    return spans


def _unambiguous(gold, pred):
    degree_g, degree_p = [0] * len(gold), [0] * len(pred)
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            if overlap((g["start"], g["end"]), (p["start"], p["end"])):
                degree_g[i] += 1
                degree_p[j] += 1
    return all(d <= 1 for d in degree_g + degree_p)


def _random_corpus(seed):
    rnd = random.Random(seed)
    gold_docs, pred_docs = [], []
    while len(gold_docs) < 6:
        gold = _non_overlapping(rnd, rnd.randint(0, 8))
        pred = []
        for g in gold:
            roll = rnd.random()
            if roll < 0.4:
                pred.append(dict(g))
            elif roll < 0.55:
                pred.append({**g, "label": rnd.choice(LABELS)})
            elif roll < 0.75:
                pred.append({**g, "start": g["start"] + rnd.randint(0, max(0, g["end"] - g["start"] - 1)),
                             "end": g["end"] + rnd.randint(0, 2)})
        pred += [s for s in _non_overlapping(rnd, 3) if all(not overlap((s["start"], s["end"]), (p["start"], p["end"])) for p in pred)]
        pred.sort(key=lambda s: s["start"])
        no_pred_overlap = all(not overlap((a["start"], a["end"]), (b["start"], b["end"])) for a, b in zip(pred, pred[1:]))
        first_ok = gold_docs or (gold and pred)  # nervaluate 1.2.1 cannot tell the format from an empty first document
        if no_pred_overlap and _unambiguous(gold, pred) and first_ok:
            gold_docs.append(gold)
            pred_docs.append(pred)
    return gold_docs, pred_docs


def _inclusive(docs):
    return [[{"label": s["label"], "start": s["start"], "end": s["end"] - 1} for s in doc] for doc in docs]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.integers(0, 10**9))
def test_identical_to_nervaluate_in_all_four_schemes(seed):
    gold, pred = _random_corpus(seed)
    ours = scheme_scores(gold, pred, LABELS)
    theirs = nervaluate.Evaluator(_inclusive(gold), _inclusive(pred), tags=LABELS).evaluate()
    for scheme, name in NERVALUATE_SCHEME.items():
        ref = theirs["overall"][name]
        mine = ours[scheme]["overall"]
        assert mine.astuple() == (ref.correct, ref.incorrect, ref.partial, ref.missed, ref.spurious), scheme
        assert (mine.prf.precision or 0) == pytest.approx(ref.precision) and (mine.prf.recall or 0) == pytest.approx(ref.recall)
        assert (mine.prf.f1 or 0) == pytest.approx(ref.f1)
        for label, counts in ours[scheme]["per_label"].items():
            ref_l = theirs["entities"][label][name]
            assert counts.astuple() == (ref_l.correct, ref_l.incorrect, ref_l.partial, ref_l.missed, ref_l.spurious), (scheme, label)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(0, 10**9))
def test_strict_scheme_matches_seqeval_on_token_tags(seed):
    """One character per token: IOB2 tags from spans, scored by seqeval in strict IOB2 mode."""
    from seqeval.metrics import f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2

    gold, pred = _random_corpus(seed)

    def tags(docs):
        out = []
        for doc in docs:
            seq = ["O"] * 130
            for s in doc:
                seq[s["start"]] = f"B-{s['label']}"
                for i in range(s["start"] + 1, s["end"]):
                    seq[i] = f"I-{s['label']}"
            out.append(seq)
        return out

    strict = scheme_scores(gold, pred, LABELS)["strict"]["overall"]
    y_true, y_pred = tags(gold), tags(pred)
    kwargs = {"mode": "strict", "scheme": IOB2, "zero_division": 0}
    assert (strict.prf.precision or 0) == pytest.approx(precision_score(y_true, y_pred, **kwargs))
    assert (strict.prf.recall or 0) == pytest.approx(recall_score(y_true, y_pred, **kwargs))
    assert (strict.prf.f1 or 0) == pytest.approx(f1_score(y_true, y_pred, **kwargs))
