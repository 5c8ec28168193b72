"""Reports: the terminal table, report.json (self-describing), report.md and report.html."""

from __future__ import annotations

import html
import json
import subprocess
from pathlib import Path

from newsclaims.labels import LAYERS

from .evaluator import MAIN_SCORES, NOT_PREDICTED
from .metrics import METRIC_INFO
from .schemes import DEFINITIONS

REPORT_VERSION = 1


def git_commit() -> str | None:
    from newsclaims import paths

    root = paths.repo_root()
    if root is None or not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def build_report(results: dict, gold, source: dict, elapsed: float, warnings: list[str]) -> dict:
    from newsclaims import __version__

    main_scores = {}
    for layer, result in results.items():
        name, description = MAIN_SCORES[layer]
        if result == NOT_PREDICTED:
            main_scores[layer] = {"name": name, "description": description, "value": NOT_PREDICTED, "ci95": [None, None],
                                  "n_documents": len(gold.texts), "higher_is_better": True, "per_document": {}}
        else:
            main_scores[layer] = {"name": name, "description": description, **result["main"]}
    return {
        "report_version": REPORT_VERSION,
        "newsclaims_version": __version__,
        "git_commit": git_commit(),
        "dataset": {"path": str(gold.path), "data_version": gold.info.get("data_version"),
                    "gold_sha256": gold.info.get("gold_sha256"), "documents": len(gold.texts)},
        "predictions": source,
        "elapsed_seconds": round(elapsed, 3),
        "bootstrap": {"resamples": 1000, "seed": 0, "unit": "document", "interval": "percentile 95%"},
        "schemes": DEFINITIONS,
        "metrics": METRIC_INFO,
        "main_scores": main_scores,
        "layers": {layer: ({k: v for k, v in r.items() if k not in ("main", "errors")} if r != NOT_PREDICTED else NOT_PREDICTED)
                   for layer, r in results.items()},
        "errors": {layer: r["errors"] for layer, r in results.items() if r != NOT_PREDICTED},
        "warnings": warnings,
    }


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}"


def _ci(ci) -> str:
    return "" if not ci or ci[0] is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def detail_rows(report: dict) -> list[tuple[str, str, str]]:
    """(layer, metric, value) rows of the headline details per layer."""
    rows = []
    layers = report["layers"]
    ent = layers.get("entities")
    if isinstance(ent, dict):
        for scheme, data in ent["schemes"].items():
            if data == NOT_PREDICTED:
                rows.append(("entities", f"{scheme} F1", NOT_PREDICTED))
            else:
                rows.append(("entities", f"{scheme} P / R / F1 (macro F1)",
                             f"{_fmt(data['micro']['precision'])} / {_fmt(data['micro']['recall'])} / {_fmt(data['micro']['f1'])} "
                             f"({_fmt(data['macro_f1'])})"))
        link = ent["linking"]
        rows.append(("entities", "linking B-cubed F1 / CEAF-e F1",
                     NOT_PREDICTED if link == NOT_PREDICTED else f"{_fmt(link['bcubed']['f1'])} / {_fmt(link['ceaf_e']['f1'])}"))
    quotes = layers.get("quotes")
    if isinstance(quotes, dict):
        c = quotes["content"]
        rows.append(("quotes", "content strict P / R / F1", f"{_fmt(c['strict']['precision'])} / {_fmt(c['strict']['recall'])} / {_fmt(c['strict']['f1'])}"))
        rows.append(("quotes", "content token-overlap P / R / F1",
                     f"{_fmt(c['token_overlap']['precision'])} / {_fmt(c['token_overlap']['recall'])} / {_fmt(c['token_overlap']['f1'])}"))
        for key in ("speaker_accuracy", "type_accuracy"):
            v = quotes[key]
            rows.append(("quotes", key.replace("_", " "), v if v == NOT_PREDICTED else f"{_fmt(v['accuracy'])} ({v['right']}/{v['total']})"))
        rows.append(("quotes", "cue F1", quotes["cue"] if quotes["cue"] == NOT_PREDICTED else _fmt(quotes["cue"]["f1"])))
        qg = quotes["quote_group_bcubed"]
        rows.append(("quotes", "quote_group B-cubed F1", qg if qg == NOT_PREDICTED else _fmt(qg["f1"])))
    claims = layers.get("numeric_claims")
    if isinstance(claims, dict):
        s = claims["span"]
        rows.append(("numeric_claims", "span strict P / R / F1", f"{_fmt(s['strict']['precision'])} / {_fmt(s['strict']['recall'])} / {_fmt(s['strict']['f1'])}"))
        for key in ("value_accuracy", "unit_accuracy", "approx_accuracy", "source_accuracy"):
            v = claims[key]
            rows.append(("numeric_claims", key.replace("_", " "), v if v == NOT_PREDICTED else f"{_fmt(v['accuracy'])} ({v['right']}/{v['total']})"))
        cg = claims["claim_group_bcubed"]
        rows.append(("numeric_claims", "claim_group B-cubed F1", cg if cg == NOT_PREDICTED else _fmt(cg["f1"])))
    return rows


def format_terminal(report: dict) -> str:
    ds = report["dataset"]
    lines = [f"newsclaims {report['newsclaims_version']} · data {ds['data_version']} ({ds['documents']} documents) · "
             f"{report['predictions'].get('kind')}: {report['predictions'].get('name')}", ""]
    table = [("layer", "main score", "value", "95% CI")]
    for layer, m in report["main_scores"].items():
        table.append((layer, m["name"], _fmt(m["value"]), _ci(m["ci95"])))
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
           f"- newsclaims {report['newsclaims_version']}, git commit {report['git_commit'] or 'n/a'}",
           f"- data {ds['data_version']} (gold sha256 `{ds['gold_sha256']}`), {ds['documents']} documents",
           f"- predictions: {report['predictions'].get('kind')} `{report['predictions'].get('name')}`",
           f"- 95% intervals: document-level bootstrap, {report['bootstrap']['resamples']} resamples, seed {report['bootstrap']['seed']}",
           "", "## Main scores", "", "| layer | score | value | 95% CI | what it counts |", "|---|---|---|---|---|"]
    for layer, m in report["main_scores"].items():
        out.append(f"| {layer} | {m['name']} | {_fmt(m['value'])} | {_ci(m['ci95'])} | {m['description']} |")
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


def _highlight(text: str, gold: list[tuple[int, int]], pred: list[tuple[int, int]]) -> str:
    """The text with each character classed by whether gold and/or predicted spans cover it."""
    cover = [0] * (len(text) + 1)
    for spans, bit in ((gold, 1), (pred, 2)):
        for start, end in spans:
            for i in range(start, min(end, len(text))):
                cover[i] |= bit
    parts, i = [], 0
    classes = {0: None, 1: "gold", 2: "pred", 3: "both"}
    while i < len(text):
        j = i
        while j < len(text) and cover[j] == cover[i]:
            j += 1
        chunk = html.escape(text[i:j])
        cls = classes[cover[i]]
        parts.append(f'<span class="{cls}">{chunk}</span>' if cls else chunk)
        i = j
    return "".join(parts)


def format_html(report: dict, texts: dict[str, str], gold_layers: dict, predicted: dict) -> str:
    e = html.escape
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>newsclaims report</title>",
           f"<style>{CSS}</style></head><body>", f"<h1>newsclaims evaluation: {e(str(report['predictions'].get('name')))}</h1>",
           f"<p>data {e(str(report['dataset']['data_version']))} · {report['dataset']['documents']} documents · "
           f"newsclaims {e(report['newsclaims_version'])}</p>", "<h2>Main scores</h2><table><tr><th>layer</th><th>score</th><th>value</th><th>95% CI</th></tr>"]
    for layer, m in report["main_scores"].items():
        out.append(f"<tr><td>{e(layer)}</td><td>{e(m['name'])}</td><td>{e(_fmt(m['value']))}</td><td>{e(_ci(m['ci95']))}</td></tr>")
    out.append("</table>")
    ent = report["layers"].get("entities")
    if isinstance(ent, dict) and ent["schemes"]["strict"] != NOT_PREDICTED:
        out.append("<h2>Entities: strict F1 per label</h2><table>")
        for label, counts in ent["schemes"]["strict"]["per_label"].items():
            f1 = counts["f1"] or 0.0
            out.append(f"<tr><td>{e(label)}</td><td><span class='bar' style='width:{f1 * 20:.2f}em'></span> {f1:.3f}</td>"
                       f"<td>{counts['correct']} correct, {counts['missed']} missed, {counts['spurious']} spurious</td></tr>")
        out.append("</table>")
    out.append("<h2>Documents</h2><p><span class='both'>gold and predicted</span> <span class='gold'>gold only</span> "
               "<span class='pred'>predicted only</span></p>")
    for doc_id, text in texts.items():
        out.append(f"<h3>{e(doc_id)}</h3>")
        for layer in LAYERS:
            if report["layers"].get(layer) in (None, NOT_PREDICTED):
                continue
            g = [(r["start"], r["end"]) for r in gold_layers[layer].get(doc_id, [])]
            p = [(r["start"], r["end"]) for r in predicted.get(doc_id, {}).get(layer, [])]
            out.append(f"<h4>{e(layer)}</h4><pre class='doc'>{_highlight(text, g, p)}</pre>")
    for layer, errs in report["errors"].items():
        out.append(f"<h2>{e(layer)}: errors</h2>")
        for kind in ("false_positives", "false_negatives"):
            out.append(f"<h3>{kind.replace('_', ' ')} ({len(errs[kind])})</h3><ul>")
            out += [f"<li>{e(x['doc_id'])}: {e(x['context'])}</li>" for x in errs[kind]]
            out.append("</ul>")
        if errs["unaligned"]:
            out.append(f"<h3>unaligned ({len(errs['unaligned'])})</h3><ul>")
            out += [f"<li>{e(x['doc_id'])}: {e(str(x['text']))}: {e(x['reason'])}</li>" for x in errs["unaligned"]]
            out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_outputs(folder: Path, report: dict, texts: dict, gold_layers: dict, predicted: dict,
                  prediction_lines: list[dict] | None, extra: dict[str, str] | None = None) -> None:
    """Write the report files; each file is written whole or not at all, report.json last."""
    from newsclaims.jsonio import atomic_write_text, dumps_line

    folder = Path(folder)
    if prediction_lines is not None:
        atomic_write_text(folder / "predictions.jsonl", "".join(dumps_line(line) for line in prediction_lines))
    for name, text in (extra or {}).items():
        atomic_write_text(folder / name, text)
    atomic_write_text(folder / "report.md", format_markdown(report))
    atomic_write_text(folder / "report.html", format_html(report, texts, gold_layers, predicted))
    atomic_write_text(folder / "report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
