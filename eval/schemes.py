"""The four matching schemes (SemEval-2013 Task 9, nervaluate), each one object owning its rule.

A ``Scheme`` says, for a gold span and a predicted span that share at least one character, which
*category* the pair falls in — ``correct``, ``incorrect`` or ``partial`` — and so what *credit* it
earns (1, 0 or 0.5). The same method decides both the matching and the counting, so the two can never
disagree. Unpaired gold spans are ``missed``; unpaired predictions are ``spurious``.

- ``strict``: same boundaries and same type → correct; any other overlapping pair → incorrect.
- ``exact``: same boundaries → correct, whatever the types; any other overlap → incorrect.
- ``partial``: same boundaries → correct (credit 1); any other overlap → partial (credit 0.5);
  types are ignored.
- ``type``: same type → correct, boundaries need only overlap; another type → incorrect.

Precision = credit / (correct + incorrect + partial + spurious), recall = credit / (correct +
incorrect + partial + missed). Per label, the gold and the predictions of that label alone are
matched, as nervaluate does.

Matching (``Scheme.rank_columns``): the pairs chosen maximise, in this order and as an ordering (see
``newsclaims.matching``), the total credit, then the number of pairs, then the shared characters, then
the closeness of the boundaries (``newsclaims.matching.overlap_rank_columns``). So the counts equal
nervaluate's wherever its greedy matching is optimal, and give more credit where it is not; no reordering
of records changes them. Offsets are half-open (``end`` exclusive); nervaluate's are inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from newsclaims.counts import PRF
from newsclaims.matching import SpanArrays, match, overlap_rank_columns

CATEGORIES = ("correct", "incorrect", "partial", "missed", "spurious")


@dataclass(frozen=True)
class Scheme:
    name: str
    definition: str
    bounds_must_match: bool  # credit needs the same boundaries (else: overlap suffices)
    label_must_match: bool   # credit needs the same type
    half_credit: bool = False  # an overlap that is not an exact match earns half credit (partial)

    def category(self, same_bounds: bool, same_label: bool) -> int:
        """The category of one overlapping pair: 0 correct, 1 incorrect, 2 partial. The scheme's rule."""
        ok = (same_bounds or not self.bounds_must_match) and (same_label or not self.label_must_match)
        return 0 if ok else 2 if self.half_credit else 1

    def categorise(self, same_bounds: np.ndarray, same_label: np.ndarray) -> np.ndarray:
        """``category`` of many pairs at once (a look-up in the rule's truth table)."""
        table = np.array([self.category(b, l) for b in (False, True) for l in (False, True)], dtype=np.int64)
        return table[np.asarray(same_bounds, dtype=np.int64) * 2 + np.asarray(same_label, dtype=np.int64)]

    def rank_columns(self, gold_start, gold_end, pred_start, pred_end, same_label) -> list:
        """The matching rank of overlapping pairs (arrays): the credit in halves, then overlap rank."""
        same_bounds = (gold_start == pred_start) & (gold_end == pred_end)
        credit = np.asarray(HALF_CREDITS, dtype=np.int64)[self.categorise(same_bounds, same_label)]
        return [credit, *overlap_rank_columns(gold_start, gold_end, pred_start, pred_end)]


HALF_CREDITS = (2, 0, 1)  # credit of correct / incorrect / partial, in halves

SCHEMES: dict[str, Scheme] = {s.name: s for s in (
    Scheme("strict", "same boundaries and same type", bounds_must_match=True, label_must_match=True),
    Scheme("exact", "same boundaries, any type", bounds_must_match=True, label_must_match=False),
    Scheme("partial", "same boundaries full credit, any other overlap half credit, any type",
           bounds_must_match=True, label_must_match=False, half_credit=True),
    Scheme("type", "any overlap, same type", bounds_must_match=False, label_must_match=True),
)}
DEFINITIONS = {name: scheme.definition for name, scheme in SCHEMES.items()}
LABELLED_SCHEMES = tuple(name for name, scheme in SCHEMES.items() if scheme.label_must_match)


def match_scheme(scheme: Scheme, gold: SpanArrays, pred: SpanArrays, cand_g: np.ndarray, cand_p: np.ndarray):
    """The scheme's matching among the candidates (see ``Scheme.rank_columns``)."""
    return match(cand_g, cand_p, lambda g, p: scheme.rank_columns(gold.start[g], gold.end[g], pred.start[p], pred.end[p],
                                                                  gold.label[g] == pred.label[p]))


@dataclass(frozen=True)
class SchemeCounts:
    """nervaluate's five counts; they add, and their precision/recall/F1 come from ``PRF``."""

    correct: int = 0
    incorrect: int = 0
    partial: int = 0
    missed: int = 0
    spurious: int = 0

    def __add__(self, other: SchemeCounts) -> SchemeCounts:
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
    def prf(self) -> PRF:
        return PRF.of(self.correct + 0.5 * self.partial, self.actual, self.possible)

    def as_dict(self) -> dict:
        prf = self.prf
        return {**dict(zip(CATEGORIES, self.astuple())), "precision": prf.precision, "recall": prf.recall, "f1": prf.f1}
