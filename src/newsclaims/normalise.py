"""Normalisation of free-text answers before they are compared: names, units and values. One rule for
scoring (a prediction against the gold) and for agreement (one annotation pass against another).

- A name is compared case-folded, with runs of white space made one space, a curly apostrophe made
  straight, and a leading article ("the", "a", "an") and a trailing possessive "'s" dropped.
- A unit is compared case-folded, runs of white space made one space, its last word made singular by English spelling rules: "-ies" →
  "-y" ("casualties"), "-es" after s, x, z, ch or sh → dropped ("boxes", "churches"), a final "-s"
  → dropped ("soldiers"); words that end in "ss", "us" or "is", words of three letters or fewer, and
  the invariable "series", "species", "news", "means" and "headquarters" are left as they are. Two
  units are the same when they fold alike (no unit is the same only as no unit).
- A value is right when it is within a relative 1e-6 of the gold value.
"""

from __future__ import annotations

import math
import re

INVARIABLE = frozenset({"series", "species", "news", "means", "headquarters"})


def norm_name(text: str) -> str:
    text = re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip().casefold()
    text = re.sub(r"^(the|a|an) ", "", text)
    return re.sub(r"'s$", "", text)


def _singular(word: str) -> str:
    if word in INVARIABLE or word.endswith(("ss", "us", "is")) or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def fold_unit(unit: str | None) -> str | None:
    """"Soldiers" -> "soldier", "casualties" -> "casualty", "boxes" -> "box", "series" -> "series"."""
    if unit is None:
        return None
    words = re.sub(r"\s+", " ", unit).strip().casefold().split(" ")
    words[-1] = _singular(words[-1])
    return " ".join(words)


def same_unit(a: str | None, b: str | None) -> bool:
    return fold_unit(a) == fold_unit(b)


def same_value(predicted, gold: float) -> bool:
    """Whether a predicted value is the gold value, within a relative 1e-6 (None is never right)."""
    if predicted is None:
        return False
    try:
        predicted = float(predicted)
    except (OverflowError, TypeError, ValueError):
        return False
    return predicted == gold or math.isclose(predicted, gold, rel_tol=1e-6, abs_tol=0.0)
