"""Speed and memory of the entity scorer against nervaluate 1.2.1, in one run.

    python -m newsclaims.eval.bench                 # 20,000 documents x 50 gold and 50 predicted spans
    python -m newsclaims.eval.bench --write-readme  # also put the table into README.md

Each tool runs in its own fresh process on the same seeded synthetic corpus and computes all four
schemes overall and per label; the table gives wall time, peak resident memory of the process, and
whether the counts (correct, incorrect, partial, missed, spurious) are identical. Gold spans sit in
separate slots and each prediction stays in its slot, so greedy and optimal matching must agree and
identical numbers are expected. A third run times ``newsclaims eval --predictions`` on the gold,
cold, in a new process.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

LABELS = ["PERSON", "ORG", "GPE", "DATE", "NORP"]
SLOT = 20


def corpus(docs: int, spans: int, seed: int = 13):
    """Gold and predictions, end exclusive, one list per document."""
    rnd = random.Random(seed)
    gold_docs, pred_docs = [], []
    for _ in range(docs):
        gold, pred = [], []
        for slot in range(spans):
            start = slot * SLOT + rnd.randint(0, 3)
            g = {"start": start, "end": start + rnd.randint(1, 8), "label": rnd.choice(LABELS)}
            gold.append(g)
            roll = rnd.random()
            if roll < 0.70:
                pred.append(dict(g))
            elif roll < 0.78:
                pred.append({**g, "label": rnd.choice(LABELS)})
            elif roll < 0.86:
                pred.append({**g, "end": g["end"] + 1})
            elif roll < 0.93:
                pred.append({"start": slot * SLOT + 14, "end": slot * SLOT + 18, "label": rnd.choice(LABELS)})
        while len(pred) < spans:  # fill up with spurious spans in free slots' gaps
            slot = rnd.randrange(spans)
            spurious = {"start": slot * SLOT + 14, "end": slot * SLOT + 18, "label": rnd.choice(LABELS)}
            if spurious not in pred:
                pred.append(spurious)
        pred.sort(key=lambda s: s["start"])
        gold_docs.append(gold)
        pred_docs.append(pred)
    return gold_docs, pred_docs


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_tool(tool: str, docs: int, spans: int) -> dict:
    gold, pred = corpus(docs, spans)
    before = _peak_mb()
    started = time.perf_counter()
    counts = {}
    if tool == "nervaluate":
        from nervaluate import Evaluator

        incl = lambda ds: [[{"label": s["label"], "start": s["start"], "end": s["end"] - 1} for s in d] for d in ds]
        result = Evaluator(incl(gold), incl(pred), tags=LABELS).evaluate()
        names = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
        for ours, theirs in names.items():
            r = result["overall"][theirs]
            counts[ours] = [r.correct, r.incorrect, r.partial, r.missed, r.spurious]
            for label in LABELS:
                r = result["entities"][label][theirs]
                counts[f"{ours}/{label}"] = [r.correct, r.incorrect, r.partial, r.missed, r.spurious]
    else:
        from newsclaims.eval.scoring import scheme_scores

        result = scheme_scores(gold, pred, LABELS)
        for scheme, data in result.items():
            counts[scheme] = list(data["overall"].astuple())
            for label in LABELS:
                counts[f"{scheme}/{label}"] = list(data["per_label"][label].astuple())
    elapsed = time.perf_counter() - started
    return {"tool": tool, "seconds": elapsed, "peak_mb": _peak_mb(), "data_mb": before, "counts": counts}


def _in_new_process(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "newsclaims.eval.bench", *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cold_eval_seconds(tmp: Path, repeats: int = 5) -> float:
    """Best wall time of `newsclaims eval --predictions` on the gold, each in a new process."""
    from newsclaims.eval.gold import load_gold_data

    gold = load_gold_data()
    path = tmp / "gold_predictions.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for d in gold.texts:
            line = {"doc_id": d, **{layer: [{k: v for k, v in r.items() if k not in ("doc_id", "fold")} for r in gold.layers[layer][d]]
                                    for layer in ("entities", "quotes", "numeric_claims")}}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "newsclaims.cli", "eval", "--predictions", str(path)], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsclaims.eval.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--spans", type=int, default=50)
    parser.add_argument("--tool", choices=["nervaluate", "newsclaims"], help=argparse.SUPPRESS)
    parser.add_argument("--write-readme", action="store_true", help="replace the benchmark table in README.md")
    args = parser.parse_args(argv)
    if args.tool:
        print(json.dumps(run_tool(args.tool, args.docs, args.spans)))
        return 0
    import tempfile

    size = ["--docs", str(args.docs), "--spans", str(args.spans)]
    ours = _in_new_process("--tool", "newsclaims", *size)
    theirs = _in_new_process("--tool", "nervaluate", *size)
    identical = ours["counts"] == theirs["counts"]
    with tempfile.TemporaryDirectory() as tmp:
        cold = cold_eval_seconds(Path(tmp))
    table = "\n".join([
        f"Entity scoring, {args.docs:,} synthetic documents x {args.spans} gold and {args.spans} predicted spans, "
        "all four schemes overall and per label (`python -m newsclaims.eval.bench`):",
        "",
        "| tool | wall time | peak memory of the process | peak above the input data | counts |",
        "|---|---|---|---|---|",
        f"| nervaluate 1.2.1 | {theirs['seconds']:.2f} s | {theirs['peak_mb']:.0f} MB | {theirs['peak_mb'] - theirs['data_mb']:.0f} MB | reference |",
        f"| newsclaims | {ours['seconds']:.2f} s | {ours['peak_mb']:.0f} MB | {ours['peak_mb'] - ours['data_mb']:.0f} MB | "
        f"{'identical' if identical else 'DIFFERENT'} |",
        f"| ratio | {theirs['seconds'] / ours['seconds']:.1f}x faster | {ours['peak_mb'] / theirs['peak_mb']:.2f} of nervaluate's | "
        f"{(ours['peak_mb'] - ours['data_mb']) / max(1.0, theirs['peak_mb'] - theirs['data_mb']):.2f} of nervaluate's | |",
        "",
        "Both processes first build the same input (lists of span dicts); the last memory column is what each "
        "scorer adds on top of it.",
        "",
        f"`newsclaims eval --predictions` on the gold, cold, in a new process: {cold:.2f} s (best of 5).",
        f"Measured on {_machine()}.",
    ])
    print(table)
    if args.write_readme:
        readme = Path(__file__).resolve().parent.parent / "README.md"
        text = readme.read_text("utf-8")
        new = re.sub(r"(<!-- bench -->\n).*?(<!-- /bench -->)", lambda m: m.group(1) + table + "\n" + m.group(2), text, flags=re.S)
        readme.write_text(new, encoding="utf-8")
    return 0 if identical else 1


def _machine() -> str:
    import os
    import platform

    return f"{os.cpu_count()} cores, Python {platform.python_version()}"


if __name__ == "__main__":
    sys.exit(main())
