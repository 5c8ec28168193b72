"""Counts that add up, and the scores computed from them.

``SchemeCounts`` holds nervaluate's five counts; precision, recall and F1 come from the counts, so
micro scores are computed from summed counts and a score with nothing to score is ``None``, never
0. ``PRF`` is the plain true-positive form used by the attribute and end-to-end metrics. Every
metric declares whether higher is better and how it aggregates (see ``METRIC_INFO``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass


def _div(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def f1_of(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


@dataclass
class SchemeCounts:
    correct: int = 0
    incorrect: int = 0
    partial: int = 0
    missed: int = 0
    spurious: int = 0

    def __add__(self, other: "SchemeCounts") -> "SchemeCounts":
        return SchemeCounts(*(a + b for a, b in zip(self.astuple(), other.astuple())))

    def astuple(self) -> tuple[int, int, int, int, int]:
        return (self.correct, self.incorrect, self.partial, self.missed, self.spurious)

    @property
    def possible(self) -> int:
        return self.correct + self.incorrect + self.partial + self.missed

    @property
    def actual(self) -> int:
        return self.correct + self.incorrect + self.partial + self.spurious

    @property
    def credit(self) -> float:
        return self.correct + 0.5 * self.partial

    @property
    def precision(self) -> float | None:
        return _div(self.credit, self.actual)

    @property
    def recall(self) -> float | None:
        return _div(self.credit, self.possible)

    @property
    def f1(self) -> float | None:
        if self.actual == 0 and self.possible == 0:
            return None
        return f1_of(self.precision or 0.0, self.recall or 0.0)

    def as_dict(self) -> dict:
        return {"correct": self.correct, "incorrect": self.incorrect, "partial": self.partial, "missed": self.missed,
                "spurious": self.spurious, "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class PRF:
    """True positives against the number predicted and the number in the gold."""

    tp: float = 0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: "PRF") -> "PRF":
        return PRF(self.tp + other.tp, self.predicted + other.predicted, self.gold + other.gold)

    @property
    def precision(self) -> float | None:
        return _div(self.tp, self.predicted)

    @property
    def recall(self) -> float | None:
        return _div(self.tp, self.gold)

    @property
    def f1(self) -> float | None:
        if self.predicted == 0 and self.gold == 0:
            return None
        return f1_of(self.precision or 0.0, self.recall or 0.0)

    def as_dict(self) -> dict:
        return {"tp": self.tp, "predicted": self.predicted, "gold": self.gold,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class Accuracy:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += bool(ok)
        self.total += 1

    @property
    def value(self) -> float | None:
        return _div(self.right, self.total)

    def as_dict(self) -> dict:
        return {"right": self.right, "total": self.total, "accuracy": self.value}


def macro_f1(per_label: dict) -> float | None:
    """Mean F1 over the labels that have a gold or a predicted span (labels with nothing are skipped)."""
    scores = [c.f1 for c in per_label.values() if c.f1 is not None]
    return None if not scores else sum(scores) / len(scores)


# --- Clustering -------------------------------------------------------------------------------

def _clusters(assignment: dict) -> dict:
    groups = defaultdict(set)
    for item, cluster in assignment.items():
        groups[cluster].add(item)
    return groups


def bcubed(gold: dict, pred: dict) -> dict:
    """B-cubed precision, recall and F1 of two clusterings of the same items (item -> cluster id).

    For each item, precision is the share of its predicted cluster that shares its gold cluster,
    recall the share of its gold cluster that shares its predicted cluster; both are averaged over
    items. None when there are no items.
    """
    items = list(gold)
    if not items:
        return {"precision": None, "recall": None, "f1": None, "items": 0}
    gold_sets, pred_sets = _clusters(gold), _clusters(pred)
    p_sum = r_sum = 0.0
    for item in items:
        g, p = gold_sets[gold[item]], pred_sets[pred[item]]
        shared = len(g & p)
        p_sum += shared / len(p)
        r_sum += shared / len(g)
    p, r = p_sum / len(items), r_sum / len(items)
    return {"precision": p, "recall": r, "f1": f1_of(p, r), "items": len(items)}


def ceaf_e(gold: dict, pred: dict) -> dict:
    """Entity-based CEAF (phi4): clusters aligned one-to-one to maximise the summed similarity
    2|G & P| / (|G| + |P|); precision divides that sum by the number of predicted clusters, recall by
    the number of gold clusters."""
    from .matching import optimal_matching

    gold_sets = list(_clusters(gold).values())
    pred_sets = list(_clusters(pred).values())
    if not gold_sets:
        return {"precision": None, "recall": None, "f1": None, "items": 0}
    where = {}
    for j, cluster in enumerate(pred_sets):
        for item in cluster:
            where[item] = j
    candidates = sorted({(i, where[item]) for i, cluster in enumerate(gold_sets) for item in cluster})

    def phi4(i: int, j: int) -> float:
        return 2 * len(gold_sets[i] & pred_sets[j]) / (len(gold_sets[i]) + len(pred_sets[j]))

    total = sum(phi4(i, j) for i, j in optimal_matching(candidates, phi4))
    p, r = total / len(pred_sets), total / len(gold_sets)
    return {"precision": p, "recall": r, "f1": f1_of(p, r), "items": len(gold)}


# --- Confidence intervals -----------------------------------------------------------------------

def bootstrap_f1(per_doc: list[tuple[float, int, int]], resamples: int = 1000, seed: int = 0) -> tuple[float | None, float | None]:
    """95% percentile interval of micro F1 over documents resampled with replacement.

    ``per_doc`` holds (true positives, predicted, gold) per document. Seeded, so the same input gives
    the same interval.
    """
    import numpy as np

    if not per_doc:
        return None, None
    counts = np.asarray(per_doc, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(counts), size=(resamples, len(counts)))
    sums = counts[idx].sum(axis=1)
    tp, predicted, gold = sums[:, 0], sums[:, 1], sums[:, 2]
    denom = predicted + gold
    f1 = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), np.nan)
    f1 = f1[~np.isnan(f1)]
    if len(f1) == 0:
        return None, None
    low, high = np.percentile(f1, [2.5, 97.5])
    return float(low), float(high)


def paired_bootstrap(a: list[tuple[float, int, int]], b: list[tuple[float, int, int]], resamples: int = 1000,
                     seed: int = 0) -> dict:
    """Paired bootstrap of F1(a) - F1(b) over the same documents resampled together.

    Returns the observed difference, its 95% interval and a two-sided p-value (twice the share of
    resamples on the far side of zero, at most 1).
    """
    import numpy as np

    ca, cb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(ca), size=(resamples, len(ca)))

    def f1(counts):
        s = counts[idx].sum(axis=1)
        denom = s[:, 1] + s[:, 2]
        return np.where(denom > 0, 2 * s[:, 0] / np.where(denom > 0, denom, 1), 0.0)

    def observed(counts):
        s = counts.sum(axis=0)
        return 0.0 if s[1] + s[2] == 0 else 2 * s[0] / (s[1] + s[2])

    diff = f1(ca) - f1(cb)
    delta = observed(ca) - observed(cb)
    low, high = np.percentile(diff, [2.5, 97.5])
    far = np.mean(diff <= 0) if delta > 0 else np.mean(diff >= 0) if delta < 0 else 1.0
    return {"difference": delta, "ci95": [float(low), float(high)], "p_value": float(min(1.0, 2 * far))}


def is_close_value(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=0.0) or a == b


METRIC_INFO = {
    "f1": {"higher_is_better": True, "aggregation": "micro: from counts summed over documents"},
    "precision": {"higher_is_better": True, "aggregation": "micro: from counts summed over documents"},
    "recall": {"higher_is_better": True, "aggregation": "micro: from counts summed over documents"},
    "macro_f1": {"higher_is_better": True, "aggregation": "mean of per-label F1 over labels with any span"},
    "accuracy": {"higher_is_better": True, "aggregation": "right / total over matched pairs"},
    "bcubed_f1": {"higher_is_better": True, "aggregation": "mean over items of per-item precision and recall"},
    "ceaf_e_f1": {"higher_is_better": True, "aggregation": "optimal cluster alignment, phi4 similarity"},
}
