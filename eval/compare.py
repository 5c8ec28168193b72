"""``newsclaims compare``: one leaderboard per layer, with paired permutation tests between systems.

- Each layer has its own table, ranked by that layer's main score (a system that did not predict
  the layer is listed last, as "not predicted"); ties keep the order the reports were given in.
- A system is named by its model (the predictions' source), the layers it was scored on and its
  run folder, so two runs of one model can be told apart; the code column names the newsclaims
  version and commit that scored it, and says when the working tree had uncommitted changes.
- Every pair of systems that both have a number on a layer is tested over the documents: the
  p-value is the exact paired permutation test's (``metrics.paired_permutation_test``; Monte Carlo
  past ``metrics.EXACT_LIMIT`` assignments), printed with the smallest p the design can reach
  (``metrics.smallest_p_note``); the 95% interval of the difference is the paired bootstrap's
  (``metrics.paired_bootstrap``, its p-value not used: anticonservative on few documents).
- Every interval printed from fewer than ``metrics.FEW_DOCUMENTS`` documents is flagged as
  unreliable (``metrics.few_documents_note``).
- A report's per-document counts are read from ``main_scores.<layer>.per_document`` rows
  ``{"doc_id", "tp", "predicted", "gold"}`` (report_version 3).
- Reports of different data versions or different gold (data_version, gold_sha256) are refused, as are files that are not reports.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from newsclaims.labels import LAYERS
from newsclaims.problems import InvalidInput, Problem, show

from .metrics import few_documents_note, paired_bootstrap, paired_permutation_test, smallest_p_note

PER_DOCUMENT_COLUMNS = ("tp", "predicted", "gold")


def read_report(path: Path | str) -> dict:
    """A report.json written by ``newsclaims eval --output``, refused (one line) when it is not one."""
    from newsclaims.jsonio import expect_object, read_json

    report = expect_object(read_json(Path(path), str(path)), str(path))
    _required(report, str(path))
    return report


def _required(report: dict, label: str) -> None:
    for key in ("main_scores", "dataset", "predictions"):
        if not isinstance(report.get(key), dict):
            raise InvalidInput([Problem(label, "", key, show(report.get(key)) if key in report else "nothing",
                                        "a report.json written by newsclaims eval --output")])
    if not isinstance(report["dataset"].get("gold_sha256"), str):
        raise InvalidInput([Problem(label, "", "dataset.gold_sha256", show(report["dataset"].get("gold_sha256")), "a sha256 string")])
    for layer, m in report["main_scores"].items():
        if not isinstance(m, dict):
            raise InvalidInput([Problem(label, "", f"main_scores.{layer}", show(m), "an object")])
        value = m.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            per_doc = m.get("per_document")
            if not isinstance(per_doc, list) or not all(_row(r) for r in per_doc) or len({r["doc_id"] for r in per_doc}) != len(per_doc):
                raise InvalidInput([Problem(label, "", f"main_scores.{layer}.per_document", show(per_doc),
                                            'per-document rows {"doc_id", "tp", "predicted", "gold"}, one per document '
                                            "(report_version 3: newsclaims 0.6 or later)")])


def _row(row) -> bool:
    return (isinstance(row, dict) and isinstance(row.get("doc_id"), str)
            and all(isinstance(row.get(k), (int, float)) and not isinstance(row.get(k), bool) for k in PER_DOCUMENT_COLUMNS))


def per_document_counts(main: dict) -> dict[str, tuple]:
    """A main score's per-document rows as doc_id -> (tp, predicted, gold), what the paired tests take."""
    return {r["doc_id"]: tuple(r[k] for k in PER_DOCUMENT_COLUMNS) for r in main["per_document"]}


def system_name(path: str, report: dict) -> str:
    source = report["predictions"].get("name") or report["predictions"].get("kind") or "?"
    scored = report.get("layers_scored") or [l for l, m in report["main_scores"].items() if isinstance(m.get("value"), (int, float))]
    folder = Path(path).parent.name or str(Path(path).parent)
    return f"{source} [{'+'.join(scored) or 'no layer'}] ({folder})"


def _number(m: dict | None) -> float | None:
    value = (m or {}).get("value")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def leaderboards(reports: list[tuple[str, dict]], resamples: int = 1000, seed: int = 0) -> dict:
    """Per layer: ranked rows and the paired tests between every two systems with a number."""
    from .report import code_label

    first_path, first = reports[0]
    for path, r in reports[1:]:
        if r["dataset"].get("data_version") != first["dataset"].get("data_version"):
            raise InvalidInput([Problem(path, "", "dataset.data_version", show(r["dataset"].get("data_version")),
                                        f"the same data version as {first_path} ({first['dataset'].get('data_version')}): "
                                        "rescore both on one version")])
        if r["dataset"]["gold_sha256"] != first["dataset"]["gold_sha256"]:
            raise InvalidInput([Problem(path, "", "dataset.gold_sha256", show(r["dataset"]["gold_sha256"]),
                                        f"the same gold as {first_path} ({first['dataset']['gold_sha256'][:12]}…)")])
    names = [system_name(p, r) for p, r in reports]
    out = {}
    for layer in LAYERS:
        if not any(layer in r["main_scores"] for _, r in reports):
            continue
        entries = [(names[i], r["main_scores"].get(layer)) for i, (_, r) in enumerate(reports)]
        ranked = sorted(range(len(entries)), key=lambda i: (_number(entries[i][1]) is None, -(_number(entries[i][1]) or 0.0), i))
        rows = [{"system": entries[i][0], "value": _number(entries[i][1]),
                 "shown": (entries[i][1] or {}).get("value", "not scored"), "ci95": (entries[i][1] or {}).get("ci95"),
                 "n_documents": (entries[i][1] or {}).get("n_documents"), "code": code_label(reports[i][1])}
                for i in ranked]
        tests = []
        scored = [i for i in ranked if _number(entries[i][1]) is not None]
        for i, j in itertools.combinations(scored, 2):
            a, b = per_document_counts(entries[i][1]), per_document_counts(entries[j][1])
            try:
                test = paired_permutation_test(a, b, seed=seed)
                interval = paired_bootstrap(a, b, resamples, seed)
            except ValueError as err:
                test, interval = {"skipped": str(err)}, {}
            if interval:
                test.update(smallest_p_note=smallest_p_note(test), ci95=interval["ci95"], ci95_resamples=interval["resamples"],
                            ci95_note=few_documents_note(test["documents"]))
            tests.append({"a": entries[i][0], "b": entries[j][0], **test})
        name = next((m["name"] for _, m in entries if isinstance(m, dict) and m.get("name")), layer)
        out[layer] = {"score": name, "rows": rows, "tests": tests}
    return out


def format_leaderboards(boards: dict) -> str:
    from .report import _ci, _fmt

    lines = []
    for layer, board in boards.items():
        table = [("rank", "system", board["score"], "95% CI", "code (newsclaims)")]
        for k, row in enumerate(board["rows"], start=1):
            table.append((str(k), row["system"], _fmt(row["value"]) if row["value"] is not None else str(row["shown"]),
                          _ci(row["ci95"], row["n_documents"]), row["code"]))
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        lines.append(f"## {layer}")
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
        for t in board["tests"]:
            if "skipped" in t:
                lines.append(f"  {t['a']} vs {t['b']}: not tested ({t['skipped']})")
            elif t["p_value"] is None:
                lines.append(f"  {t['a']} vs {t['b']}: not tested (F1 undefined)")
            else:
                interval = ("" if t["ci95"][0] is None else
                            f" [{t['ci95'][0]:+.3f}, {t['ci95'][1]:+.3f}] (bootstrap 95%, {t['ci95_resamples']} resamples"
                            + (f"; {t['ci95_note']})" if t["ci95_note"] else ")"))
                how = "exact" if t["method"] == "exact" else f"Monte Carlo, {t['resamples']} resamples, seed {t['seed']}"
                lines.append(f"  {t['a']} - {t['b']}: {t['difference']:+.3f}{interval}, "
                             f"paired permutation p = {t['p_value']:.4g} ({how}; {t['smallest_p_note']})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
