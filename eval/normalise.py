"""Moved to ``newsclaims.normalise`` (the core: agreement judges by the same rule). Kept only for eval/scoring.py's
import until it reads ``newsclaims.normalise`` itself; delete this file then."""

from newsclaims.normalise import fold_unit, same_value

__all__ = ["fold_unit", "same_value"]
