"""Agreement between two annotation sets (``newsclaims agree``), layer by layer.

Spans are paired one-to-one by the package's one matcher (``newsclaims.matching``) in two ways:
- strict: identical boundaries (and, for entities, the same label);
- overlap: the most pairs sharing a character, then the most shared characters, then the tightest
  pairs (``newsclaims.matching.overlap_rank``).
F1 between two annotators is 2 * matched / (count A + count B) (``newsclaims.counts.f1_score``), which is
symmetric. Attribute
agreement is measured only on overlap-matched pairs, so a span disagreement is not counted twice;
it is None when there is no pair to compare. An attribute that is a span (``Layer.span_fields``) agrees
when both passes give the same boundaries or both give none; a value and a unit agree by the rule scoring
judges predictions by (``newsclaims.normalise``: relative 1e-6, units folded for case and plural).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .corpus import AnnotationSet
from .counts import f1_score
from .labels import LAYER_SPECS, LAYERS
from .matching import best_matching, overlap, overlap_rank, overlapping_pairs
from .normalise import same_unit, same_value


def _same(layer: str, attr: str, a, b) -> bool:
    if attr == "value":
        return same_value(a, b)
    if attr == "unit":
        return same_unit(a, b)
    if attr in LAYER_SPECS[layer].span_fields:
        return (a is None and b is None) or (a is not None and b is not None and (a["start"], a["end"]) == (b["start"], b["end"]))
    return a == b


@dataclass
class LayerAgreement:
    layer: str
    count_a: int = 0
    count_b: int = 0
    strict: int = 0
    overlap: int = 0
    attr_same: dict[str, int] = field(default_factory=dict)
    attr_total: int = 0

    def as_dict(self) -> dict:
        out = {"count_a": self.count_a, "count_b": self.count_b,
               "strict_matched": self.strict, "strict_f1": f1_score(self.strict, self.count_a, self.count_b),
               "overlap_matched": self.overlap, "overlap_f1": f1_score(self.overlap, self.count_a, self.count_b)}
        for attr, same in self.attr_same.items():
            out[f"{attr}_accuracy"] = None if self.attr_total == 0 else same / self.attr_total
        return out


def match_layer(layer: str, records_a: list[dict], records_b: list[dict]) -> tuple[list, list]:
    """(strict pairs, overlap pairs) of record indices between two annotators' records of one document."""
    spans_a = [(r["start"], r["end"]) for r in records_a]
    spans_b = [(r["start"], r["end"]) for r in records_b]
    candidates = overlapping_pairs(spans_a, spans_b)

    def strict_rank(i, j):
        same = spans_a[i] == spans_b[j] and (layer != "entities" or records_a[i]["label"] == records_b[j]["label"])
        return (1,) if same else None

    return (best_matching(candidates, strict_rank),
            best_matching(candidates, lambda i, j: overlap_rank(spans_a[i], spans_b[j])))


def agreement(a: AnnotationSet, b: AnnotationSet) -> dict:
    """Per-layer agreement of two annotation sets over the documents both annotated (a pass may hold some
    documents only; two sets sharing none are refused), with who made each set (its provenance.json)."""
    from .pass_provenance import made_by_text
    from .problems import InvalidInput, Problem

    shared_docs = sorted(set(a.documents) & set(b.documents))
    if not shared_docs:
        raise InvalidInput([Problem(str(b.root), "", "", f"no document that {a.root} also holds ({len(a.documents)} and "
                                    f"{len(b.documents)} documents)", "two sets holding at least one document in common")])
    result = {}
    for layer in LAYERS:
        attributes = LAYER_SPECS[layer].attributes
        acc = LayerAgreement(layer, attr_same={attr: 0 for attr in attributes})
        for doc_id in shared_docs:
            ra, rb = a.documents[doc_id][layer], b.documents[doc_id][layer]
            strict, loose = match_layer(layer, ra, rb)
            acc.count_a += len(ra)
            acc.count_b += len(rb)
            acc.strict += len(strict)
            acc.overlap += len(loose)
            acc.attr_total += len(loose)
            for i, j in loose:
                for attr in attributes:
                    acc.attr_same[attr] += _same(layer, attr, ra[i][attr], rb[j][attr])
        result[layer] = acc.as_dict()
    passes = {name: {"folder": ann.root.name, "documents": len(ann.documents), "made_by": made_by_text(ann.root)}
              for name, ann in (("a", a), ("b", b))}
    return {"documents": shared_docs, "passes": passes, "layers": result,
            "group_changes": group_changes({d: a.documents[d] for d in shared_docs}, {d: b.documents[d] for d in shared_docs})}


def group_changes(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    """quote_group and claim_group differences of records on the same span, one line each."""
    lines = []
    for doc_id in sorted(set(before) & set(after)):
        for layer, name in (("quotes", "quote_group"), ("numeric_claims", "claim_group")):
            old = {(r["start"], r["end"]): r for r in before[doc_id][layer]}
            for r in after[doc_id][layer]:
                o = old.get((r["start"], r["end"]))
                if o is not None and o.get(name) != r.get(name):
                    lines.append(f"  {doc_id} {layer} {name}: [{r['start']}:{r['end']}] {json.dumps(r['text'][:60], ensure_ascii=False)}: "
                                 f"{o.get(name)} → {r.get(name)}")
    return lines


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def agreement_markdown(report: dict, command: str) -> str:
    """The agreement report as Markdown; who made each pass is what its provenance says (``agreement``)."""
    passes = report["passes"]
    lines = [
        "# Inter-annotator agreement",
        "",
        f"Generated by `{command}`; do not edit by hand.",
        f"Agreement over the {len(report['documents'])} documents both passes hold (pass a holds {passes['a']['documents']}, "
        f"pass b {passes['b']['documents']}).",
        *[f"Pass {name}{'' if passes[name]['folder'] == name else ' (' + passes[name]['folder'] + ')'}: made by "
          f"{passes[name]['made_by']}." for name in ("a", "b")],
        "F1 between annotators is",
        "2 x matched / (count A + count B). Strict: identical boundaries (entities: and label).",
        "Overlap: one-to-one optimal pairing of spans sharing any character. Attribute agreement is",
        "the share of overlap-matched pairs on which both passes give the same value (speaker, cue and",
        "source: the same span; value: relative tolerance 1e-6; unit: the same once case and plural are",
        "folded, as scoring judges it). How the passes were made, and what that means for these",
        "figures: GUIDELINES.md, section 5.",
        "",
    ]
    for layer, numbers in report["layers"].items():
        lines += [f"## {layer}", "", "| measure | value |", "|---|---|"]
        lines += [f"| {key} | {_fmt(value)} |" for key, value in numbers.items()]
        lines.append("")
    changes = report.get("group_changes", [])
    lines += [f"## Group changes ({len(changes)})", "",
              "Records on the same span whose quote_group or claim_group differs (pass a → pass b):", ""]
    lines += ([f"- {line.strip()}" for line in changes] or ["- none"]) + [""]
    return "\n".join(lines)


def _summary(layer: str, record: dict | None) -> str:
    if record is None:
        return "-"
    if layer == "entities":
        return f"[{record['start']}:{record['end']}] {record['text']!r} {record['label']} {record['entity_id']}"
    return f"[{record['start']}:{record['end']}] {record['text'][:60]!r}"


def _attr_text(attr: str, value) -> str:
    if isinstance(value, dict):
        return f"[{value['start']}:{value['end']}] {value['text']!r}"
    return json.dumps(value, ensure_ascii=False)


def _verdict(layer: str, kind: str, attr: str | None, rec_a: dict | None, rec_b: dict | None, gold_records: list[dict]) -> str:
    """Which pass the adjudicated gold sides with: "a", "b" or "neither"."""
    def span(r):
        return (r["start"], r["end"])

    by_span = {span(r): r for r in gold_records}
    if kind in ("only_a", "only_b"):
        rec = rec_a or rec_b
        keeps = span(rec) in by_span
        near = any(overlap(span(rec), span(g)) for g in gold_records)
        winner, loser = ("a", "b") if kind == "only_a" else ("b", "a")
        return winner if keeps else (loser if not near else "neither")
    if kind == "boundary":
        return "a" if span(rec_a) in by_span else "b" if span(rec_b) in by_span else "neither"
    gold = by_span.get(span(rec_a)) or by_span.get(span(rec_b))
    if gold is None:
        gold = next((g for g in gold_records if overlap(span(rec_a), span(g))), None)
    if gold is None:
        return "neither"
    assert attr is not None and rec_a is not None and rec_b is not None  # an attribute differs on a matched pair
    return ("a" if _same(layer, attr, gold[attr], rec_a[attr]) else "b" if _same(layer, attr, gold[attr], rec_b[attr])
            else "neither")


def disagreements(a: AnnotationSet, b: AnnotationSet, gold: AnnotationSet | None = None) -> list[dict]:
    """Every disagreement between two sets, one entry per record or attribute, in document order.

    Kinds: ``only_a`` / ``only_b`` (a record the other pass has no overlapping record for),
    ``boundary`` (overlapping records with different offsets), and one kind per attribute that
    differs on an overlap-matched pair (``label``, ``speaker_id``, ``value``, ...). With ``gold``,
    each entry also says which pass the adjudicated gold sides with.
    """
    out = []
    for doc_id in sorted(set(a.documents) & set(b.documents)):
        for layer in LAYERS:
            ra, rb = a.documents[doc_id][layer], b.documents[doc_id][layer]
            _, pairs = match_layer(layer, ra, rb)
            matched_a = {i for i, _ in pairs}
            matched_b = {j for _, j in pairs}
            items: list[tuple[int, str, dict | None, dict | None, str | None]]
            items = [(rec["start"], "only_a", rec, None, None) for i, rec in enumerate(ra) if i not in matched_a]
            items += [(rec["start"], "only_b", None, rec, None) for j, rec in enumerate(rb) if j not in matched_b]
            for i, j in pairs:
                if (ra[i]["start"], ra[i]["end"]) != (rb[j]["start"], rb[j]["end"]):
                    items.append((ra[i]["start"], "boundary", ra[i], rb[j], None))
                items += [(ra[i]["start"], attr, ra[i], rb[j], attr) for attr in LAYER_SPECS[layer].attributes
                          if not _same(layer, attr, ra[i][attr], rb[j][attr])]
            for _, kind, rec_a, rec_b, attr in sorted(items, key=lambda t: (t[0], t[1])):
                entry = {"doc_id": doc_id, "layer": layer, "kind": kind, "a": _summary(layer, rec_a), "b": _summary(layer, rec_b)}
                if attr:
                    assert rec_a is not None and rec_b is not None  # an attribute differs on a matched pair
                    entry["a_value"] = _attr_text(attr, rec_a[attr])
                    entry["b_value"] = _attr_text(attr, rec_b[attr])
                if gold is not None:
                    entry["gold_sides_with"] = _verdict(layer, kind, attr, rec_a, rec_b, gold.documents[doc_id][layer])
                out.append(entry)
    return out


def disagreement_key(entry: dict) -> str:
    """A stable name for a disagreement: document, layer, kind and the offsets involved."""
    spans = "|".join(part.split("]")[0] + "]" for part in (entry["a"], entry["b"]) if part != "-")
    return f"{entry['doc_id']}:{entry['layer']}:{entry['kind']}:{spans}"


def agreed_corrections(a: AnnotationSet, b: AnnotationSet, gold: AnnotationSet) -> list[dict]:
    """Where both passes agree and the gold differs from them: the adjudicator's own corrections.

    Each entry's ``a`` is the passes' version and ``b`` the gold's.
    """
    versus_b = {disagreement_key(e): e for e in disagreements(b, gold)}
    return [e for e in disagreements(a, gold) if versus_b.get(disagreement_key(e)) == e]


def correction_key(entry: dict) -> str:
    return "review:" + disagreement_key(entry)


def adjudication_markdown(entries: list[dict], corrections: list[dict], decisions: dict, command: str) -> tuple[str, list[str]]:
    """The adjudication log, and the keys of disagreements and corrections that no decision covers."""
    from collections import Counter

    rules = decisions["rules"]
    keys = [disagreement_key(e) for e in entries] + [correction_key(e) for e in corrections]
    missing = [key for key in keys if key not in decisions["decisions"]]
    by_kind = Counter((e["layer"], e["kind"]) for e in entries)
    by_verdict = Counter(e["gold_sides_with"] for e in entries)
    lines = [
        "# Adjudication log",
        "",
        f"Generated by `{command}` from the two passes, the adjudicated gold and the decisions in",
        "`annotations/adjudication_rules.json`; do not edit by hand. Each disagreement between the passes",
        "is listed with the version the gold keeps (`a`, `b`, or `neither`: the gold differs from both)",
        "and the guideline that decided it.",
        "",
        f"{len(entries)} disagreements; the gold sides with pass a in {by_verdict['a']}, with pass b in "
        f"{by_verdict['b']}, with neither in {by_verdict['neither']}.",
        "",
        "| layer | kind | disagreements |",
        "|---|---|---|",
    ]
    lines += [f"| {layer} | {kind} | {n} |" for (layer, kind), n in sorted(by_kind.items())]
    lines += ["", "## Rules", ""]
    lines += [f"- **{rule_id}**: {text}" for rule_id, text in rules.items()]
    lines += ["", "## Disagreements", "", "| document | layer | kind | pass a | pass b | gold | rule |", "|---|---|---|---|---|---|---|"]
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", "⏎") for c in cells) + " |"

    def side(e: dict, which: str) -> str:
        return e[which] + (f" → {e[which + '_value']}" if which + "_value" in e else "")

    for e in entries:
        rule = decisions["decisions"].get(disagreement_key(e), "MISSING")
        lines.append(row([e["doc_id"][:3], e["layer"], e["kind"], side(e, "a"), side(e, "b"), e["gold_sides_with"], rule]))
    lines += ["", "## Corrections where both passes agreed", "",
              f"{len(corrections)} records or attributes that both passes gave alike and the adjudicator changed on review.", "",
              "| document | layer | kind | both passes | gold | rule |", "|---|---|---|---|---|---|"]
    for e in corrections:
        rule = decisions["decisions"].get(correction_key(e), "MISSING")
        lines.append(row([e["doc_id"][:3], e["layer"], e["kind"], side(e, "a"), side(e, "b"), rule]))
    return "\n".join(lines) + "\n", missing


def load_passes(path_a, path_b, corpus):
    """Two annotation passes (``pass_provenance.load_named_set``: a pass may hold only some of the
    documents, not none); ``agreement`` measures them on the documents both hold and refuses two
    with none in common."""
    from .pass_provenance import load_named_set

    return [load_named_set(path, corpus) for path in (path_a, path_b)]
