"""Clustering scores, paired significance, confidence intervals and what each metric means.

- Clustering: ``muc``, ``bcubed`` and ``ceaf_e`` score two clusterings given as item -> cluster id;
  the items of the two need not be the same (twinless items are handled as the CoNLL-2012 reference
  scorer v8.01 handles twinless mentions), and where they are the same these are the textbook
  formulas. ``coreference_scores`` puts the three and their mean (CoNLL F1) together over all gold
  and predicted mentions.
- Significance: ``paired_permutation_test`` is the paired test of two systems over documents (exact
  sign-flip enumeration when small enough, seeded Monte Carlo otherwise); ``smallest_p_note`` says
  the smallest p a design can reach. ``paired_bootstrap`` is the older paired bootstrap (its
  interval of the difference is fine; its p-value is anticonservative on few documents).
- Intervals: ``bootstrap_f1`` gives a seeded document-level percentile interval; ``few_documents_note``
  flags one from fewer than ``FEW_DOCUMENTS`` documents.
- Simulation: ``null_calibration`` and ``bootstrap_coverage`` re-run the simulations behind the
  README's calibration and coverage figures.

Counts and precision/recall/F1 live in ``newsclaims.counts``; a score with nothing to score is None,
never 0 (precision None with nothing predicted, recall None with nothing in the gold, F1 None with
neither, 0 with only one). ``METRIC_INFO`` declares, for every metric, whether higher is better and
how it aggregates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from typing import Any

from newsclaims.counts import f1_score, harmonic_f1, ratio


def _scores(p_num: float, p_den: float, r_num: float, r_den: float) -> dict:
    """Precision, recall and F1 from numerators and denominators, by the house rule: precision None
    with nothing predicted, recall None with nothing in the gold, F1 None with neither and 0 with
    only one of them."""
    p, r = ratio(p_num, p_den), ratio(r_num, r_den)
    if p is None and r is None:
        f1 = None
    elif p is None or r is None:
        f1 = 0.0
    else:
        f1 = harmonic_f1(p, r)
    return {"precision": p, "recall": r, "f1": f1}


# --- Clustering -------------------------------------------------------------------------------
# Each function takes gold and predicted clusterings as item -> cluster id (ids are only labels: a
# bijective renaming on either side changes nothing). An item on one side only ("twinless", in the
# reference scorer's word) stays in its own side's cluster: it counts in that side's sizes and
# denominators and shares nothing with the other side.

def _clusters(assignment: Mapping) -> dict:
    groups = defaultdict(set)
    for item, cluster in assignment.items():
        groups[cluster].add(item)
    return groups


def muc(gold: Mapping, pred: Mapping) -> dict:
    """MUC (Vilain et al. 1995) link-based precision, recall and F1.

    Recall is sum over gold clusters K of (|K| - |p(K)|) over sum of (|K| - 1), where p(K) is the
    partition of K by the predicted clusters, each gold item not predicted being a part of its own;
    precision is the same with the sides swapped. Singletons add nothing to either sum, so recall is
    None when no gold cluster has two items and precision None when no predicted one has (the
    reference scorer prints 0 there). This is the reference scorer v8.01's count of correct links.
    """
    gold_of = dict(gold)
    correct = 0
    for cluster in _clusters(pred).values():
        parts = {gold_of[item] for item in cluster if item in gold_of}
        correct += sum(1 for item in cluster if item in gold_of) - len(parts)
    gold_links = sum(len(c) - 1 for c in _clusters(gold).values())
    pred_links = sum(len(c) - 1 for c in _clusters(pred).values())
    return {**_scores(correct, pred_links, correct, gold_links), "gold_links": gold_links, "predicted_links": pred_links,
            "correct_links": correct}


def bcubed(gold: Mapping, pred: Mapping) -> dict:
    """B-cubed (Bagga and Baldwin 1998) precision, recall and F1.

    For each gold item, recall is the share of its gold cluster that shares its predicted cluster
    (0 for an item not predicted), averaged over gold items; for each predicted item, precision is
    the share of its predicted cluster that shares its gold cluster (0 for an item not in the gold),
    averaged over predicted items. With the same items on both sides this is the textbook B-cubed;
    with different items it is the reference scorer v8.01's (no items added or removed, unlike Cai
    and Strube 2010). ``items`` is the number of gold items.
    """
    # From the contingency table n(G, P) of items shared by a gold and a predicted cluster, in time
    # linear in the items: an item of cell (G, P) adds n/|P| to precision's sum and n/|G| to recall's.
    gold_sizes, pred_sizes = Counter(gold.values()), Counter(pred.values())
    cells = Counter((cluster, pred[item]) for item, cluster in gold.items() if item in pred)
    p_num = r_num = 0.0
    for item, cluster in gold.items():  # a twinless item on either side adds 0 to both sums
        if item in pred:
            n = cells[(cluster, pred[item])]
            p_num += n / pred_sizes[pred[item]]
            r_num += n / gold_sizes[cluster]
    return {**_scores(p_num, len(pred), r_num, len(gold)), "items": len(gold)}


def ceaf_e(gold: Mapping, pred: Mapping) -> dict:
    """Entity-based CEAF (Luo 2005, phi4): gold and predicted clusters aligned one-to-one to maximise
    the summed similarity 2|G & P| / (|G| + |P|); precision divides that sum by the number of
    predicted clusters, recall by the number of gold clusters. Twinless items stay in their clusters
    (reference scorer v8.01). ``items`` is the number of gold items."""
    from fractions import Fraction

    from newsclaims.matching import best_matching

    gold_sets = list(_clusters(gold).values())
    pred_sets = list(_clusters(pred).values())
    where = {}
    for j, cluster in enumerate(pred_sets):
        for item in cluster:
            where[item] = j
    candidates = sorted({(i, where[item]) for i, cluster in enumerate(gold_sets) for item in cluster if item in where})

    def phi4(i: int, j: int) -> Fraction:
        return Fraction(2 * len(gold_sets[i] & pred_sets[j]), len(gold_sets[i]) + len(pred_sets[j]))

    total = float(sum(phi4(i, j) for i, j in best_matching(candidates, lambda i, j: (phi4(i, j),))))
    return {**_scores(total, len(pred_sets), total, len(gold_sets)), "items": len(gold)}


COREFERENCE_CONVENTION = ("CoNLL-2012: all gold and predicted mentions with an entity_id, identified by exact span, "
                          "clusters across documents, singletons kept, twinless mentions as in the reference scorer v8.01")


def coreference_scores(gold: Mapping[Hashable, Hashable | None], predicted: Mapping[Hashable, Hashable | None]) -> dict:
    """End-to-end (cross-document) coreference: MUC, B-cubed, CEAF-e and CoNLL F1 over all mentions.

    ``gold`` and ``predicted`` map each mention, identified by its exact span (e.g. (doc_id, start,
    end)), to its cluster id (an entity_id); a mapping holds each span once, so copies are resolved
    before this. Mentions whose cluster id is None (no entity, e.g. DATE) are left out on both sides.
    Cluster ids are shared across documents, so the corpus is scored as one partition (the
    cross-document convention of ECB+ work), not document by document. Every gold and predicted
    mention counts: a predicted mention with no gold twin (same span) lowers precision, a gold
    mention with no predicted twin lowers recall, exactly as the CoNLL-2012 reference scorer v8.01
    does (Pradhan et al. 2014: B-cubed and CEAF over the mentions as given, MUC over the partitions,
    singletons included). ``conll_f1`` is the mean of the three F1, None if any is None.

    Keys: ``{muc,bcubed,ceafe}_{precision,recall,f1}``, ``conll_f1``, ``gold_mentions``,
    ``predicted_mentions``, ``twin_mentions`` (spans on both sides), ``gold_clusters``,
    ``predicted_clusters`` and ``computed_over``.
    """
    gold_c = {m: c for m, c in gold.items() if c is not None}
    pred_c = {m: c for m, c in predicted.items() if c is not None}
    out: dict[str, Any] = {"computed_over": COREFERENCE_CONVENTION}
    for name, fn in (("muc", muc), ("bcubed", bcubed), ("ceafe", ceaf_e)):
        s = fn(gold_c, pred_c)
        out.update({f"{name}_precision": s["precision"], f"{name}_recall": s["recall"], f"{name}_f1": s["f1"]})
    f1s = [out["muc_f1"], out["bcubed_f1"], out["ceafe_f1"]]
    out["conll_f1"] = None if None in f1s else sum(f1s) / 3
    out.update({"gold_mentions": len(gold_c), "predicted_mentions": len(pred_c), "twin_mentions": len(gold_c.keys() & pred_c.keys()),
                "gold_clusters": len(set(gold_c.values())), "predicted_clusters": len(set(pred_c.values()))})
    return out


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
        out.append(f1_score(*(np.take(counts[:, k], idx).sum(axis=1) for k in range(3))))
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


# --- Paired significance -------------------------------------------------------------------------

EXACT_LIMIT = 2 ** 16  # enumerate every sign flip up to this many assignments, else Monte Carlo
MONTE_CARLO_RESAMPLES = 9_999
_TIE = 1e-12  # |difference| within this of the observed one counts as "as far" (float noise, not a real difference)


def paired_permutation_test(a: dict[str, tuple], b: dict[str, tuple], resamples: int = MONTE_CARLO_RESAMPLES, seed: int = 0,
                            exact_limit: int = EXACT_LIMIT) -> dict:
    """Two-sided paired permutation (sign-flip) test of micro F1(a) - micro F1(b) over documents.

    ``a`` and ``b`` map doc_id to (true positives, predicted, gold) of two systems on the same
    documents (ValueError otherwise). Under the null hypothesis the two systems' counts on each
    document are exchangeable, so swapping them on any subset of documents is as likely as what was
    observed. The statistic is the difference of micro F1 (from counts summed over documents); p is
    the share of swap assignments whose |difference| is at least the observed one (ties count).

    - Documents where the two systems have the same counts change nothing when swapped, so only the
      k documents where they differ are flipped: the 2^n assignments are 2^(n-k) copies of 2^k.
    - Exact when 2^k <= ``exact_limit``: all 2^k assignments, p = (as far) / 2^k; the observed and
      the all-swapped assignment are always as far, so p >= 2 / 2^k (5 documents: 0.0625).
    - Otherwise Monte Carlo: ``resamples`` assignments drawn uniformly with ``seed``, p =
      (as far + 1) / (resamples + 1), which is a valid p-value for any number of resamples and is
      never below 1 / (resamples + 1).
    - An assignment where an F1 is undefined (possible only when the documents hold no gold and one
      system predicts nothing) counts as as far: conservative.
    - When either observed F1 is undefined there is nothing to test: p_value None. With no documents
      every number is None.

    Returns difference, p_value, method ("exact" or "monte carlo"), permutations (assignments
    evaluated), documents, documents_differing, smallest_p (the smallest p this design can give),
    resamples and seed (None when exact).
    """
    import numpy as np

    if set(a) != set(b):
        raise ValueError(f"the two systems were scored on different documents ({len(set(a) ^ set(b))} differ)")
    docs = sorted(a)
    ca = np.asarray([a[d] for d in docs], dtype=float).reshape(len(docs), 3)
    cb = np.asarray([b[d] for d in docs], dtype=float).reshape(len(docs), 3)
    differ = np.flatnonzero(np.any(ca != cb, axis=1))
    k = len(differ)
    exact = 2 ** k <= exact_limit
    out = {"difference": None, "p_value": None, "method": "exact" if exact else "monte carlo",
           "permutations": 2 ** k if exact else resamples, "documents": len(docs), "documents_differing": k,
           "smallest_p": min(1.0, 2 / 2 ** k) if exact else 1 / (resamples + 1),
           "resamples": None if exact else resamples, "seed": None if exact else seed}
    if not docs:
        return {**out, "permutations": None, "smallest_p": None}
    sa, sb = ca.sum(axis=0), cb.sum(axis=0)
    fa, fb = f1_score(*sa), f1_score(*sb)
    if fa is None or fb is None:
        return out
    observed = float(fa - fb)
    if exact:
        swaps = (np.arange(2 ** k)[:, None] >> np.arange(k)) & 1
    else:
        swaps = np.random.default_rng(seed).integers(0, 2, size=(resamples, k))
    # swapping document d moves (b_d - a_d) from b's sums to a's
    shift = swaps.astype(float) @ (cb[differ] - ca[differ])
    diff = f1_score(*(sa + shift).T) - f1_score(*(sb - shift).T)
    far = int(np.count_nonzero(np.isnan(diff) | (np.abs(diff) >= abs(observed) - _TIE)))
    p_value = far / 2 ** k if exact else (far + 1) / (resamples + 1)
    return {**out, "difference": observed, "p_value": min(1.0, p_value)}


def smallest_p_note(test: dict) -> str | None:
    """What a paired test's design allows, for printing beside its p-value: e.g. "with 5 documents
    no difference can reach p < 0.0625". None when nothing was tested."""
    smallest, n, k = test.get("smallest_p"), test.get("documents"), test.get("documents_differing")
    if smallest is None or not n:
        return None
    where = f"{n} documents" + (f" ({k} where the systems differ)" if k != n else "")
    if test["method"] == "exact":
        return f"with {where} no difference can reach p < {smallest:.4g}"
    return f"with {test['resamples']} Monte Carlo resamples no difference can reach p < {smallest:.2g}"


FEW_DOCUMENTS = 10


def few_documents_note(n_documents: int) -> str | None:
    """A caution to print beside a document-bootstrap interval from fewer than ``FEW_DOCUMENTS``
    documents (too few for its nominal 95% coverage: see README "Scoring"), else None."""
    if n_documents >= FEW_DOCUMENTS:
        return None
    return f"from {n_documents} document{'s' if n_documents != 1 else ''}: unreliable (fewer than {FEW_DOCUMENTS})"


# --- Simulation (the README's calibration and coverage figures) ---------------------------------------
# Documents are drawn like the packaged gold under the rules tagger's entities (strict): 40-99 gold
# mentions each; each document has its own detection rate (Beta, mean 0.735, sd 0.07) and spurious
# rate per gold mention (Gamma, mean 0.2, sd 0.055); a system finds each gold mention with the
# detection rate and adds Poisson(rate x gold) spurious ones. "quotes" is harder and more uneven.

SCENARIOS = {
    "entities": {"gold": (40, 100), "detect": (0.735, 0.07), "spurious": (0.2, 0.055)},
    "quotes": {"gold": (10, 25), "detect": (0.3, 0.12), "spurious": (0.4, 0.2)},
}


def _beta(rng, mean: float, sd: float, size):
    concentration = mean * (1 - mean) / sd ** 2 - 1
    return rng.beta(mean * concentration, (1 - mean) * concentration, size)


def _gamma(rng, mean: float, sd: float, size):
    return rng.gamma((mean / sd) ** 2, sd ** 2 / mean, size)


def simulate_documents(rng, n_documents: int, scenario: str = "entities", systems: int = 1):
    """(systems, n_documents, 3) counts (tp, predicted, gold): each system drawn independently on
    the same documents, so any two are exchangeable (the null of equal expected quality)."""
    import numpy as np

    s = SCENARIOS[scenario]
    gold = rng.integers(*s["gold"], size=n_documents)
    detect = _beta(rng, *s["detect"], n_documents)
    spurious = _gamma(rng, *s["spurious"], n_documents)
    tp = rng.binomial(gold, detect, size=(systems, n_documents))
    predicted = tp + rng.poisson(spurious * gold, size=(systems, n_documents))
    return np.stack([tp, predicted, np.broadcast_to(gold, tp.shape)], axis=2).astype(float)


def true_f1(scenario: str = "entities") -> float:
    """The population micro F1 of a ``simulate_documents`` system: 2 E[tp] / (E[predicted] + E[gold])
    (gold size, detection and spurious rates are independent)."""
    s = SCENARIOS[scenario]
    detect, spurious = s["detect"][0], s["spurious"][0]
    return 2 * detect / (detect + spurious + 1)


def null_calibration(n_documents: int, datasets: int = 2000, alphas=(0.05, 0.01), seed: int = 0, scenario: str = "entities",
                     test: str = "permutation", resamples: int = MONTE_CARLO_RESAMPLES) -> dict:
    """Share of simulated null datasets (two exchangeable systems) whose paired p-value is <= alpha,
    for ``paired_permutation_test`` (test="permutation") or ``paired_bootstrap`` ("bootstrap"), with
    the Monte Carlo standard error of each share."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ps = []
    for k in range(datasets):
        counts = simulate_documents(rng, n_documents, scenario, systems=2)
        a, b = ({f"d{i:03d}": tuple(c) for i, c in enumerate(counts[s])} for s in (0, 1))
        run = paired_permutation_test if test == "permutation" else paired_bootstrap
        ps.append(run(a, b, resamples, seed + 1 + k)["p_value"])
    p_values = np.asarray(ps, dtype=float)
    return {"n_documents": n_documents, "datasets": datasets, "test": test,
            "rejections": {a: float(np.mean(p_values <= a)) for a in alphas},
            "standard_error": {a: float(np.sqrt(a * (1 - a) / datasets)) for a in alphas}}


def bootstrap_coverage(n_documents: int, datasets: int = 2000, resamples: int = 1000, seed: int = 0,
                       scenario: str = "entities") -> dict:
    """Share of simulated datasets whose ``bootstrap_f1`` 95% interval holds the true F1, with its
    Monte Carlo standard error and the mean interval width."""
    import numpy as np

    rng = np.random.default_rng(seed)
    truth = true_f1(scenario)
    hits, widths = 0, []
    for k in range(datasets):
        counts = simulate_documents(rng, n_documents, scenario)[0]
        low, high = bootstrap_f1([tuple(c) for c in counts], resamples, seed + 1 + k)
        assert low is not None and high is not None, "the simulated documents always have gold"
        hits += low <= truth <= high
        widths.append(high - low)
    coverage = hits / datasets
    return {"n_documents": n_documents, "datasets": datasets, "scenario": scenario, "true_f1": truth, "coverage": coverage,
            "standard_error": float(np.sqrt(coverage * (1 - coverage) / datasets)), "mean_width": float(np.mean(widths))}


METRIC_INFO = {
    "f1": {"higher_is_better": True, "aggregation": "micro: from counts summed over documents"},
    "precision": {"higher_is_better": True, "aggregation": "micro: from counts summed over documents"},
    "recall": {"higher_is_better": True, "aggregation": "micro: from counts summed over documents"},
    "macro_f1": {"higher_is_better": True, "aggregation": "mean of per-label F1 over labels with any span"},
    "accuracy": {"higher_is_better": True, "aggregation": "right / total over overlap-matched pairs"},
    "p_value": {"higher_is_better": False,
                "aggregation": "two-sided paired permutation (sign-flip) test of the micro F1 difference over documents: exact "
                               f"enumeration up to {EXACT_LIMIT} assignments, else {MONTE_CARLO_RESAMPLES} seeded Monte Carlo "
                               "resamples; printed with the smallest p the design can reach"},
    "ci95": {"higher_is_better": None, "aggregation": "percentile 95% interval of a seeded document-level bootstrap; "
                                                      f"flagged as unreliable from fewer than {FEW_DOCUMENTS} documents"},
    "bcubed_f1": {"higher_is_better": True, "aggregation": "mean over items of per-item precision and recall"},
    "ceaf_e_f1": {"higher_is_better": True, "aggregation": "optimal cluster alignment, phi4 similarity"},
    "muc_f1": {"higher_is_better": True, "aggregation": "links: correct links over gold links (R) and over predicted links (P)"},
    "conll_f1": {"higher_is_better": True, "aggregation": "mean of MUC, B-cubed and CEAF-e F1 over all mentions (CoNLL-2012)"},
}
