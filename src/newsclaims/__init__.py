"""newsclaims: who said what, and how many, in news text.

A gold-annotated benchmark of named entities (linked across documents), quotes (direct and
indirect, with speakers) and numeric claims (value, unit, approximation, source).

    >>> import newsclaims
    >>> gold = newsclaims.load_gold()          # validated; does not import datasets
    >>> corpus = newsclaims.load_corpus()      # the seed articles, checksums verified
"""

from .corpus import AnnotationSet, Corpus, Document, load_annotation_set, load_corpus, load_gold

# The code version, kept equal to pyproject.toml's by tests/test_schema_paths.py. A constant, not
# importlib.metadata: that import alone costs ~50 ms of every command's start-up.
__version__ = "0.6.0"

__all__ = ["AnnotationSet", "Corpus", "Document", "load_annotation_set", "load_corpus", "load_gold", "__version__"]


def __getattr__(name: str):
    # load_dataset imports datasets only when called; importing newsclaims stays light.
    if name == "load_dataset":
        from .hf import load_dataset

        return load_dataset
    raise AttributeError(f"module 'newsclaims' has no attribute {name!r}")
