"""Speed and memory of newsclaims against nervaluate 1.2.1, measured in one run, each tool in its own process.

    python -m newsclaims.eval.bench                 # every table below
    python -m newsclaims.eval.bench --write-readme  # also put the tables into README.md

A developer tool, run in a checkout (pip install -e '.[test]': it imports nervaluate, a test
extra): the package newsclaims.eval.bench is not listed in pyproject.toml's packages, so no wheel
ships it.

1. Core: the entity scorer on lists already in memory (20,000 documents x 50 gold and 50 predicted
   spans, all four schemes overall and per label).
2. End to end, as a user runs it: a dataset folder of 20,000 documents x 50 gold mentions and a
   predictions file of about 45 mentions per document, both in newsclaims' own formats, on disk;
   the two tools run in turn three times, and the ratio quoted is the median of the three pairs'.
   nervaluate: read the two JSON Lines files with ``json``, make ends inclusive, evaluate.
   newsclaims: ``newsclaims eval --data DIR --predictions FILE --layers entities --output OUT``.
   Counts of the four schemes (overall and per label) must be identical.
3. Large documents: 200,000 predicted spans per document x the 5 packaged documents, end to end.
4. Cold start: ``newsclaims eval --predictions`` on the packaged gold, median of several new
   processes (after one run that writes Python's bytecode caches, as an installed package has
   them), beside a bare ``python -c pass``.
5. ``--llm-throughput`` (alone): an endpoint run of 200 documents against a loopback server with a
   200 ms reply delay at --workers 1, 4, 16 and 64, and a rerun from the cache (``bench/llm.py``).

Every workload is generated from a fixed seed. Wall time is measured around the process; peak
memory is the process's maximum resident set (``os.wait4``), and for newsclaims that plus what the
worker processes that check a large file's chunks on the other cores added beyond the pages they
share with it (``newsclaims.batches``; report.json's ``memory``), summed over the workers that run
together: an estimate from above, as the process's own peak is counted whole. Gold spans sit in separate slots and
each prediction stays in its slot, so greedy and optimal matching must agree and identical numbers
are expected.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
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


def nervaluate_counts(result: dict) -> dict:
    """nervaluate's five counts per scheme, overall and per label, keyed as ours ("strict/GPE")."""
    counts = {}
    for ours, theirs in {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}.items():
        r = result["overall"][theirs]
        counts[ours] = [r.correct, r.incorrect, r.partial, r.missed, r.spurious]
        for label in LABELS:
            r = result["entities"][label][theirs]
            counts[f"{ours}/{label}"] = [r.correct, r.incorrect, r.partial, r.missed, r.spurious]
    return counts


def nervaluate_from_files(gold_path: str, pred_path: str, documents_path: str) -> dict:
    """nervaluate end to end, as a user would run it: read both JSON Lines files, make ends inclusive."""
    from nervaluate import Evaluator

    gold: dict[str, list] = {}
    for line in open(gold_path, encoding="utf-8"):
        row = json.loads(line)
        gold.setdefault(row["doc_id"], []).append({"label": row["label"], "start": row["start"], "end": row["end"] - 1})
    docs = [json.loads(line)["doc_id"] for line in open(documents_path, encoding="utf-8")]
    pred = {}
    for line in open(pred_path, encoding="utf-8"):
        obj = json.loads(line)
        pred[obj["doc_id"]] = [{"label": s["label"], "start": s["start"], "end": s["end"] - 1} for s in obj["entities"]]
    result = Evaluator([gold.get(d, []) for d in docs], [pred.get(d, []) for d in docs], tags=LABELS).evaluate()
    return nervaluate_counts(result)


def run_tool(tool: str, docs: int, spans: int) -> dict:
    gold, pred = corpus(docs, spans)
    before = _peak_mb()
    started = time.perf_counter()
    counts = {}
    if tool == "nervaluate":
        from nervaluate import Evaluator

        incl = lambda ds: [[{"label": s["label"], "start": s["start"], "end": s["end"] - 1} for s in d] for d in ds]
        counts = nervaluate_counts(Evaluator(incl(gold), incl(pred), tags=LABELS).evaluate())
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


def _user_env() -> dict:
    """The environment a user runs in: Python may write its bytecode caches (pip's installs have
    them; a sandbox's PYTHONDONTWRITEBYTECODE would make every run compile every module again)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run_measured(argv: list[str]) -> dict:
    """Run a command from a fresh wrapper process (``measure``): its wall time and its tree's peak memory."""
    done = subprocess.run([sys.executable, "-m", "newsclaims.eval.bench", "--measure", *argv], capture_output=True, text=True,
                          check=True, env=_user_env())
    result = json.loads(done.stdout)
    if result["status"] != 0:
        raise SystemExit(f"{' '.join(argv[:5])}...: exit {result['status']}: {result['stderr'].strip()[-600:]}")
    return result


def measure(argv: list[str]) -> dict:
    """Wall time of a command and the peak memory of its process tree (``newsclaims.batches.TreeMemory``:
    sampled PSS of it and its workers, shared pages once, never below its own maximum resident set
    from ``os.wait4``): the same measure for every tool. Its output is kept in files, so the pipes
    cost it nothing."""
    import tempfile

    from newsclaims.batches import TreeMemory

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err)
        tree = TreeMemory(child.pid).start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        tree.stop()
        out.seek(0)
        err.seek(0)
        memory = tree.peak_mb(usage.ru_maxrss)
        return {"seconds": seconds, "peak_mb": memory["peak_mb"], "processes": memory["processes"], "samples": memory["samples"],
                "status": child.returncode, "stdout": out.read().decode(), "stderr": err.read().decode()[-2000:]}


def write_end_to_end_workload(folder: Path, docs: int, spans: int, seed: int = 17) -> tuple[Path, Path]:
    """A dataset folder (as newsclaims build writes one, entities only) and a predictions file."""
    import hashlib

    gold_docs, pred_docs = corpus(docs, spans, seed)
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "dataset"
    for config in ("documents", "entities", "quotes", "numeric_claims", "kb"):
        (data / config).mkdir(parents=True, exist_ok=True)
    letters = "abcdefghijklmnopqrstuvwxyz"
    rnd = random.Random(seed)
    with open(data / "documents" / "test.jsonl", "w", encoding="utf-8") as documents, \
            open(data / "entities" / "test.jsonl", "w", encoding="utf-8") as entities, \
            open(folder / "predictions.jsonl", "w", encoding="utf-8") as predictions:
        for d, (gold, pred) in enumerate(zip(gold_docs, pred_docs)):
            doc_id = f"doc{d:06d}"
            text = "".join(rnd.choice(letters) for _ in range(spans * SLOT))
            documents.write(json.dumps({"doc_id": doc_id, "cluster_id": "bench", "fold": d, "file": f"{doc_id}.txt",
                                        "sha256": hashlib.sha256(text.encode()).hexdigest(), "text": text}) + "\n")
            for k, g in enumerate(gold):
                entities.write(json.dumps({"doc_id": doc_id, "fold": d, "id": f"e{k + 1}", "start": g["start"], "end": g["end"],
                                           "text": text[g["start"]:g["end"]], "label": g["label"],
                                           "entity_id": None if g["label"] == "DATE" else f"x{k}"}) + "\n")
            kept = [p for p in pred if rnd.random() < 0.9]  # about 45 of 50 per document
            predictions.write(json.dumps({"doc_id": doc_id, "entities": kept}) + "\n")
    for config in ("quotes", "numeric_claims", "kb"):
        (data / config / "test.jsonl").write_text("", encoding="utf-8")
    files = {f"{c}/test.jsonl": hashlib.sha256((data / c / "test.jsonl").read_bytes()).hexdigest()
             for c in ("documents", "entities", "quotes", "numeric_claims", "kb")}
    (data / "build_info.json").write_text(json.dumps({"data_version": "bench", "gold_sha256": "0" * 64, "split": "test", "files": files}))
    return data, folder / "predictions.jsonl"




def _report_counts(report: dict) -> dict:
    counts = {}
    for scheme, data in report["layers"]["entities"]["schemes"].items():
        m = data["micro"]
        counts[scheme] = [m[k] for k in ("correct", "incorrect", "partial", "missed", "spurious")]
        for label in LABELS if "per_label" in data else ():  # the report has per-label views of strict and type only
            c = data["per_label"].get(label, {"correct": 0, "incorrect": 0, "partial": 0, "missed": 0, "spurious": 0})
            counts[f"{scheme}/{label}"] = [c[k] for k in ("correct", "incorrect", "partial", "missed", "spurious")]
    return counts


def end_to_end(tmp: Path, docs: int, spans: int, pairs: int = 3) -> dict:
    """Both tools on the same files, in turn (nervaluate, newsclaims, nervaluate, ...): the median of
    each one's wall times, the median of the pairs' ratios (a pair shares the machine's speed of the
    moment), and each one's largest peak."""
    data, predictions = write_end_to_end_workload(tmp, docs, spans)
    runs = []
    for k in range(pairs):
        theirs = _run_measured([sys.executable, "-m", "newsclaims.eval.bench", "--nervaluate-files",
                                str(data / "entities" / "test.jsonl"), str(predictions), str(data / "documents" / "test.jsonl")])
        out = tmp / f"run{k}"
        ours = _run_measured([sys.executable, "-m", "newsclaims.cli", "eval", "--data", str(data), "--predictions", str(predictions),
                              "--layers", "entities", "--output", str(out)])
        report = _report(out)
        mine = _report_counts(report)
        runs.append((theirs, ours, mine == {k: v for k, v in json.loads(theirs["stdout"]).items() if k in mine}))

    def summary(side: int) -> dict:
        return {"seconds": statistics.median(r[side]["seconds"] for r in runs), "peak_mb": max(r[side]["peak_mb"] for r in runs)}

    return {"theirs": summary(0), "ours": summary(1), "identical": all(r[2] for r in runs), "pairs": pairs,
            "ratio": statistics.median(r[0]["seconds"] / r[1]["seconds"] for r in runs),
            "ratios": [round(r[0]["seconds"] / r[1]["seconds"], 2) for r in runs]}


def large_documents(tmp: Path, per_doc: int = 200_000, seed: int = 5) -> dict:
    """200,000 predicted spans per packaged document, scored end to end."""
    from newsclaims.eval.gold import load_gold_data

    gold = load_gold_data()
    rnd = random.Random(seed)
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "large.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for doc_id, text in gold.texts.items():
            spans = []
            for _ in range(per_doc):
                start = rnd.randrange(len(text) - 1)
                spans.append({"start": start, "end": min(len(text), start + rnd.randint(1, 12)), "label": rnd.choice(LABELS)})
            handle.write(json.dumps({"doc_id": doc_id, "entities": spans}) + "\n")
    size_mb = path.stat().st_size / 1e6
    ours = _run_measured([sys.executable, "-m", "newsclaims.cli", "eval", "--predictions", str(path), "--layers", "entities",
                          "--output", str(tmp / "large-run")])
    return {"ours": ours, "size_mb": size_mb, "spans": per_doc * len(gold.texts)}


def _report(run: Path) -> dict:
    return json.loads((run / "report.json").read_text("utf-8"))


def cold_start(tmp: Path, repeats: int = 9) -> dict:
    """Median wall time of `newsclaims eval --predictions` on the gold, each in a new process."""
    from newsclaims.eval.gold import load_gold_data

    gold = load_gold_data()
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "gold_predictions.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for d in gold.texts:
            line = {"doc_id": d, **{layer: [{k: v for k, v in r.items() if k not in ("doc_id", "fold")} for r in gold.layers[layer][d]]
                                    for layer in ("entities", "quotes", "numeric_claims")}}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    ours, bare = [], []
    _run_measured([sys.executable, "-m", "newsclaims.cli", "eval", "--predictions", str(path)])  # bytecode caches written
    for _ in range(repeats):
        ours.append(_run_measured([sys.executable, "-m", "newsclaims.cli", "eval", "--predictions", str(path)])["seconds"])
        bare.append(_run_measured([sys.executable, "-c", "pass"])["seconds"])
    return {"median": statistics.median(ours), "python_median": statistics.median(bare), "repeats": repeats}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsclaims.eval.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--spans", type=int, default=50)
    parser.add_argument("--large-spans", type=int, default=200_000, help="predicted spans per document of the large run")
    parser.add_argument("--repeats", type=int, default=9, help="new processes timed for the cold start")
    parser.add_argument("--tool", choices=["nervaluate", "newsclaims"], help=argparse.SUPPRESS)
    parser.add_argument("--nervaluate-files", nargs=3, metavar=("GOLD", "PREDICTIONS", "DOCUMENTS"), help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--write-readme", action="store_true", help="replace the benchmark tables in README.md")
    parser.add_argument("--llm-throughput", action="store_true",
                        help="only the endpoint run at --workers 1/4/16/64 against a 200 ms loopback server (bench/llm.py)")
    args = parser.parse_args(argv)
    if args.llm_throughput:
        from .llm import llm_throughput, table as llm_table

        text = llm_table(llm_throughput(), _machine())
        print(text)
        if args.write_readme:
            _write_readme_block("bench-llm", text)
        return 0
    if args.tool:
        print(json.dumps(run_tool(args.tool, args.docs, args.spans)))
        return 0
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    if args.nervaluate_files:
        print(json.dumps(nervaluate_from_files(*args.nervaluate_files)))
        return 0
    import tempfile

    size = ["--docs", str(args.docs), "--spans", str(args.spans)]
    ours = _in_new_process("--tool", "newsclaims", *size)
    theirs = _in_new_process("--tool", "nervaluate", *size)
    identical = ours["counts"] == theirs["counts"]
    with tempfile.TemporaryDirectory() as tmp:
        cold = cold_start(Path(tmp) / "cold", args.repeats)  # first: its warm-up run writes the bytecode caches
        e2e = end_to_end(Path(tmp) / "e2e", args.docs, args.spans)
        large = large_documents(Path(tmp) / "large", args.large_spans)
    t, o = e2e["theirs"], e2e["ours"]
    lo = large["ours"]
    table = "\n".join([
        f"**End to end**, as a user runs it: a dataset folder of {args.docs:,} synthetic documents x {args.spans} gold mentions and "
        "a predictions file of about 45 mentions per document, each tool in its own process "
        "(nervaluate: read both JSON Lines files with `json`, make ends inclusive, evaluate; newsclaims: "
        "`newsclaims eval --data DIR --predictions FILE --layers entities --output OUT`, its file reading on every core; "
        "its peak memory adds what its reading workers added beyond the pages they share with it). "
        f"The tools ran in turn, {e2e['pairs']} times each: median wall times, the median of the {e2e['pairs']} pairs' ratios "
        f"({', '.join(f'{r:.1f}' for r in e2e['ratios'])}), the largest peaks:",
        "",
        "| tool | wall time | peak memory | counts, four schemes and per label |",
        "|---|---|---|---|",
        f"| nervaluate 1.2.1 | {t['seconds']:.2f} s | {t['peak_mb']:.0f} MB | reference |",
        f"| newsclaims eval | {o['seconds']:.2f} s | {o['peak_mb']:.0f} MB | {'identical' if e2e['identical'] else 'DIFFERENT'} |",
        f"| ratio | {e2e['ratio']:.1f}x faster | {o['peak_mb'] / t['peak_mb']:.2f} of nervaluate's | |",
        "",
        f"**Large documents**: {large['spans']:,} predicted spans ({large['size_mb']:.0f} MB) over the 5 packaged documents, "
        f"`newsclaims eval --predictions FILE --layers entities --output OUT`: {lo['seconds']:.2f} s, {lo['peak_mb']:.0f} MB peak.",
        "",
        f"**Cold start**: `newsclaims eval --predictions` on the packaged gold, median of {cold['repeats']} new processes: "
        f"{cold['median']:.3f} s (a bare `python -c pass`: {cold['python_median']:.3f} s).",
        "",
        f"**Core**: the entity scorer alone on lists already in memory, {args.docs:,} documents x {args.spans} gold and "
        f"{args.spans} predicted spans, all four schemes overall and per label:",
        "",
        "| tool | wall time | peak memory of the process | peak above the input data | counts |",
        "|---|---|---|---|---|",
        f"| nervaluate 1.2.1 | {theirs['seconds']:.2f} s | {theirs['peak_mb']:.0f} MB | {theirs['peak_mb'] - theirs['data_mb']:.0f} MB | reference |",
        f"| newsclaims | {ours['seconds']:.2f} s | {ours['peak_mb']:.0f} MB | {ours['peak_mb'] - ours['data_mb']:.0f} MB | "
        f"{'identical' if identical else 'DIFFERENT'} |",
        f"| ratio | {theirs['seconds'] / ours['seconds']:.1f}x faster | {ours['peak_mb'] / theirs['peak_mb']:.2f} of nervaluate's | "
        f"{(ours['peak_mb'] - ours['data_mb']) / max(1.0, theirs['peak_mb'] - theirs['data_mb']):.2f} of nervaluate's | |",
        "",
        f"Measured by `python -m newsclaims.eval.bench` in one run on {_machine()}.",
    ])
    print(table)
    if args.write_readme:
        _write_readme_block("bench", table)
    return 0 if identical and e2e["identical"] else 1


def _write_readme_block(name: str, table: str) -> None:
    """Replace what README.md holds between <!-- NAME --> and <!-- /NAME --> by ``table``."""
    readme = Path(__file__).resolve().parents[2] / "README.md"  # eval/bench/ of a checkout
    text = readme.read_text("utf-8")
    new = re.sub(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", lambda m: m.group(1) + table + "\n" + m.group(2), text, flags=re.S)
    readme.write_text(new, encoding="utf-8")


def _machine() -> str:
    import os
    import platform

    return f"{os.cpu_count()} cores, Python {platform.python_version()}"

