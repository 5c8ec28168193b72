"""Label lists, read from the schema (the single source of truth)."""

from __future__ import annotations

from .schema import load_schema

_DEFS = load_schema("common")["$defs"]

ENTITY_LABELS: tuple[str, ...] = tuple(_DEFS["entity_label"]["enum"])
UNLINKED_ENTITY_LABELS: frozenset[str] = frozenset(_DEFS["unlinked_entity_label"]["enum"])
QUOTE_TYPES: tuple[str, ...] = tuple(_DEFS["quote_type"]["enum"])
APPROX_VALUES: tuple[str, ...] = tuple(_DEFS["approx"]["enum"])
AUTHOR = "author"  # source_id of a figure the article asserts itself; never a knowledge-base id
LAYERS: tuple[str, ...] = ("entities", "quotes", "numeric_claims")
BIO_TAGS: tuple[str, ...] = ("O",) + tuple(f"{p}-{label}" for label in ENTITY_LABELS for p in ("B", "I"))
