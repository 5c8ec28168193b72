"""The package's one matcher: spans paired one-to-one, optimal under a lexicographic rank.

Two rooms: ``candidates`` (the span front end: which pairs share a character, their overlap rank,
spans of a whole corpus as arrays) and ``assignment`` (the one prune and the exact assignment, for
any ranked candidate pairs). Scoring (``newsclaims.eval``) and inter-annotator agreement
(``newsclaims.agreement``) both use it; a scheme's rank lives with the scheme (``eval/schemes.py``).
"""

from .assignment import Rank, best_matching, match, prune
from .candidates import (
    EMPTY,
    MIN_TOKEN_F1,
    SpanArrays,
    candidates,
    match_overlap,
    overlap,
    overlap_rank,
    overlap_rank_columns,
    overlapping_pairs,
    pair_facts,
)

__all__ = ["EMPTY", "MIN_TOKEN_F1", "Rank", "SpanArrays", "best_matching", "candidates", "match", "match_overlap", "overlap", "overlap_rank",
           "overlap_rank_columns", "overlapping_pairs", "pair_facts", "prune"]
