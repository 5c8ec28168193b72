"""Counts of an annotation set per layer, label and document (``newsclaims stats``)."""

from __future__ import annotations

from collections import Counter

from .corpus import AnnotationSet, Corpus
from .labels import LAYER_SPECS, LAYERS


def annotation_stats(corpus: Corpus, ann: AnnotationSet) -> dict:
    """Counts as plain data: per document and layer, per layer and label, registry sizes."""
    per_document = {}
    per_label: dict[str, Counter[str]] = {layer: Counter() for layer in LAYERS}
    for doc_id in sorted(ann.documents, key=lambda d: corpus.documents[d].fold):
        doc = ann.documents[doc_id]
        per_document[doc_id] = {"chars": len(corpus.documents[doc_id].text), **{layer: len(doc[layer]) for layer in LAYERS}}
        for layer in LAYERS:
            field = LAYER_SPECS[layer].label_field
            per_label[layer].update(record[field] for record in doc[layer])
    return {
        "documents": len(ann.documents),
        "per_document": per_document,
        "totals": {layer: sum(d[layer] for d in per_document.values()) for layer in LAYERS},
        "per_label": {layer: {name: per_label[layer][name] for name in LAYER_SPECS[layer].labels} for layer in LAYERS},
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
        counts = ", ".join(f"{name} {n}" for name, n in stats["per_label"][layer].items() if n)
        lines.append(f"{layer} by {LAYER_SPECS[layer].label_field}: {counts or 'none'}")
    lines.append(f"knowledge base: {stats['kb_entities']} entities ({stats['linked_entities_mentioned']} mentioned); "
                 f"claim groups: {stats['claim_groups']}; quote groups: {stats['quote_groups']}")
    return "\n".join(lines)


def _fmt_value(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def conflicts(corpus: Corpus, ann: AnnotationSet) -> dict:
    """Per claim group, each article's figures; per quote group, each article's speakers."""
    claims: dict[str, list] = {group_id: [] for group_id in sorted(ann.claim_groups)}
    for doc_id, record in ann.records("numeric_claims"):
        claims[record["claim_group"]].append({
            "doc_id": doc_id, "text": record["text"], "value": record["value"], "unit": record["unit"],
            "approx": record["approx"], "source_id": record["source_id"],
            "source": record["source"]["text"] if record["source"] else None})
    quotes: dict[str, list] = {group_id: [] for group_id in sorted(ann.quote_groups)}
    for doc_id, record in ann.records("quotes"):
        if record["quote_group"] is not None:
            quotes[record["quote_group"]].append({
                "doc_id": doc_id, "type": record["type"], "speaker_id": record["speaker_id"],
                "speaker": record["speaker"]["text"] if record["speaker"] else None, "text": record["text"]})
    return {"claim_groups": claims, "quote_groups": quotes}


def format_conflicts(corpus: Corpus, ann: AnnotationSet, view: dict) -> str:
    lines = []
    for group_id, rows in view["claim_groups"].items():
        values = {(r["value"], r["unit"]) for r in rows}
        sources = {r["source_id"] for r in rows}
        flag = " [values differ]" if len(values) > 1 else ""
        flag += " [sources differ]" if len(sources) > 1 else ""
        lines.append(f"claim group {group_id}: {ann.claim_groups[group_id]['description']}{flag}")
        for r in sorted(rows, key=lambda r: (corpus.documents[r["doc_id"]].fold, r["value"])):
            source = r["source_id"] or "unidentified"
            if r["source"]:
                source += f" ({r['source']})"
            lines.append(f"  {r['doc_id']}  {_fmt_value(r['value']):>9} {r['unit'] or '-'}  {r['approx']}  source: {source}  «{r['text']}»")
    for group_id, rows in view["quote_groups"].items():
        speakers = {r["speaker_id"] for r in rows}
        flag = " [speakers differ]" if len(speakers) > 1 else ""
        lines.append(f"quote group {group_id}: {ann.quote_groups[group_id]['description']}{flag}")
        for r in sorted(rows, key=lambda r: corpus.documents[r["doc_id"]].fold):
            speaker = r["speaker_id"] or "unidentified"
            if r["speaker"]:
                speaker += f" ({r['speaker']})"
            excerpt = r["text"] if len(r["text"]) <= 70 else r["text"][:67] + "..."
            lines.append(f"  {r['doc_id']}  {r['type']:<8}  speaker: {speaker}  «{excerpt}»".replace("\n", " "))
    return "\n".join(lines)


# --- Markdown views, inserted into DATASHEET.md and the dataset card ------------------------------

def counts_markdown(corpus: Corpus, ann: AnnotationSet) -> str:
    stats = annotation_stats(corpus, ann)
    lines = ["| document | characters | entity mentions | quotes (direct / indirect) | numeric claims |", "|---|---|---|---|---|"]
    for doc_id, counts in stats["per_document"].items():
        types = Counter(q["type"] for q in ann.documents[doc_id]["quotes"])
        lines.append(f"| {doc_id} | {counts['chars']:,} | {counts['entities']} | {counts['quotes']} ({types['direct']} / {types['indirect']}) "
                     f"| {counts['numeric_claims']} |")
    totals = stats["totals"]
    types = stats["per_label"]["quotes"]
    lines.append(f"| **total** | {sum(c['chars'] for c in stats['per_document'].values()):,} | {totals['entities']} | "
                 f"{totals['quotes']} ({types['direct']} / {types['indirect']}) | {totals['numeric_claims']} |")
    labels = ", ".join(f"{name} {n}" for name, n in stats["per_label"]["entities"].items() if n)
    approx = ", ".join(f"{name} {n}" for name, n in stats["per_label"]["numeric_claims"].items() if n)
    lines += ["", f"Entity mentions by label: {labels}.", f"Numeric claims by approximation: {approx}.",
              f"Knowledge base: {stats['kb_entities']} entities ({sum(1 for e in ann.kb.values() if e['wikidata'])} with a "
              f"Wikidata QID); {stats['claim_groups']} claim groups; {stats['quote_groups']} quote groups."]
    return "\n".join(lines)


def conflicts_markdown(corpus: Corpus, ann: AnnotationSet) -> str:
    view = conflicts(corpus, ann)
    lines = ["| claim group | document | figure | value | approx | unit | source |", "|---|---|---|---|---|---|---|"]
    for group_id, rows in view["claim_groups"].items():
        for r in sorted(rows, key=lambda r: (corpus.documents[r["doc_id"]].fold, r["value"])):
            source = r["source_id"] or "unidentified"
            lines.append(f"| {group_id} | {r['doc_id'][:3]} | {r['text']} | {_fmt_value(r['value'])} | {r['approx']} | "
                         f"{r['unit'] or '-'} | {source} |")
    lines += ["", "| quote group | document | type | speaker |", "|---|---|---|---|"]
    for group_id, rows in view["quote_groups"].items():
        for r in sorted(rows, key=lambda r: corpus.documents[r["doc_id"]].fold):
            lines.append(f"| {group_id} | {r['doc_id'][:3]} | {r['type']} | {r['speaker_id'] or 'unidentified'} |")
    return "\n".join(lines)


def agreement_summary_markdown(report: dict) -> str:
    """The headline agreement figures of two passes (the full table is annotations/AGREEMENT.md)."""
    def f(x):
        return "n/a" if x is None else f"{x:.3f}"

    lines = ["| layer | records (pass a / b) | strict F1 | overlap F1 | attribute agreement on matched records |",
             "|---|---|---|---|---|"]
    for layer, n in report["layers"].items():
        attrs = ", ".join(f"{k.removesuffix('_accuracy')} {f(v)}" for k, v in n.items() if k.endswith("_accuracy"))
        lines.append(f"| {layer} | {n['count_a']} / {n['count_b']} | {f(n['strict_f1'])} | {f(n['overlap_f1'])} | {attrs} |")
    return "\n".join(lines)
