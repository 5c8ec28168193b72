"""The ``sklearn`` baseline: a token tagger for entities, trained leave-one-document-out.

Tokens (``newsclaims.tokens``) get features — the word, its shape, affixes, capitalisation, its
neighbours and hits in the rules baseline's word lists — turned into vectors by DictVectorizer and
tagged IOB2 by a logistic regression; tags are decoded into character spans. Each document is
tagged by a model trained on the gold of the *other* documents only (its fold), so no document's
own gold is ever seen when tagging it. Seeded and deterministic. Entities only: quotes and numeric
claims are left out, so those layers are "not predicted".

Native thread pools (OpenMP, OpenBLAS, MKL) are limited to one thread each, once per process, the
first time the tagger trains (threadpoolctl): parallelism is ``--workers`` documents at a time and
nothing more, so N workers use N cores instead of N times every core (on a busy 2-core machine an
unlimited run took 24-33 s instead of about 3 s).
"""

from __future__ import annotations

import re
import threading
from functools import cache, lru_cache

from newsclaims.tokens import bio_tags, spans_from_bio, tokenize

from . import rules

SEED = 0
NATIVE_THREADS = 1
_LOCK = threading.Lock()


def limit_native_threads() -> None:
    """Limit OpenMP/BLAS pools to NATIVE_THREADS threads for the rest of the process.

    Set, not entered as a context: threadpoolctl's limits are process-wide, so a context entered and
    left by several worker threads would undo another thread's limit mid-call. Applied again on each
    call (about 4 ms, once per document) because it reaches only libraries already loaded.
    """
    from newsclaims.extras import require

    # Load every library the tagger uses first, so that the first call limits them all (and a missing one is one line).
    for module in ("sklearn.feature_extraction", "sklearn.linear_model", "threadpoolctl"):
        require(module, "sklearn", "--model sklearn")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=NATIVE_THREADS)


def _shape(word: str) -> str:
    shape = re.sub(r"[A-Z]", "X", word)
    shape = re.sub(r"[a-z]", "x", shape)
    shape = re.sub(r"\d", "d", shape)
    return re.sub(r"(.)\1{2,}", r"\1\1", shape)


def _lexicon(word: str) -> list[str]:
    low = word.lower()
    hits = []
    for name, words in (("nationality", rules.NATIONALITIES), ("country", rules.COUNTRIES), ("region", rules.REGIONS),
                        ("org", rules.ORG_WORDS), ("title", rules.TITLES), ("month", rules.MONTHS), ("day", rules.DAYS),
                        ("time_unit", rules.TIME_UNITS), ("starter", rules.SENTENCE_STARTERS)):
        if low in words or low.rstrip("s") in words:
            hits.append(name)
    return hits


def token_features(text: str, spans: list[tuple[int, int]]) -> list[dict]:
    words = [text[s:e] for s, e in spans]
    out = []
    for i, word in enumerate(words):
        f = {"bias": 1.0, "w": word.lower(), "shape": _shape(word), "pre2": word[:2].lower(), "suf3": word[-3:].lower(),
             "title": word.istitle(), "upper": word.isupper(), "digit": word.isdigit(),
             "line_start": spans[i][0] == 0 or text[spans[i][0] - 1] == "\n"}
        for hit in _lexicon(word):
            f[f"lex={hit}"] = 1.0
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < len(words):
                f[f"{offset}:w"] = words[j].lower()
                f[f"{offset}:shape"] = _shape(words[j])
                for hit in _lexicon(words[j]):
                    f[f"{offset}:lex={hit}"] = 1.0
            else:
                f[f"{offset}:w"] = "<edge>"
        out.append(f)
    return out


def document_examples(text: str, entities: list[dict]) -> tuple[list[dict], list[str]]:
    entity_spans = sorted((e["start"], e["end"], e["label"]) for e in entities)
    spans = tokenize(text, [b for s, e, _ in entity_spans for b in (s, e)])
    return token_features(text, spans), bio_tags(spans, entity_spans)


class Tagger:
    """A fitted vectoriser and classifier."""

    def __init__(self, training: list[tuple[str, list[dict]]]):
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        features, tags = [], []
        for text, entities in training:
            f, t = document_examples(text, entities)
            features += f
            tags += t
        self.vectorizer = DictVectorizer(sparse=True)
        matrix = self.vectorizer.fit_transform(features)
        self.model = LogisticRegression(max_iter=2000, C=5.0, random_state=SEED)
        self.model.fit(matrix, tags)

    def entities(self, text: str) -> list[dict]:
        spans = tokenize(text)
        if not spans:
            return []
        tags = list(self.model.predict(self.vectorizer.transform(token_features(text, spans))))
        out = []
        for start, end, label in spans_from_bio(spans, tags):
            name = text[start:end]
            entity_id = None if label in ("DATE", "TIME") else re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
            out.append({"start": start, "end": end, "label": label, "entity_id": entity_id})
        return out


def training_set(gold, held_out: str | None) -> list[tuple[str, list[dict]]]:
    """The gold of every document except the held-out one: a fold's whole training data."""
    return [(gold.texts[d], gold.layers["entities"][d]) for d in gold.texts if d != held_out]


@lru_cache(maxsize=1)
def _packaged_gold():
    from newsclaims.eval.gold import load_gold_data

    return load_gold_data()


@cache
def _fold_tagger(held_out: str | None) -> Tagger:
    """The model trained on every packaged document but ``held_out`` (None: on all of them)."""
    return Tagger(training_set(_packaged_gold(), held_out))


def predict(document: dict) -> dict:
    """Entities of one document, from the model of the fold that holds this document out."""
    with _LOCK:  # one fold is trained once even with several workers
        limit_native_threads()
        # A document outside the packaged gold holds nothing out: all such documents share one model
        # (keyed by the training set, not the document, so 50 new documents train once, not 50 times).
        doc_id = document["doc_id"]
        tagger = _fold_tagger(doc_id if doc_id in _packaged_gold().texts else None)
    return {"doc_id": document["doc_id"], "entities": tagger.entities(document["text"])}
