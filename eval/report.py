"""Reports: the terminal table, report.json (self-describing), report.md and report.html."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from newsclaims.labels import LAYER_SPECS, LAYERS

from .errors import MAIN_SCORE, UNPAIRED
from .metrics import FEW_DOCUMENTS, METRIC_INFO, few_documents_note
from .schemes import DEFINITIONS
from .scoring import NOT_PREDICTED

REPORT_VERSION = 3
MAX_HTML_DOCUMENTS = 50  # documents drawn in report.html (a large --data run would make it unreadable)


def build_report(scores, gold, source: dict, elapsed: float, warnings: list[str]) -> dict:
    """report.json's content: self-describing (data revision, package version, options, definitions)."""
    from newsclaims.batches import peak_memory_mb
    from newsclaims.provenance import code_provenance

    results = scores.layers
    main_scores = {}
    for layer, result in results.items():
        name, description = LAYER_SPECS[layer].main_score, LAYER_SPECS[layer].main_score_description
        if result == NOT_PREDICTED:
            main_scores[layer] = {"name": name, "description": description, "value": NOT_PREDICTED, "ci95": [None, None],
                                  "n_documents": len(gold.texts), "higher_is_better": True, "per_document": []}
        else:
            main_scores[layer] = {"name": name, "description": description, **result["main"],
                                  "ci95_note": few_documents_note(result["main"]["n_documents"])}
    return {
        "report_version": REPORT_VERSION,
        **code_provenance(),  # newsclaims_version, git_commit, git_dirty, git_source
        "dataset": {"path": str(gold.path), "data_version": gold.info.get("data_version"),
                    "gold_sha256": gold.info.get("gold_sha256"), "files_sha256": gold.files, "documents": len(gold.texts)},
        "predictions": source,
        "elapsed_seconds": round(elapsed, 3),
        "memory": peak_memory_mb(),
        "bootstrap": {"resamples": scores.options.resamples, "seed": scores.options.seed, "unit": "document",
                      "interval": "percentile 95%", "unreliable_below_documents": FEW_DOCUMENTS},
        "schemes": DEFINITIONS,
        "metrics": METRIC_INFO,
        "main_scores": main_scores,
        "layers": {layer: ({k: v for k, v in r.items() if k not in ("main", "errors", "error_summary")} if r != NOT_PREDICTED else NOT_PREDICTED)
                   for layer, r in results.items()},
        "layers_scored": [layer for layer, r in results.items() if r != NOT_PREDICTED],
        "errors": {layer: r["errors"] for layer, r in results.items() if r != NOT_PREDICTED},
        "error_summary": {layer: r["error_summary"] for layer, r in results.items() if r != NOT_PREDICTED},
        "placement": scores.placement,
        "warnings": warnings,
    }


def code_label(report: dict) -> str:
    """The code that scored, in a few words: version, commit, and whether the tree differed from it."""
    commit = report.get("git_commit")
    dirty = " with uncommitted changes" if report.get("git_dirty") else ""
    return f"{report.get('newsclaims_version', '?')} ({f'commit {commit[:12]}{dirty}' if commit else 'commit unknown'})"


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}"


def _ci(ci, n_documents: int | None = None) -> str:
    """An interval as printed, flagged when it comes from too few documents (``few_documents_note``)."""
    if not ci or ci[0] is None:
        return ""
    note = few_documents_note(n_documents) if n_documents is not None else None
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" + (f" ({note})" if note else "")


def _prf(d) -> str:
    return f"{_fmt(d['precision'])} / {_fmt(d['recall'])} / {_fmt(d['f1'])}"


def _acc(v) -> str:
    return v if v == NOT_PREDICTED else f"{_fmt(v['accuracy'])} ({v['right']}/{v['total']})"


def _f1_or(v) -> str:
    return v if v == NOT_PREDICTED else _fmt(v["f1"])


def detail_rows(report: dict) -> list[tuple[str, str, str]]:
    """(layer, metric, value) rows of the headline details per layer."""
    rows = []
    layers = report["layers"]
    for layer, m in report["main_scores"].items():
        if isinstance(m.get("value"), float):
            rows.append((layer, "main score P / R / F1 (tp, predicted, gold)",
                         f"{_fmt(m['precision'])} / {_fmt(m['recall'])} / {_fmt(m['value'])} ({m['tp']:g}, {m['predicted']:g}, {m['gold']:g})"))
    ent = layers.get("entities")
    if isinstance(ent, dict):
        for scheme, data in ent["schemes"].items():
            if "macro_f1" in data:
                macro = data["macro_f1"]
                rows.append(("entities", f"{scheme} P / R / F1 (macro F1)",
                             f"{_prf(data['micro'])} ({macro if macro == NOT_PREDICTED else _fmt(macro)})"))
            else:  # a scheme blind to the type has no per-label view
                rows.append(("entities", f"{scheme} P / R / F1", _prf(data["micro"])))
        link = ent["linking_matched_mentions"]
        rows.append(("entities", "linking, matched mentions: B-cubed F1 / CEAF-e F1 (mentions of linked gold)",
                     NOT_PREDICTED if link == NOT_PREDICTED else
                     f"{_fmt(link['bcubed']['f1'])} / {_fmt(link['ceaf_e']['f1'])} ({link['mentions']} of {link['gold_linked_mentions']})"))
        coref = ent["coreference_all_mentions"]
        rows.append(("entities", "coreference, all mentions (CoNLL-2012): MUC / B-cubed / CEAF-e / CoNLL F1",
                     NOT_PREDICTED if coref == NOT_PREDICTED else
                     " / ".join(_fmt(coref[k]) for k in ("muc_f1", "bcubed_f1", "ceafe_f1", "conll_f1"))
                     + f" ({coref['gold_mentions']} gold, {coref['predicted_mentions']} predicted, {coref['twin_mentions']} twins)"))
    quotes = layers.get("quotes")
    if isinstance(quotes, dict):
        c = quotes["content"]
        rows.append(("quotes", "content exact-span P / R / F1", _prf(c["exact_span"])))
        rows.append(("quotes", "content overlap P / R / F1", _prf(c["overlap"])))
        rows.append(("quotes", "content token-overlap P / R / F1", _prf(c["token_overlap"])))
        rows.append(("quotes", "speaker accuracy (all overlap-matched pairs)", _acc(quotes["speaker_accuracy"])))
        rows.append(("quotes", "type accuracy", _acc(quotes["type_accuracy"])))
        rows.append(("quotes", "cue F1", _f1_or(quotes["cue"])))
        rows.append(("quotes", "quote_group B-cubed F1", _f1_or(quotes["quote_group_bcubed"])))
    claims = layers.get("numeric_claims")
    if isinstance(claims, dict):
        sp = claims["span"]
        rows.append(("numeric_claims", "span exact-span P / R / F1", _prf(sp["exact_span"])))
        rows.append(("numeric_claims", "span overlap P / R / F1", _prf(sp["overlap"])))
        for key in ("value_accuracy", "unit_accuracy", "approx_accuracy", "source_accuracy"):
            rows.append(("numeric_claims", key.replace("_", " "), _acc(claims[key])))
        rows.append(("numeric_claims", "claim_group B-cubed F1", _f1_or(claims["claim_group_bcubed"])))
    for layer, summary in report.get("error_summary", {}).items():
        for explains, counts in error_groups(summary).items():
            rows.append((layer, _group_title(explains, report["main_scores"].get(layer, {}), counts),
                         ", ".join(f"{k} {v}" for k, v in counts.items())))
    return rows


def error_groups(summary: dict) -> dict[str, dict[str, int]]:
    """A layer's error counts by the number each class explains (main score first)."""
    explains = summary.get("explains", {})
    groups: dict[str, dict[str, int]] = {}
    for kind, n in sorted(summary["counts"].items(), key=lambda kv: (explains.get(kv[0], MAIN_SCORE) != MAIN_SCORE, kv[0])):
        groups.setdefault(explains.get(kind, MAIN_SCORE), {})[kind] = n
    return groups


def _group_title(explains: str, main: dict, counts: dict[str, int]) -> str:
    """What a group of error classes accounts for: the main score's uncredited gold and predictions,
    or an attribute metric's wrong overlap-matched pairs."""
    if explains != MAIN_SCORE:
        return f"errors of {explains.replace('_', ' ')} (on overlap-matched pairs)"
    if not isinstance(main.get("tp"), (int, float)):
        return "errors of the main score"
    paired = sum(n for k, n in counts.items() if k not in UNPAIRED)
    return (f"errors of the main score (gold {main['gold']:g} = {main['tp']:g} credited + {paired} paired + "
            f"{counts.get('missed', 0)} missed)")


def endpoint_summary(source: dict) -> str | None:
    """One line on an endpoint run (report.json's ``predictions`` entry): the prompt, shots, structured
    output, the model the server named, tokens and latency, requests sent; None for other sources."""
    if "usage" not in source or "prompt" not in source:
        return None
    prompt, usage, structured = source["prompt"], source["usage"], source["structured"]
    probe = structured.get("probe") or {}
    if structured["mode"] == "off":
        form = "prompt-only JSON (--structured off)"
    elif structured["sent"]:
        form = (f"JSON Schema sent, followed by {structured['replies_following_schema']} of {structured['replies']} replies"
                + (" (the server ignores it)" if probe.get("outcome") == "ignored" else ""))
    else:
        form = f"prompt-only JSON (the server refused the JSON Schema: {probe.get('found', '')[:60]})"
    tokens = (f"{usage['prompt_tokens']:,} prompt + {usage['completion_tokens']:,} completion tokens"
              if usage["prompt_tokens"] is not None and usage["completion_tokens"] is not None else "tokens not reported")
    latency = usage["latency_seconds"]
    mean = f", mean latency {latency['mean']:.2f} s" if latency["mean"] is not None else ""
    served = ", ".join(source["models_reported"]) or "not named"
    return (f"prompt {prompt['id']} v{prompt['version']} (sha256 {prompt['sha256'][:12]}), {source['shots']['count']} shots, {form}; "
            f"server model {served}; {tokens}{mean}; {usage['requests_sent']} requests sent, {usage['replies_from_cache']} replies from the cache")


def format_terminal(report: dict) -> str:
    ds = report["dataset"]
    lines = [f"newsclaims {report['newsclaims_version']} · data {ds['data_version']} ({ds['documents']} documents) · "
             f"{report['predictions'].get('kind')}: {report['predictions'].get('name')}", ""]
    summary = endpoint_summary(report["predictions"])
    if summary is not None:
        lines[1:1] = [summary]
    table = [("layer", "main score", "value", "95% CI")]
    for layer, m in report["main_scores"].items():
        table.append((layer, m["name"], _fmt(m["value"]), _ci(m["ci95"], m.get("n_documents"))))
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    for row in table:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    lines.append("")
    rows = detail_rows(report)
    if rows:
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        lines += [f"{a.ljust(w0)}  {b.ljust(w1)}  {c}" for a, b, c in rows]
    return "\n".join(lines)


def format_markdown(report: dict) -> str:
    ds = report["dataset"]
    out = [f"# newsclaims evaluation: {report['predictions'].get('name')}", "",
           f"- newsclaims {code_label(report)}",
           f"- data {ds['data_version']} (gold sha256 `{ds['gold_sha256']}`), {ds['documents']} documents",
           f"- predictions: {report['predictions'].get('kind')} `{report['predictions'].get('name')}`",
           *([f"- endpoint run: {endpoint_summary(report['predictions'])}"] if endpoint_summary(report["predictions"]) else []),
           f"- 95% intervals: document-level bootstrap, {report['bootstrap']['resamples']} resamples, seed {report['bootstrap']['seed']}",
           "", "## Main scores", "", "| layer | score | value | 95% CI | what it counts |", "|---|---|---|---|---|"]
    for layer, m in report["main_scores"].items():
        out.append(f"| {layer} | {m['name']} | {_fmt(m['value'])} | {_ci(m['ci95'], m.get('n_documents'))} | {m['description']} |")
    out += ["", "## Details", "", "| layer | metric | value |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in detail_rows(report)]
    out += ["", "## Matching schemes", ""] + [f"- **{k}**: {v}" for k, v in report["schemes"].items()]
    if report["warnings"]:
        out += ["", "## Warnings", ""] + [f"- {w}" for w in report["warnings"]]
    return "\n".join(out) + "\n"


CSS = """
body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;line-height:1.5;color:#222}
pre.doc{white-space:pre-wrap;font:inherit;background:#fafafa;border:1px solid #ddd;padding:1em}
.both{background:#c8f0c8}.gold{background:#ffd6d6}.pred{background:#d6e4ff}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
.bar{background:#6a8fd8;height:.9em;display:inline-block}
"""


def _highlight(text: str, gold, pred) -> str:
    """The text with each character classed by whether gold and/or predicted spans cover it; ``gold``
    and ``pred`` are (start, end) pairs (a list, or an array of two columns). Linear in the text and
    the spans, whatever their number."""
    n = len(text)
    cover = np.zeros(n, dtype=np.int8)
    for spans, bit in ((gold, 1), (pred, 2)):
        pairs = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        ends = np.minimum(pairs[:, 1], n)
        keep = pairs[:, 0] < ends
        depth = np.cumsum(np.bincount(pairs[keep, 0], minlength=n + 1) - np.bincount(ends[keep], minlength=n + 1))[:n]
        cover |= (depth > 0).astype(np.int8) * bit
    cuts = [0, *(np.flatnonzero(cover[1:] != cover[:-1]) + 1).tolist(), n]
    classes = {0: None, 1: "gold", 2: "pred", 3: "both"}
    parts = []
    for i, j in zip(cuts, cuts[1:]):
        if i == j:
            continue
        chunk = html.escape(text[i:j])
        cls = classes[int(cover[i])]
        parts.append(f'<span class="{cls}">{chunk}</span>' if cls else chunk)
    return "".join(parts)


def _per_label_html(report: dict) -> str:
    """Per-label strict counts with all five categories, so that each row's P/R/F1 can be checked:
    P = correct / (correct + incorrect + partial + spurious), R = correct / (correct + incorrect +
    partial + missed)."""
    e = html.escape
    out = []
    for layer, spec in LAYER_SPECS.items():
        node = report["layers"].get(layer)
        for key in spec.per_label_path:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict) or not node:
            continue
        out.append(f"<h2>{e(layer)}: strict counts per label</h2><table><tr><th>label</th><th>F1</th><th>correct</th>"
                   "<th>incorrect</th><th>partial</th><th>missed</th><th>spurious</th><th>P</th><th>R</th></tr>")
        for label, c in node.items():
            f1 = c["f1"] or 0.0
            out.append(f"<tr><td>{e(label)}</td><td><span class='bar' style='width:{f1 * 10:.2f}em'></span> {_fmt(c['f1'])}</td>"
                       + "".join(f"<td>{c[k]}</td>" for k in ("correct", "incorrect", "partial", "missed", "spurious"))
                       + f"<td>{_fmt(c['precision'])}</td><td>{_fmt(c['recall'])}</td></tr>")
        out.append("</table>")
    return "\n".join(out)


def _side(entry: dict, key: str) -> str:
    span = entry.get(key)
    if not span:
        return ""
    tags = [str(span[k]) for k in ("label", "entity_id") if span.get(k) is not None]  # entities: both types shown
    return html.escape((span.get("context") or span.get("text") or "") + (f" ({', '.join(tags)})" if tags else ""))


def _errors_html(report: dict) -> str:
    """Every error class of every layer, counted, and each listed error in context."""
    e = html.escape
    out = []
    for layer, errs in report["errors"].items():
        summary = report["error_summary"][layer]
        main = report["main_scores"][layer]
        out.append(f"<h2>{e(layer)}: errors</h2><p>main score: {main.get('tp', 0):g} right of {main.get('predicted', 0):g} "
                   f"predicted and {main.get('gold', 0):g} in the gold. Listed: at most {summary['listed_per_class_at_most']} "
                   "per class.</p><table><tr><th>class</th><th>count</th><th>explains</th></tr>")
        for explains, counts in error_groups(summary).items():
            title = _group_title(explains, main, counts)
            out += [f"<tr><td>{e(k)}</td><td>{v}</td><td>{e(title)}</td></tr>" for k, v in counts.items()]
        out.append("</table>")
        by_class: dict[str, list] = {}
        for x in errs:
            by_class.setdefault(x["class"], []).append(x)
        for kind, entries in by_class.items():
            out.append(f"<h3>{e(kind)} ({summary['counts'][kind]})</h3><ul>")
            for x in entries:
                details = {k: v for k, v in x.items() if k not in ("class", "doc_id", "gold", "predicted")}
                parts = [f"<b>{e(x['doc_id'])}</b>"]
                if x.get("gold"):
                    parts.append(f"gold: {_side(x, 'gold')}")
                if x.get("predicted"):
                    parts.append(f"predicted: {_side(x, 'predicted')}")
                if details:
                    parts.append(e(json.dumps(details, ensure_ascii=False)))
                out.append("<li>" + " · ".join(parts) + "</li>")
            out.append("</ul>")
    return "\n".join(out)


def format_html(report: dict, texts: dict[str, str], drawn: dict[str, dict[str, tuple]]) -> str:
    """report.html: the report, and the first MAX_HTML_DOCUMENTS documents by doc_id with their spans
    drawn; ``drawn[doc_id][layer]`` is (gold, predicted), each (start, end) pairs (``drawn_spans``)."""
    e = html.escape
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>newsclaims report</title>",
           f"<style>{CSS}</style></head><body>", f"<h1>newsclaims evaluation: {e(str(report['predictions'].get('name')))}</h1>",
           f"<p>data {e(str(report['dataset']['data_version']))} · {report['dataset']['documents']} documents · "
           f"newsclaims {e(report['newsclaims_version'])}</p>",
           "<h2>Main scores</h2><table><tr><th>layer</th><th>score</th><th>value</th><th>95% CI</th></tr>"]
    for layer, m in report["main_scores"].items():
        out.append(f"<tr><td>{e(layer)}</td><td>{e(m['name'])}</td><td>{e(_fmt(m['value']))}</td>"
                   f"<td>{e(_ci(m['ci95'], m.get('n_documents')))}</td></tr>")
    out.append("</table>")
    out.append(_per_label_html(report))
    out.append("<h2>Documents</h2><p><span class='both'>gold and predicted</span> <span class='gold'>gold only</span> "
               "<span class='pred'>predicted only</span></p>")
    shown = sorted(texts)[:MAX_HTML_DOCUMENTS]
    if len(texts) > len(shown):
        out.append(f"<p>The first {len(shown)} of {len(texts)} documents by doc_id; report.json has every count.</p>")
    for doc_id in shown:
        text = texts[doc_id]
        out.append(f"<h3>{e(doc_id)}</h3>")
        for layer in LAYERS:
            if report["layers"].get(layer) in (None, NOT_PREDICTED):
                continue
            g, p = drawn.get(doc_id, {}).get(layer, ((), ()))
            out.append(f"<h4>{e(layer)}</h4><pre class='doc'>{_highlight(text, g, p)}</pre>")
    out.append(_errors_html(report))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def drawn_spans(placed: dict, texts: dict[str, str]) -> dict[str, dict[str, tuple]]:
    """The spans report.html draws, taken from the arrays scoring matched (``Scores.placed``: the
    gold, and the predictions as placed and counted), for the first MAX_HTML_DOCUMENTS documents by
    doc_id only: nothing is placed again, and no record is made a dict."""
    shown = sorted(texts)[:MAX_HTML_DOCUMENTS]
    drawn: dict[str, dict[str, tuple]] = {doc_id: {} for doc_id in shown}
    for layer, sides in placed.items():
        cuts = [np.searchsorted(side.doc, np.arange(len(shown) + 1)) for side in sides]  # canonical order: by document first
        for d, doc_id in enumerate(shown):
            drawn[doc_id][layer] = tuple(np.column_stack((side.start[c[d]:c[d + 1]], side.end[c[d]:c[d + 1]]))
                                         for side, c in zip(sides, cuts))
    return drawn


def write_outputs(folder: Path, report: dict, scores, texts: dict[str, str], prediction_lines: list[dict] | None,
                  extra: dict[str, str] | None = None) -> list[str]:
    """Write the report files as one set: the folder is replaced whole (see newsclaims.safewrite), so
    nothing of an earlier run survives beside a new report. Returns the names of what a user added to
    an earlier report folder, which is kept (``safewrite.write_report_folder``). Built from the report
    and the scored arrays (``drawn_spans``), in time and memory bounded by what the files hold."""
    from newsclaims.jsonio import dumps_canonical, dumps_line
    from newsclaims.safewrite import write_report_folder

    files: dict[str, str] = {}
    if prediction_lines is not None:
        files["predictions.jsonl"] = "".join(dumps_line(line) for line in prediction_lines)
    files.update(extra or {})
    files["report.md"] = format_markdown(report)
    files["report.html"] = format_html(report, texts, drawn_spans(scores.placed, texts))
    files["report.json"] = dumps_canonical(report)
    return write_report_folder(folder, files)
