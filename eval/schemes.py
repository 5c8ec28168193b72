"""The four matching schemes, named as in SemEval-2013 Task 9 and nervaluate.

Every scheme pairs gold and predicted spans one-to-one by an optimal assignment over the pairs
that share at least one character; a gold span left unpaired is *missed*, a predicted span left
unpaired is *spurious*. The schemes differ in what a pair is worth:

- ``strict``: a pair is *correct* when it has the same boundaries and the same type; any other
  overlapping pair is *incorrect*.
- ``exact``: a pair is *correct* when it has the same boundaries, whatever the types; any other
  overlapping pair is *incorrect*.
- ``partial``: a pair with the same boundaries is *correct* (full credit); any other overlapping
  pair is *partial* (half credit); types are ignored.
- ``type``: an overlapping pair with the same type is *correct*; one with another type is
  *incorrect*; boundaries only need to overlap.

Precision = credit / (correct + incorrect + partial + spurious) and recall = credit / (correct +
incorrect + partial + missed), where credit = correct + 0.5 * partial (partial is 0 except in the
partial scheme). Per label, gold and predictions of that label alone are matched, as nervaluate
does. The assignment maximises, in this order, the credit, then the number of pairs, then the
total boundary overlap (Jaccard) — so no reordering of the predictions changes a result.
Offsets are half-open (``end`` exclusive); nervaluate's are inclusive.
"""

from __future__ import annotations

SCHEMES = ("strict", "exact", "partial", "type")
DEFINITIONS = {
    "strict": "same boundaries and same type",
    "exact": "same boundaries, any type",
    "partial": "same boundaries full credit, any other overlap half credit, any type",
    "type": "any overlap, same type",
}
HALF_CREDIT_SCHEMES = {"partial"}


def credit(scheme: str, same_bounds: bool, same_label: bool) -> float:
    """The credit a paired (overlapping) gold and predicted span earn under a scheme."""
    if scheme == "strict":
        return 1.0 if same_bounds and same_label else 0.0
    if scheme == "exact":
        return 1.0 if same_bounds else 0.0
    if scheme == "partial":
        return 1.0 if same_bounds else 0.5
    if scheme == "type":
        return 1.0 if same_label else 0.0
    raise ValueError(f"unknown scheme {scheme!r}")
