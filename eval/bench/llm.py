"""``python -m newsclaims.eval.bench --llm-throughput``: an endpoint run end to end, as a user runs it.

A dataset folder of 200 synthetic documents and a loopback chat server that answers each request
after 200 ms (``fake_chat.FakeChat``, following the answer schema); ``newsclaims eval --data DIR
--openai-base-url URL --openai-model bench --workers N --output OUT`` in a new process for N = 1,
4, 16 and 64. The ideal is the server's time alone: ceil(200 / N) rounds of 200 ms after the probe
(the first document, asked alone) — about 200 / N x 0.2 s — plus the fixed cost of a run (start,
reading, scoring, writing the reports), measured as a run whose replies all come from the cache.
Then the same run twice with ``--cache``: the second must send no request.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path

WORKERS = (1, 4, 16, 64)


def llm_throughput(docs: int = 200, delay: float = 0.2, workers=WORKERS) -> dict:
    from . import _run_measured, write_end_to_end_workload
    from .fake_chat import FakeChat

    rows = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, FakeChat("accepts", delay) as fake:
        data, _ = write_end_to_end_workload(Path(tmp) / "work", docs, 5)

        def run(n: int, out: str, *extra: str) -> tuple[dict, dict]:
            before = fake.requests
            measured = _run_measured([sys.executable, "-m", "newsclaims.cli", "eval", "--data", str(data), "--openai-base-url", fake.url,
                                      "--openai-model", "bench", "--workers", str(n), "--output", str(Path(tmp) / out), *extra])
            report = json.loads((Path(tmp) / out / "report.json").read_text("utf-8"))
            return {**measured, "requests": fake.requests - before}, report

        for n in workers:
            measured, report = run(n, f"w{n}")
            rows.append({"workers": n, "seconds": measured["seconds"], "requests": measured["requests"],
                         "rounds_seconds": (1 + math.ceil((docs - 1) / n)) * delay,
                         "connections": report["predictions"]["usage"]["connections_opened"]})
        cache = str(Path(tmp) / "cache")
        first, _ = run(64, "cached1", "--cache", cache)
        second, _ = run(64, "cached2", "--cache", cache)
    fixed = second["seconds"]
    return {"docs": docs, "delay": delay, "rows": rows, "load_average": load, "fixed_seconds": fixed,
            "first_cached_run": first, "second_cached_run": second}


def table(result: dict, machine: str) -> str:
    docs, delay = result["docs"], result["delay"]
    lines = [
        f"**An endpoint run, end to end**: `newsclaims eval --data DIR --openai-base-url URL --openai-model bench --workers N "
        f"--output OUT` on {docs} synthetic documents against a loopback server that answers each request after "
        f"{delay * 1000:.0f} ms (`newsclaims.eval.bench.fake_chat`). The ideal is the server's time alone (the probe, then "
        f"ceil({docs - 1} / N) rounds of {delay * 1000:.0f} ms) plus the fixed cost of a run (start, reading, scoring, reports: "
        f"{result['fixed_seconds']:.2f} s, a run answered from the cache):",
        "",
        "| --workers | wall time | ideal | above the ideal | connections opened |",
        "|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        ideal = row["rounds_seconds"] + result["fixed_seconds"]
        lines.append(f"| {row['workers']} | {row['seconds']:.2f} s | {ideal:.2f} s | {row['seconds'] - ideal:+.2f} s | {row['connections']} |")
    second = result["second_cached_run"]
    lines += ["", f"With `--cache DIR`, a first run sent {result['first_cached_run']['requests']} requests and a second run with "
              f"`--cache` sent {second['requests']} requests ({second['seconds']:.2f} s). "
              f"Measured by `python -m newsclaims.eval.bench --llm-throughput` on {machine} "
              f"(load average {result['load_average']:.2f} at the start)."]
    return "\n".join(lines)
