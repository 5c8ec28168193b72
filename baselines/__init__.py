"""Reference baselines (newsclaims.baselines), each a --model name for newsclaims eval.

- ``rules``: hand-written patterns of English news writing; no training, no downloads (the default).
- ``sklearn``: a token tagger trained leave-one-document-out with scikit-learn (pip install newsclaims[sklearn]).
- ``spacy``: an installed spaCy pipeline mapped onto the three layers (pip install newsclaims[spacy]).
"""

REGISTRY = {
    "rules": "newsclaims.baselines.rules:predict",
    "sklearn": "newsclaims.baselines.sklearn_tagger:predict",
    "spacy": "newsclaims.baselines.spacy_adapter:predict",
}
