"""Label lists, read from the schema (the single source of truth), and what the package knows of each layer."""

from __future__ import annotations

from dataclasses import dataclass

from .schema import load_schema

_DEFS = load_schema("common")["$defs"]

ENTITY_LABELS: tuple[str, ...] = tuple(_DEFS["entity_label"]["enum"])
UNLINKED_ENTITY_LABELS: frozenset[str] = frozenset(_DEFS["unlinked_entity_label"]["enum"])
QUOTE_TYPES: tuple[str, ...] = tuple(_DEFS["quote_type"]["enum"])
APPROX_VALUES: tuple[str, ...] = tuple(_DEFS["approx"]["enum"])
AUTHOR = "author"  # source_id of a figure the article asserts itself; never a knowledge-base id
BIO_TAGS: tuple[str, ...] = ("O",) + tuple(f"{p}-{label}" for label in ENTITY_LABELS for p in ("B", "I"))


@dataclass(frozen=True)
class Layer:
    """One annotation layer, described once for every module that reads, checks, compares or scores it.

    - ``label_field`` holds the class of a record and ``labels`` its vocabulary (counts and scores per label).
    - ``span_fields`` are the fields that hold a span of their own in the document (``{start, end, text}`` or
      null), placed and checked like the record's span: a quote's speaker and cue, a claim's source.
    - ``attribution`` is the span field saying who the record is attributed to; ``<attribution>_id`` is its
      knowledge-base id. Entities have none.
    - ``attributes`` are the fields two annotations of one span are compared on, in report order.
      ``judged_attributes`` are the same as a prediction is judged: the attribution's id and span are one
      judgement, named by the attribution.
    - ``main_score`` / ``main_score_description``: the one number a leaderboard ranks the layer by.
    - ``per_label_path``: where a layer's result (report.json ``layers.<layer>``) keeps its counts per label
      (same boundaries, within the label: strict for entities, exact span for the others).
    - ``label_studio_prefix`` begins the Label Studio region id of each of the layer's records.
    """

    name: str
    label_field: str
    labels: tuple[str, ...]
    span_fields: tuple[str, ...]
    attribution: str | None
    attributes: tuple[str, ...]
    main_score: str
    main_score_description: str
    per_label_path: tuple[str, ...]
    label_studio_prefix: str

    @property
    def judged_attributes(self) -> tuple[str, ...]:
        return tuple(name for name in self.attributes if self.attribution is None or name != f"{self.attribution}_id")


LAYER_SPECS: dict[str, Layer] = {spec.name: spec for spec in (
    Layer("entities", "label", ENTITY_LABELS, span_fields=(), attribution=None, attributes=("label", "entity_id"),
          main_score="strict micro F1",
          main_score_description="entity mentions with the same boundaries and type as a gold mention",
          per_label_path=("schemes", "strict", "per_label"), label_studio_prefix="ent-"),
    Layer("quotes", "type", QUOTE_TYPES, span_fields=("speaker", "cue"), attribution="speaker",
          attributes=("type", "speaker_id", "cue", "speaker"),
          main_score="end-to-end quote+speaker F1",
          main_score_description="quotes sharing enough tokens with a gold quote (token F1 >= 0.5) whose speaker is right",
          per_label_path=("content", "per_type_exact_span"), label_studio_prefix="quote-"),
    Layer("numeric_claims", "approx", APPROX_VALUES, span_fields=("source",), attribution="source",
          attributes=("value", "unit", "approx", "source_id", "source"),
          main_score="end-to-end claim F1",
          main_score_description="claims with exactly a gold claim's span and the right value, unit and source",
          per_label_path=("span", "per_approx_exact_span"), label_studio_prefix="num-"),
)}
LAYERS: tuple[str, ...] = tuple(LAYER_SPECS)
