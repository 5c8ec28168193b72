"""Counts of an annotation set per layer, label and document (``newsclaims stats``)."""

from __future__ import annotations

from collections import Counter

from .corpus import AnnotationSet, Corpus
from .labels import APPROX_VALUES, ENTITY_LABELS, LAYERS, QUOTE_TYPES

LABEL_FIELD = {"entities": ("label", ENTITY_LABELS), "quotes": ("type", QUOTE_TYPES), "numeric_claims": ("approx", APPROX_VALUES)}


def annotation_stats(corpus: Corpus, ann: AnnotationSet) -> dict:
    """Counts as plain data: per document and layer, per layer and label, registry sizes."""
    per_document = {}
    per_label = {layer: Counter() for layer in LAYERS}
    for doc_id in sorted(ann.documents, key=lambda d: corpus.documents[d].fold):
        doc = ann.documents[doc_id]
        per_document[doc_id] = {"chars": len(corpus.documents[doc_id].text), **{layer: len(doc[layer]) for layer in LAYERS}}
        for layer in LAYERS:
            field, _ = LABEL_FIELD[layer]
            per_label[layer].update(record[field] for record in doc[layer])
    return {
        "documents": len(ann.documents),
        "per_document": per_document,
        "totals": {layer: sum(d[layer] for d in per_document.values()) for layer in LAYERS},
        "per_label": {layer: {name: per_label[layer][name] for name in LABEL_FIELD[layer][1]} for layer in LAYERS},
        "kb_entities": len(ann.kb),
        "linked_entities_mentioned": len({r["entity_id"] for _, r in ann.records("entities") if r["entity_id"]}),
        "claim_groups": len(ann.claim_groups),
        "quote_groups": len(ann.quote_groups),
    }


def format_stats(stats: dict) -> str:
    rows = [["document", "chars", *LAYERS]]
    for doc_id, counts in stats["per_document"].items():
        rows.append([doc_id, str(counts["chars"]), *(str(counts[layer]) for layer in LAYERS)])
    rows.append(["total", str(sum(c["chars"] for c in stats["per_document"].values())), *(str(stats["totals"][layer]) for layer in LAYERS)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    for layer in LAYERS:
        field, _ = LABEL_FIELD[layer]
        counts = ", ".join(f"{name} {n}" for name, n in stats["per_label"][layer].items() if n)
        lines.append(f"{layer} by {field}: {counts or 'none'}")
    lines.append(f"knowledge base: {stats['kb_entities']} entities ({stats['linked_entities_mentioned']} mentioned); "
                 f"claim groups: {stats['claim_groups']}; quote groups: {stats['quote_groups']}")
    return "\n".join(lines)
