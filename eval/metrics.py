"""Clustering scores, confidence intervals and what each metric means.

B-cubed and CEAF-e score two clusterings of the same items; ``bootstrap_f1`` gives a seeded
document-level percentile interval and ``paired_bootstrap`` a paired test of two systems. Counts and
precision/recall/F1 live in ``newsclaims.counts``. ``METRIC_INFO`` declares, for every metric,
whether higher is better and how it aggregates.
"""

from __future__ import annotations

from collections import defaultdict

from newsclaims.counts import f1_score, harmonic_f1


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
    return {"precision": p, "recall": r, "f1": harmonic_f1(p, r), "items": len(items)}


def ceaf_e(gold: dict, pred: dict) -> dict:
    """Entity-based CEAF (phi4): clusters aligned one-to-one to maximise the summed similarity
    2|G & P| / (|G| + |P|); precision divides that sum by the number of predicted clusters, recall by
    the number of gold clusters."""
    from fractions import Fraction

    from newsclaims.matching import best_matching

    gold_sets = list(_clusters(gold).values())
    pred_sets = list(_clusters(pred).values())
    if not gold_sets:
        return {"precision": None, "recall": None, "f1": None, "items": 0}
    where = {}
    for j, cluster in enumerate(pred_sets):
        for item in cluster:
            where[item] = j
    candidates = sorted({(i, where[item]) for i, cluster in enumerate(gold_sets) for item in cluster})

    def phi4(i: int, j: int) -> Fraction:
        return Fraction(2 * len(gold_sets[i] & pred_sets[j]), len(gold_sets[i]) + len(pred_sets[j]))

    total = float(sum(phi4(i, j) for i, j in best_matching(candidates, lambda i, j: (phi4(i, j),))))
    p, r = total / len(pred_sets), total / len(gold_sets)
    return {"precision": p, "recall": r, "f1": harmonic_f1(p, r), "items": len(gold)}


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
    f1 = _resampled_f1(counts, resamples, np.random.default_rng(seed))
    f1 = f1[~np.isnan(f1)]
    if len(f1) == 0:
        return None, None
    low, high = np.percentile(f1, [2.5, 97.5])
    return float(low), float(high)


def _resampled_f1(counts, resamples: int, rng):
    """F1 of each bootstrap resample of the documents (NaN where nothing is predicted or gold).

    Resamples are drawn in chunks so that memory stays small however many documents there are; the
    random stream is the same as one draw of (resamples, documents) indices.
    """
    import numpy as np

    n = len(counts)
    chunk = max(1, min(resamples, 2_000_000 // max(1, n)))
    out = []
    for first in range(0, resamples, chunk):
        idx = rng.integers(0, n, size=(min(chunk, resamples - first), n))
        s = np.stack([np.take(counts[:, k], idx).sum(axis=1) for k in range(3)], axis=1)
        out.append(f1_score(s[:, 0], s[:, 1], s[:, 2]))
    return np.concatenate(out)


def paired_bootstrap(a: dict[str, tuple], b: dict[str, tuple], resamples: int = 1000, seed: int = 0) -> dict:
    """Paired bootstrap of F1(a) - F1(b): the same documents resampled together.

    ``a`` and ``b`` map doc_id to (true positives, predicted, gold); they must hold the same
    documents (ValueError otherwise). Documents are taken in doc_id order, so the result does not
    depend on the order given. A resample where either F1 is undefined (nothing predicted and
    nothing in the gold) is dropped, as in ``bootstrap_f1``. The two-sided p-value is smoothed,
    (1 + resamples on the far side of zero) / (1 + resamples used), doubled and capped at 1, so it
    is never reported as 0. With no documents every field is None.
    """
    import numpy as np

    if set(a) != set(b):
        raise ValueError(f"the two systems were scored on different documents ({len(set(a) ^ set(b))} differ)")
    docs = sorted(a)
    if not docs:
        return {"difference": None, "ci95": [None, None], "p_value": None, "resamples": 0, "documents": 0}
    ca = np.asarray([a[d] for d in docs], dtype=float)
    cb = np.asarray([b[d] for d in docs], dtype=float)

    fa, fb = (f1_score(*counts.sum(axis=0)) for counts in (ca, cb))
    if fa is None or fb is None:
        return {"difference": None, "ci95": [None, None], "p_value": None, "resamples": 0, "documents": len(docs)}
    diff = _resampled_f1(ca, resamples, np.random.default_rng(seed)) - _resampled_f1(cb, resamples, np.random.default_rng(seed))
    diff = diff[~np.isnan(diff)]
    delta = float(fa - fb)
    if len(diff) == 0:
        return {"difference": delta, "ci95": [None, None], "p_value": None, "resamples": 0, "documents": len(docs)}
    low, high = np.percentile(diff, [2.5, 97.5])
    far = int(np.sum(diff <= 0)) if delta > 0 else int(np.sum(diff >= 0)) if delta < 0 else len(diff)
    p_value = min(1.0, 2 * (far + 1) / (len(diff) + 1))
    return {"difference": delta, "ci95": [float(low), float(high)], "p_value": p_value, "resamples": int(len(diff)),
            "documents": len(docs)}


METRIC_INFO = {
    "f1": {"higher_is_better": True, "aggregation": "micro: from counts summed over documents"},
    "precision": {"higher_is_better": True, "aggregation": "micro: from counts summed over documents"},
    "recall": {"higher_is_better": True, "aggregation": "micro: from counts summed over documents"},
    "macro_f1": {"higher_is_better": True, "aggregation": "mean of per-label F1 over labels with any span"},
    "accuracy": {"higher_is_better": True, "aggregation": "right / total over overlap-matched pairs"},
    "p_value": {"higher_is_better": False, "aggregation": "paired bootstrap over documents, smoothed, two-sided"},
    "bcubed_f1": {"higher_is_better": True, "aggregation": "mean over items of per-item precision and recall"},
    "ceaf_e_f1": {"higher_is_better": True, "aggregation": "optimal cluster alignment, phi4 similarity"},
}
