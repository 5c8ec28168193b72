"""Reference baselines (newsclaims.baselines), each a --model name for newsclaims eval (the names are
registered in ``newsclaims.eval.adapters.callables.BASELINES``: the baselines build on the harness,
never the other way round).

- ``rules``: hand-written patterns of English news writing; no training, no downloads (the default).
- ``sklearn``: a token tagger trained leave-one-document-out with scikit-learn (pip install newsclaims[sklearn]).
- ``spacy``: any spaCy pipeline (``spacy:NAME_OR_PATH``) mapped onto the entity and numeric-claim layers
  (pip install newsclaims[spacy]).
"""
