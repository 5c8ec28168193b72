"""Counts that add, and the one place precision, recall and F1 are computed from them.

``PRF`` holds true positives, false positives and false negatives (spaCy's ``PRFScore`` idea):
counts of documents add up, so a micro score is the score of the summed counts. A score with nothing
to score is ``None``, never 0: precision is None with nothing predicted, recall with nothing in the
gold, F1 with neither; with only one of them, F1 is 0. True positives may be fractional (the
partial scheme's half credit). ``f1_score`` is the one F1 of counts (``PRF``, agreement, the
bootstrap); ``harmonic_f1`` the F1 of averaged precision and recall, which have no counts that add
(B-cubed, CEAF). ``Accuracy`` is right / total, None on no total.
"""

from __future__ import annotations

from dataclasses import dataclass


def ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def f1_score(tp, predicted, gold):
    """F1 of counts: 2 tp / (predicted + gold), the harmonic mean of precision and recall. None with
    nothing predicted and nothing in the gold; 0 with only one of them. On numpy arrays, element-wise,
    NaN where a single count would give None."""
    denominator = predicted + gold
    if getattr(denominator, "ndim", 0):  # an array (bootstrap resamples); numpy scalars take the line below
        import numpy as np

        return np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), np.nan)
    return None if denominator == 0 else 2 * tp / denominator


def harmonic_f1(precision: float | None, recall: float | None) -> float | None:
    """F1 of a precision and a recall that are averages, not ratios of counts (B-cubed, CEAF): their
    harmonic mean; None when either is None, 0 when both are 0."""
    if precision is None or recall is None:
        return None
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class PRF:
    """True positives, false positives and false negatives; adds with ``+``."""

    tp: float = 0
    fp: float = 0
    fn: float = 0

    @classmethod
    def of(cls, tp: float, predicted: float, gold: float) -> PRF:
        """From the number right, the number predicted and the number in the gold."""
        return cls(tp, predicted - tp, gold - tp)

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def predicted(self) -> float:
        return self.tp + self.fp

    @property
    def gold(self) -> float:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return ratio(self.tp, self.predicted)

    @property
    def recall(self) -> float | None:
        return ratio(self.tp, self.gold)

    @property
    def f1(self) -> float | None:
        return f1_score(self.tp, self.predicted, self.gold)

    def as_dict(self) -> dict:
        return {"tp": self.tp, "predicted": self.predicted, "gold": self.gold,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


def total(scores) -> PRF:
    """The sum of PRF counts (an empty sum is all zeros)."""
    out = PRF()
    for score in scores:
        out = out + score
    return out


@dataclass(frozen=True)
class Accuracy:
    right: int = 0
    total: int = 0

    def __add__(self, other: Accuracy) -> Accuracy:
        return Accuracy(self.right + other.right, self.total + other.total)

    @property
    def value(self) -> float | None:
        return ratio(self.right, self.total)

    def as_dict(self) -> dict:
        return {"right": self.right, "total": self.total, "accuracy": self.value}


def macro_f1(per_label) -> float | None:
    """Mean F1 over the labels that have a gold or a predicted item (labels with neither are skipped)."""
    scores = [c.f1 for c in per_label if c.f1 is not None]
    return None if not scores else sum(scores) / len(scores)
