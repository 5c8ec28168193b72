"""Counts that add, and the one place precision, recall and F1 are computed from them.

``PRF`` holds true positives, false positives and false negatives (spaCy's ``PRFScore`` idea):
counts of documents add up, so a micro score is the score of the summed counts. A score with nothing
to score is ``None``, never 0: precision is None with nothing predicted, recall with nothing in the
gold, F1 with neither; with only one of them, F1 is 0. True positives may be fractional (the
partial scheme's half credit). ``Accuracy`` is right / total, None on no total.
"""

from __future__ import annotations

from dataclasses import dataclass


def ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


@dataclass(frozen=True)
class PRF:
    """True positives, false positives and false negatives; adds with ``+``."""

    tp: float = 0
    fp: float = 0
    fn: float = 0

    @classmethod
    def of(cls, tp: float, predicted: float, gold: float) -> "PRF":
        """From the number right, the number predicted and the number in the gold."""
        return cls(tp, predicted - tp, gold - tp)

    def __add__(self, other: "PRF") -> "PRF":
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
        if self.predicted == 0 and self.gold == 0:
            return None
        denominator = self.predicted + self.gold
        return 2 * self.tp / denominator

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

    def __add__(self, other: "Accuracy") -> "Accuracy":
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
