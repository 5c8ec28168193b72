"""report.html shows every error class in context and per-label counts that reconcile with their F1;
compare gives one leaderboard per layer and never crashes on reports with different layers."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from newsclaims.eval.gold import load_gold_data

FIELDS = {"entities": ("start", "end", "label", "entity_id"),
          "quotes": ("start", "end", "type", "speaker", "speaker_id", "cue", "quote_group"),
          "numeric_claims": ("start", "end", "value", "unit", "approx", "source", "source_id", "claim_group")}


def _gold_lines(layers=tuple(FIELDS)):
    gold = load_gold_data()
    return [{"doc_id": d, **{layer: [{k: copy.deepcopy(r[k]) for k in FIELDS[layer]} for r in gold.layers[layer][d]]
                             for layer in layers}} for d in gold.texts]


def _write(path: Path, lines) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def _damaged_lines():
    """The gold with one error of each class a reader must be able to find in report.html."""
    lines = _gold_lines()
    first, second = lines[0], lines[1]
    ents = first["entities"]
    ents[0]["label"] = "ORG"                                     # wrong type
    ents[1]["end"] -= 1                                          # boundary
    del ents[2]                                                  # missed
    ents.append({"start": 1, "end": 4, "label": "GPE"})          # spurious ("ash" of Washington overlaps e1? no: it is inside it)
    first["quotes"][0]["speaker_id"] = "joe_biden"               # wrong speaker
    first["quotes"][1]["type"] = "indirect"                      # wrong type (an accuracy error)
    claims = second["numeric_claims"]
    claims[0]["value"] += 1                                      # wrong value
    claims[1]["unit"] = "box"                                    # wrong unit
    claims[2]["approx"] = "at_most"                              # wrong approx
    first["numeric_claims"][0]["source_id"] = "author"           # wrong source
    return lines


def test_report_html_shows_every_error_class_in_context(cli, tmp_path):
    preds = _write(tmp_path / "p.jsonl", _damaged_lines())
    assert cli("eval", "--predictions", preds, "--output", tmp_path / "out").code == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    counts = {layer: s["counts"] for layer, s in report["error_summary"].items()}
    assert {"wrong type", "boundary", "missed"} <= set(counts["entities"])
    assert {"wrong speaker", "wrong type"} <= set(counts["quotes"])
    assert {"wrong value", "wrong unit", "wrong source", "wrong approx"} <= set(counts["numeric_claims"])
    for layer, by_class in counts.items():
        for kind, n in by_class.items():
            assert f"<h3>{kind} ({n})</h3>" in html, (layer, kind)
    assert "…" in html and "predicted: " in html and "gold: " in html  # each error in its context
    # the main score's counts reconcile with its errors: every false negative is a gold record of
    # an error class, every false positive a prediction of one
    for layer in ("quotes", "numeric_claims"):
        main, c = report["main_scores"][layer], counts[layer]
        paired = sum(v for k, v in c.items() if k not in ("missed", "spurious", "unplaced", "wrong type", "wrong cue", "wrong approx"))
        assert main["gold"] - main["tp"] == paired + c.get("missed", 0)
        assert main["predicted"] - main["tp"] == paired + c.get("spurious", 0) + c.get("unplaced", 0)


def test_per_label_counts_reconcile_with_their_f1(cli, tmp_path):
    preds = _write(tmp_path / "p.jsonl", _damaged_lines())
    assert cli("eval", "--predictions", preds, "--output", tmp_path / "out").code == 0
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    rows = re.findall(r"<tr><td>([A-Z_a-z]+)</td><td><span class='bar'[^>]*></span> ([0-9.]+|n/a)</td>"
                      r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", html)
    assert len(rows) > 5
    for label, f1, correct, incorrect, partial, missed, spurious in rows:
        c, i, p, m, s = map(int, (correct, incorrect, partial, missed, spurious))
        credit = c + 0.5 * p
        expected = 2 * credit / ((c + i + p + s) + (c + i + p + m)) if (c + i + p + s + m) else None
        assert f1 == (f"{expected:.3f}" if expected is not None else "n/a"), label


def test_compare_ranks_each_layer_by_its_own_score_and_names_runs(cli, tmp_path):
    good = _write(tmp_path / "good.jsonl", _gold_lines())
    weak = _write(tmp_path / "weak.jsonl", _damaged_lines())
    entities_only = _write(tmp_path / "ents.jsonl", _gold_lines(["entities"]))
    for name, preds in (("runs/a", weak), ("runs/b", good), ("runs/c", entities_only)):
        assert cli("eval", "--predictions", preds, "--output", tmp_path / name).code == 0
    # the report with fewer layers comes first: no KeyError, and each layer has its own board
    result = cli("compare", tmp_path / "runs/c/report.json", tmp_path / "runs/a/report.json", tmp_path / "runs/b/report.json")
    assert result.code == 0, result.err
    boards = result.out.split("## ")[1:]
    assert [b.splitlines()[0] for b in boards] == ["entities", "quotes", "numeric_claims"]
    quotes = boards[1].splitlines()
    assert "good.jsonl [entities+quotes+numeric_claims] (b)" in quotes[2]
    assert "weak.jsonl" in quotes[3] and "ents.jsonl [entities] (c)" in quotes[4] and "not predicted" in quotes[4]
    entities = boards[0]
    assert entities.count("paired permutation p =") == 3  # every pair of the three systems
    assert "p = 0.000" not in result.out


def test_compare_refuses_other_gold_and_old_reports(cli, tmp_path):
    preds = _write(tmp_path / "good.jsonl", _gold_lines())
    assert cli("eval", "--predictions", preds, "--output", tmp_path / "a").code == 0
    report = json.loads((tmp_path / "a" / "report.json").read_text("utf-8"))
    other = copy.deepcopy(report)
    other["dataset"]["gold_sha256"] = "f" * 64
    (tmp_path / "other.json").write_text(json.dumps(other))
    result = cli("compare", tmp_path / "a" / "report.json", tmp_path / "other.json")
    assert result.code == 2 and "dataset.gold_sha256: found \"ffff" in result.err and "expected the same gold as" in result.err
    old = copy.deepcopy(report)
    del old["main_scores"]["entities"]["per_document"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    result = cli("compare", tmp_path / "old.json")
    assert result.code == 2 and "main_scores.entities.per_document: found nothing" not in result.err
    assert 'expected per-document rows {"doc_id", "tp", "predicted", "gold"}' in result.err and "Traceback" not in result.err


def test_seed_and_resamples_are_recorded(cli, tmp_path):
    preds = _write(tmp_path / "good.jsonl", _gold_lines())
    report = json.loads(cli("eval", "--predictions", preds, "--json", "--seed", "7", "--resamples", "50").out)
    assert report["bootstrap"]["seed"] == 7 and report["bootstrap"]["resamples"] == 50


@pytest.mark.parametrize("option,value", [("--seed", "x"), ("--seed", "-1"), ("--resamples", "x"), ("--resamples", "0")])
def test_seed_and_resamples_are_range_checked(capsys, option, value):
    from newsclaims.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["eval", option, value])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and f"argument {option}: found " in err and len(err.strip().splitlines()) == 1
