"""Speed and memory of newsclaims against its references, measured in one run, each tool in its own process.

    python -m newsclaims.eval.bench                 # every table below (20,000 documents; a few minutes)
    python -m newsclaims.eval.bench --with-80k      # the growth check up to 80,000 documents too
    python -m newsclaims.eval.bench --write-readme  # also put the tables into README.md

A developer tool, run in a checkout (pip install -e '.[test]': it imports nervaluate, a test
extra): the package newsclaims.eval.bench is not listed in pyproject.toml's packages, so no wheel
ships it.

1. Every layer (issue 24), ``--docs`` documents each, workloads of ``workloads``: quotes + numeric
   claims against orjson parsing the same files (the parse floor); entities given by text against
   the same predictions given by offsets (counts must be equal); entities by offsets against the
   parse floor and against nervaluate (read both JSON Lines files with ``json``, make ends
   inclusive, evaluate; counts of the four schemes, overall and per label, must be identical).
   newsclaims runs ``newsclaims eval --data DIR --predictions FILE --layers ... --output OUT``. The
   tools of a workload run in turn ``--pairs`` times, each run just after reading its inputs once
   (this machine's page cache drops files untouched for a minute); the table gives medians and the
   median of the rounds' ratios, with the load average at the start and the end.
2. Growth: newsclaims on each workload at 1,000, 5,000 and 20,000 documents (80,000 with
   ``--with-80k``): time and memory per document, and per document added.
3. Large documents: 200,000 predicted spans per document x the 5 packaged documents, end to end.
4. Cold start: ``newsclaims eval --predictions`` on the packaged gold, median of several new
   processes (after one run that writes Python's bytecode caches, as an installed package has
   them), beside a bare ``python -c pass``.
5. Core: the entity scorer on lists already in memory (all four schemes overall and per label).
6. ``--llm-throughput`` (alone): an endpoint run of 200 documents against a loopback server with a
   200 ms reply delay at --workers 1, 4, 16 and 64, and a rerun from the cache (``bench/llm.py``).

Every workload is generated from a fixed seed. Wall time is measured around the process; peak
memory is its process tree's, sampled (``newsclaims.batches.TreeMemory``: the PSS of the process
and its workers summed, shared pages once, never below the process's own maximum resident set),
the same measure for every tool (``measure``). Gold spans of the entity workload sit in separate
slots and each prediction stays in its slot, so greedy and optimal matching must agree and
identical numbers are expected.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .workloads import LABELS, corpus, data_files, write_end_to_end_workload, write_entities_by_text_workload, write_quotes_claims_workload


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


def _report_counts(report: dict) -> dict:
    counts = {}
    for scheme, data in report["layers"]["entities"]["schemes"].items():
        m = data["micro"]
        counts[scheme] = [m[k] for k in ("correct", "incorrect", "partial", "missed", "spurious")]
        for label in LABELS if "per_label" in data else ():  # the report has per-label views of strict and type only
            c = data["per_label"].get(label, {"correct": 0, "incorrect": 0, "partial": 0, "missed": 0, "spurious": 0})
            counts[f"{scheme}/{label}"] = [c[k] for k in ("correct", "incorrect", "partial", "missed", "spurious")]
    return counts


def _warm(files) -> None:
    """Read each input once, just before a timed run: this machine's page cache drops files untouched
    for a minute, and neither tool should pay a cold disk the other does not."""
    for path in files:
        with open(path, "rb") as handle:
            while handle.read(1 << 24):
                pass


def _eval(data: Path, predictions: Path, layers: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "newsclaims.cli", "eval", "--data", str(data), "--predictions", str(predictions),
            "--layers", layers, "--output", str(out)]


def _parse_floor(files) -> list[str]:
    return [sys.executable, "-m", "newsclaims.eval.bench", "--parse-floor", *map(str, files)]


def parse_floor(paths: list[str]) -> dict:
    """The floor of reading: every line of the files parsed by orjson, nothing kept or checked."""
    import orjson

    lines = 0
    for path in paths:
        with open(path, "rb") as handle:
            for line in handle:
                orjson.loads(line)
                lines += 1
    return {"lines": lines}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def in_turn(sides: dict[str, callable], files, pairs: int) -> dict[str, list[dict]]:
    """Each side's command (``sides[name](k)`` for round k) run in turn, ``pairs`` rounds, each after
    reading the inputs once (``_warm``): every side's runs, in order."""
    runs: dict[str, list[dict]] = {name: [] for name in sides}
    for k in range(pairs):
        for name, argv in sides.items():
            _warm(files)
            runs[name].append(_run_measured(argv(k)))
    return runs


def _ratio(runs: dict[str, list[dict]], top: str, bottom: str, key: str = "seconds") -> tuple[float, list[float]]:
    """The median of the rounds' ratios top / bottom (a round's runs share the machine's speed of the moment)."""
    ratios = [a[key] / b[key] for a, b in zip(runs[top], runs[bottom])]
    return statistics.median(ratios), ratios


def quotes_claims_run(tmp: Path, docs: int, pairs: int) -> dict:
    """quotes + numeric claims, ``eval --data --predictions --layers quotes,numeric_claims``, against
    orjson parsing the same files."""
    data, predictions = write_quotes_claims_workload(tmp, docs)
    files = [*data_files(data), predictions]
    runs = in_turn({"floor": lambda k: _parse_floor(files),
                    "ours": lambda k: _eval(data, predictions, "quotes,numeric_claims", tmp / f"run{k}")}, files, pairs)
    return {"runs": runs, "ratio": _ratio(runs, "ours", "floor")}


def entities_by_text_run(tmp: Path, docs: int, pairs: int) -> dict:
    """Entities given by text against the same predictions given by offsets: time, memory, counts."""
    data, by_text, by_offsets = write_entities_by_text_workload(tmp, docs)
    files = [*data_files(data), by_text, by_offsets]
    runs = in_turn({"offsets": lambda k: _eval(data, by_offsets, "entities", tmp / f"offsets{k}"),
                    "ours": lambda k: _eval(data, by_text, "entities", tmp / f"text{k}")}, files, pairs)
    equal = all(_report(tmp / f"offsets{k}")["layers"] == _report(tmp / f"text{k}")["layers"] for k in range(pairs))
    return {"runs": runs, "ratio": _ratio(runs, "ours", "offsets"), "memory_ratio": _ratio(runs, "ours", "offsets", "peak_mb"),
            "equal": equal}


def end_to_end(tmp: Path, docs: int, spans: int, pairs: int = 3) -> dict:
    """Entities by offsets: nervaluate, orjson parsing the same files, newsclaims, in turn: the median of
    each one's wall times and peaks, the median of the rounds' ratios."""
    data, predictions = write_end_to_end_workload(tmp, docs, spans)
    files = [data / "documents" / "test.jsonl", data / "entities" / "test.jsonl", predictions]
    runs = in_turn({"nervaluate": lambda k: [sys.executable, "-m", "newsclaims.eval.bench", "--nervaluate-files",
                                             str(files[1]), str(predictions), str(files[0])],
                    "floor": lambda k: _parse_floor(files),
                    "ours": lambda k: _eval(data, predictions, "entities", tmp / f"run{k}")}, files, pairs)
    identical = True
    for k, theirs in enumerate(runs["nervaluate"]):
        mine = _report_counts(_report(tmp / f"run{k}"))
        identical &= mine == {key: v for key, v in json.loads(theirs["stdout"]).items() if key in mine}
    faster, ratios = _ratio(runs, "nervaluate", "ours")

    def summary(side: str) -> dict:
        return {"seconds": _median(runs[side], "seconds"), "peak_mb": _median(runs[side], "peak_mb")}

    return {"theirs": summary("nervaluate"), "ours": summary("ours"), "floor": summary("floor"), "identical": identical,
            "pairs": pairs, "ratio": faster, "ratios": [round(r, 2) for r in ratios], "floor_ratio": _ratio(runs, "ours", "floor")}


GROWTH_SIZES = (1_000, 5_000, 20_000)
WORKLOADS = {  # name -> (writer of (data, predictions) at a size, layers)
    "quotes + numeric claims": (lambda tmp, docs: write_quotes_claims_workload(tmp, docs), "quotes,numeric_claims"),
    "entities by text": (lambda tmp, docs: write_entities_by_text_workload(tmp, docs)[:2], "entities"),
    "entities by offsets": (lambda tmp, docs: write_end_to_end_workload(tmp, docs, 50), "entities"),
}


def growth(tmp: Path, sizes, measured: dict[str, dict[int, dict]]) -> dict[str, dict[int, dict]]:
    """newsclaims on each workload at each size (one run each; a size ``measured`` already has is reused)."""
    out: dict[str, dict[int, dict]] = {}
    for name, (write, layers) in WORKLOADS.items():
        out[name] = {}
        for docs in sizes:
            if docs in measured.get(name, {}):
                out[name][docs] = measured[name][docs]
                continue
            folder = tmp / f"{name.replace(' ', '_')}_{docs}"
            data, predictions = write(folder, docs)
            _warm([*data_files(data), predictions])
            out[name][docs] = _run_measured(_eval(data, predictions, layers, folder / "run"))
            shutil.rmtree(folder)  # the disk holds one size at a time
    return out


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


def _s(run: dict) -> str:
    return f"{run['seconds']:.2f} s, {run['peak_mb']:.0f} MB"


def _side(runs: list[dict]) -> dict:
    return {"seconds": _median(runs, "seconds"), "peak_mb": _median(runs, "peak_mb")}


def _ratios(ratio: tuple[float, list[float]]) -> str:
    return f"{ratio[0]:.2f}x ({', '.join(f'{r:.2f}' for r in ratio[1])})"


def workloads_table(docs: int, qc: dict, text: dict, e2e: dict, load: tuple) -> str:
    """The issue-24 table: each workload against its reference, measured in turn in this run."""
    q_ours, q_floor = _side(qc["runs"]["ours"]), _side(qc["runs"]["floor"])
    t_ours, t_offsets = _side(text["runs"]["ours"]), _side(text["runs"]["offsets"])
    rows = [
        f"**Every layer** ({docs:,} documents, each tool in its own process, run in turn {len(qc['runs']['ours'])} times after "
        "reading its inputs once; medians, and the median of the rounds' ratios with each round's in brackets; "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the start, {load[3]:.2f} / {load[4]:.2f} / {load[5]:.2f} "
        "at the end, over 1 / 5 / 15 minutes):",
        "",
        "| workload | newsclaims | reference in the same run | ratio | target |",
        "|---|---|---|---|---|",
        f"| quotes + numeric claims: 5 quotes (speaker and cue spans, speaker_id, group) + 3 claims (source span) per document, "
        f"`eval --data --layers quotes,numeric_claims` | {_s(q_ours)} | orjson parsing the same files: {_s(q_floor)} | "
        f"{_ratios(qc['ratio'])} the parse floor | 5x |",
        f"| entities given by text (LLM style, no offsets), `eval --data --layers entities` | {_s(t_ours)} | "
        f"the same predictions given by offsets: {_s(t_offsets)} | time {_ratios(text['ratio'])}, memory "
        f"{_ratios(text['memory_ratio'])}; counts {'equal' if text['equal'] else 'NOT EQUAL'} | 1.5x |",
        f"| entities by offsets, end to end | {_s(e2e['ours'])} | orjson parsing the same files: {_s(e2e['floor'])} | "
        f"{_ratios(e2e['floor_ratio'])} the parse floor | 2x |",
        f"| entities by offsets, end to end | {_s(e2e['ours'])} | nervaluate read + evaluate: {_s(e2e['theirs'])} | "
        f"{e2e['ratio']:.1f}x faster ({', '.join(f'{r:.1f}' for r in e2e['ratios'])}) | 10x faster |",
    ]
    return "\n".join(rows)


def growth_table(grown: dict[str, dict[int, dict]]) -> str:
    rows = ["**Growth** (newsclaims, one run a size; the step columns are the cost of each document added since the "
            "size before, which stays flat when growth is linear):", "",
            "| workload | documents | wall time | peak memory | per document | step per document |", "|---|---|---|---|---|---|"]
    for name, sizes in grown.items():
        before = None
        for docs, run in sorted(sizes.items()):
            step = "" if before is None else (f"{(run['seconds'] - before[1]['seconds']) / (docs - before[0]) * 1e6:.0f} µs, "
                                              f"{(run['peak_mb'] - before[1]['peak_mb']) * 1024 / (docs - before[0]):.1f} KB")
            rows.append(f"| {name} | {docs:,} | {run['seconds']:.2f} s | {run['peak_mb']:.0f} MB | "
                        f"{run['seconds'] / docs * 1e6:.0f} µs, {run['peak_mb'] * 1024 / docs:.1f} KB | {step} |")
            before = (docs, run)
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsclaims.eval.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--spans", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=3, help="rounds of the tools run in turn")
    parser.add_argument("--growth", type=int, nargs="*", default=list(GROWTH_SIZES), metavar="DOCS",
                        help=f"sizes of the growth check (default: {' '.join(map(str, GROWTH_SIZES))}; none: skipped)")
    parser.add_argument("--with-80k", action="store_true", help="add 80,000 documents to the growth check (minutes, a few GB of disk)")
    parser.add_argument("--large-spans", type=int, default=200_000, help="predicted spans per document of the large run")
    parser.add_argument("--repeats", type=int, default=9, help="new processes timed for the cold start")
    parser.add_argument("--tool", choices=["nervaluate", "newsclaims"], help=argparse.SUPPRESS)
    parser.add_argument("--nervaluate-files", nargs=3, metavar=("GOLD", "PREDICTIONS", "DOCUMENTS"), help=argparse.SUPPRESS)
    parser.add_argument("--parse-floor", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--write-readme", action="store_true", help="replace the benchmark tables in README.md")
    parser.add_argument("--llm-throughput", action="store_true",
                        help="only the endpoint run at --workers 1/4/16/64 against a 200 ms loopback server (bench/llm.py)")
    args = parser.parse_args(argv)
    if args.llm_throughput:
        from .llm import llm_throughput
        from .llm import table as llm_table

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
    if args.parse_floor:
        print(json.dumps(parse_floor(args.parse_floor)))
        return 0
    if args.nervaluate_files:
        print(json.dumps(nervaluate_from_files(*args.nervaluate_files)))
        return 0
    import tempfile

    load = os.getloadavg()
    size = ["--docs", str(args.docs), "--spans", str(args.spans)]
    ours = _in_new_process("--tool", "newsclaims", *size)
    theirs = _in_new_process("--tool", "nervaluate", *size)
    identical = ours["counts"] == theirs["counts"]
    with tempfile.TemporaryDirectory() as tmp:
        cold = cold_start(Path(tmp) / "cold", args.repeats)  # first: its warm-up run writes the bytecode caches
        e2e = end_to_end(Path(tmp) / "e2e", args.docs, args.spans, args.pairs)
        qc = quotes_claims_run(Path(tmp) / "qc", args.docs, args.pairs)
        text = entities_by_text_run(Path(tmp) / "text", args.docs, args.pairs)
        measured = {"quotes + numeric claims": {args.docs: _side(qc["runs"]["ours"])},
                    "entities by text": {args.docs: _side(text["runs"]["ours"])},
                    "entities by offsets": {args.docs: e2e["ours"]}} if args.spans == 50 else {}
        for done in ("e2e", "qc", "text"):  # the disk holds one workload at a time
            shutil.rmtree(Path(tmp) / done)
        sizes = sorted(set(args.growth) | ({80_000} if args.with_80k else set()) | ({args.docs} if args.growth else set()))
        grown = growth(Path(tmp) / "growth", sizes, measured) if sizes else {}
        large = large_documents(Path(tmp) / "large", args.large_spans)
    load = (*load, *os.getloadavg())
    t, o = e2e["theirs"], e2e["ours"]
    lo = large["ours"]
    table = "\n".join([
        workloads_table(args.docs, qc, text, e2e, load),
        "",
        *([growth_table(grown), ""] if grown else []),
        f"**End to end**, as a user runs it: a dataset folder of {args.docs:,} synthetic documents x {args.spans} gold mentions and "
        "a predictions file of about 45 mentions per document, each tool in its own process "
        "(nervaluate: read both JSON Lines files with `json`, make ends inclusive, evaluate; newsclaims: "
        "`newsclaims eval --data DIR --predictions FILE --layers entities --output OUT`, its file reading on every core). "
        f"The tools ran in turn, {e2e['pairs']} times each: median wall times and peaks, the median of the {e2e['pairs']} rounds' "
        f"ratios ({', '.join(f'{r:.1f}' for r in e2e['ratios'])}):",
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
        f"Peak memory is each process tree's, sampled (`newsclaims.batches.TreeMemory`: PSS of the process and its workers, "
        f"shared pages once). Measured by `python -m newsclaims.eval.bench` in one run on {_machine()}.",
    ])
    print(table)
    if args.write_readme:
        _write_readme_block("bench", table)
    return 0 if identical and e2e["identical"] and text["equal"] else 1


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
