"""``newsclaims eval`` and ``newsclaims compare``: wiring sources, scoring and reports together."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

from newsclaims.labels import LAYERS
from newsclaims.problems import InvalidInput, Problem, show

DEFAULT_MODEL = "rules"


def parse_layers(text: str | None) -> tuple[str, ...]:
    if not text:
        return LAYERS
    layers = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in layers if x not in LAYERS]
    if bad or not layers:
        raise InvalidInput([Problem("--layers", "", "", show(text), "a comma-separated list of " + ", ".join(LAYERS))])
    return layers


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_eval(args) -> int:
    from . import adapters
    from .evaluator import evaluate
    from .gold import load_gold_data
    from .loaders import load_predictions
    from .report import build_report, format_terminal, write_outputs
    from .spans import align_document

    started = time.perf_counter()
    layers = parse_layers(args.layers)
    gold = load_gold_data(args.data)
    texts = gold.texts
    extra_files: dict[str, str] = {}
    chosen = [x for x in (args.predictions, args.model, args.command, args.openai_base_url) if x]
    if len(chosen) > 1:
        raise InvalidInput([Problem("newsclaims eval", "", "", f"{len(chosen)} prediction sources",
                                    "at most one of --predictions, --model, --command, --openai-base-url")])
    if not chosen:
        args.model = DEFAULT_MODEL
        print(f"newsclaims eval: no predictions given; scoring the default baseline --model {DEFAULT_MODEL}", file=sys.stderr)
    if args.predictions:
        preds = load_predictions(args.predictions, texts)  # read once: "-", a FIFO and <(...) work
        source = {"kind": "predictions file", "name": str(args.predictions), "sha256": preds.sha256}
    elif args.model:
        preds = adapters.run_callable(args.model, texts, args.workers)
        source = {"kind": "model", "name": args.model}
    elif args.command:
        preds = adapters.run_command(args.command, texts, args.workers, args.timeout)
        source = {"kind": "command", "name": args.command}
    else:
        if not args.openai_model:
            raise InvalidInput([Problem("--openai-model", "", "", "nothing", "the model name to ask the endpoint for")])
        preds, replies = adapters.run_openai(args.openai_base_url, args.openai_model, texts, args.workers,
                                             args.timeout, args.openai_api_key_env)
        source = {"kind": "openai endpoint", "name": f"{args.openai_model} at {args.openai_base_url}"}
        extra_files["replies.jsonl"] = "".join(json.dumps({"doc_id": d, "reply": r}, ensure_ascii=False) + "\n" for d, r in replies.items())
    for warning in preds.warnings:
        print(warning, file=sys.stderr)
    selected = {d: {k: v for k, v in obj.items() if k == "doc_id" or k in layers} for d, obj in preds.by_doc.items()}
    aligned = {d: align_document(obj, texts[d]) for d, obj in selected.items()}
    results = evaluate(gold, aligned, layers, resamples=1000, seed=0)
    report = build_report(results, gold, source, time.perf_counter() - started, preds.warnings)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_terminal(report))
    if args.output:
        lines = None if args.predictions else [preds.by_doc[d] for d in texts if d in preds.by_doc]
        predicted = {d: {layer: a.records for layer, a in layers_.items()} for d, layers_ in aligned.items()}
        write_outputs(args.output, report, texts, gold.layers, predicted, lines, extra_files)
        print(f"wrote: {args.output}/report.json, report.md, report.html" + ("" if lines is None else ", predictions.jsonl"),
              file=sys.stderr)
    return 0


def run_compare(args) -> int:
    from .metrics import paired_bootstrap
    from .report import _ci, _fmt

    reports = []
    for path in args.reports:
        from newsclaims.jsonio import expect_object, read_json

        report = expect_object(read_json(path, str(path)), str(path))
        if "main_scores" not in report or "dataset" not in report:
            raise InvalidInput([Problem(str(path), "", "main_scores", "nothing", "a report.json written by newsclaims eval")])
        reports.append((str(path), report))
    digests = {r["dataset"]["gold_sha256"] for _, r in reports}
    if len(digests) > 1:
        raise InvalidInput([Problem(path, "", "dataset.gold_sha256", r["dataset"]["gold_sha256"], f"the same gold as {reports[0][0]}")
                            for path, r in reports[1:] if r["dataset"]["gold_sha256"] != reports[0][1]["dataset"]["gold_sha256"]])
    layers = [layer for layer in LAYERS if any(layer in r["main_scores"] for _, r in reports)]
    name = lambda p, r: r["predictions"].get("name") or p
    header = ["system"] + [f"{layer} ({reports[0][1]['main_scores'][layer]['name']})" for layer in layers]
    rows = []
    key = lambda pr: tuple(-(pr[1]["main_scores"].get(l, {}).get("value") if isinstance(pr[1]["main_scores"].get(l, {}).get("value"), float) else -1) for l in layers)
    ordered = sorted(reports, key=key)
    for path, r in ordered:
        cells = [name(path, r)]
        for layer in layers:
            m = r["main_scores"].get(layer, {})
            cells.append(f"{_fmt(m.get('value'))} {_ci(m.get('ci95'))}".strip())
        rows.append(cells)
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    print("\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header] + rows))
    best_path, best = ordered[0]
    lines = []
    for path, r in ordered[1:]:
        for layer in layers:
            a, b = best["main_scores"].get(layer, {}), r["main_scores"].get(layer, {})
            if not (isinstance(a.get("value"), float) and isinstance(b.get("value"), float)):
                continue
            docs = sorted(set(a["per_document"]) & set(b["per_document"]))
            test = paired_bootstrap([a["per_document"][d] for d in docs], [b["per_document"][d] for d in docs])
            lines.append(f"{name(best_path, best)} - {name(path, r)} on {layer}: {test['difference']:+.3f} "
                         f"[{test['ci95'][0]:+.3f}, {test['ci95'][1]:+.3f}], paired bootstrap p = {test['p_value']:.3f} ({len(docs)} documents)")
    if lines:
        print("\n" + "\n".join(lines))
    return 0
