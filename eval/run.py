"""``newsclaims eval`` and ``newsclaims compare``: wiring sources, scoring and reports together."""

from __future__ import annotations

import json
import sys
import time

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


def run_eval(args) -> int:
    from . import adapters
    from .gold import load_gold_data
    from .loaders import load_predictions
    from .report import build_report, format_terminal, write_outputs
    from .scoring import score

    started = time.perf_counter()
    layers = parse_layers(args.layers)
    gold = load_gold_data(args.data)
    texts = gold.texts
    extra_files: dict[str, str] = {}
    if args.output:
        from newsclaims.safewrite import check_report_target

        check_report_target(args.output)  # refused before any model runs; nothing touched
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
                                             args.timeout, args.openai_api_key_env, cache_dir=args.cache,
                                             max_reply_bytes=args.max_reply_bytes, retries=args.retries)
        source = {"kind": "openai endpoint", "name": f"{args.openai_model} at {adapters.public_url(args.openai_base_url)}"}
        extra_files["replies.jsonl"] = "".join(json.dumps({"doc_id": d, "reply": r}, ensure_ascii=False) + "\n" for d, r in replies.items())
    for warning in preds.warnings:
        print(warning, file=sys.stderr)
    scores = score(gold, preds, layers, resamples=args.resamples, seed=args.seed)
    report = build_report(scores, gold, source, time.perf_counter() - started, preds.warnings)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_terminal(report))
    if args.output:
        lines = None if args.predictions else [preds.by_doc[d] for d in texts if d in preds.by_doc]
        write_outputs(args.output, report, gold, preds, layers, lines, extra_files)
        print(f"wrote: {args.output}/report.json, report.md, report.html" + ("" if lines is None else ", predictions.jsonl"),
              file=sys.stderr)
    return 0
