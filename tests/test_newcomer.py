"""What a newcomer following the README meets in the first hour: each README promise, checked fast
and in-process where it can be (tests/test_readme.py runs the README itself, end to end)."""

from __future__ import annotations

import json
import re

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

README = (REPO / "README.md").read_text("utf-8")
EXAMPLE_DOC = "000_956b89daf0f4f269"


def readme_predictions_example() -> dict:
    return json.loads(re.search(r"^```json\n(.*?)^```$", README, re.S | re.M).group(1))


def test_predictions_example_validates_and_scores_what_the_readme_says(cli, tmp_path):
    line = readme_predictions_example()
    path = tmp_path / "predictions.jsonl"
    path.write_text(json.dumps(line) + "\n")
    assert cli("validate", path).code == 0
    result = cli("eval", "--predictions", path, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    gold = json.loads((REPO / "annotations" / "gold" / f"{EXAMPLE_DOC}.json").read_text("utf-8"))
    for layer in ("entities", "quotes", "numeric_claims"):
        row = next(r for r in report["main_scores"][layer]["per_document"] if r["doc_id"] == EXAMPLE_DOC)
        correct, predicted, n_gold = row["tp"], row["predicted"], row["gold"]
        assert (correct, predicted, n_gold) == (1, 1, len(gold[layer])), layer  # "1 correct of 1 predicted"
    # The ids and texts the README names are the gold's.
    by_id = {r["id"]: r for layer in ("entities", "quotes", "numeric_claims") for r in gold[layer]}
    assert (by_id["e1"]["text"], by_id["q2"]["text"], by_id["n1"]["text"]) == ("Washington", "very dangerous.", "10,000")
    for token in ("`e1`", "`q2`", "`n1`", '"Washington"', '"very dangerous."', '"10,000"'):
        assert token in README, token
    kb = {e["id"] for e in json.loads((REPO / "annotations" / "entities.json").read_text("utf-8"))["entities"]}
    assert {line["entities"][0]["entity_id"], line["quotes"][0]["speaker_id"], line["numeric_claims"][0]["source_id"]} <= kb


def _console_script() -> Path:
    script = Path(sys.executable).parent / "newsclaims"
    if not script.is_file():
        pytest.skip("no newsclaims console script beside this interpreter (pip install -e . makes one)")
    return script


def test_model_callable_imports_from_the_current_folder_without_pythonpath(tmp_path):
    """Run through the console script: `python -m`/`-c` would put the folder on sys.path themselves."""
    package = tmp_path / "newcomer_pkg"
    package.mkdir()
    (package / "extract.py").write_text(
        "def predict(document):\n"
        "    return {'doc_id': document['doc_id'], 'entities': []}\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([str(_console_script()), "eval", "--model", "newcomer_pkg.extract:predict", "--layers", "entities"],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "model: newcomer_pkg.extract:predict" in run.stdout


@pytest.mark.parametrize("command", ["agree", "adjudicate"])
def test_missing_annotation_folders_are_one_line(cli, tmp_path, command):
    """The README's folders are a and b; mistyped as A and B, the command says so in one line."""
    result = cli(command, tmp_path / "A", tmp_path / "B")
    assert result.code == 2
    assert result.err_lines == [f"{tmp_path / 'A'}: found nothing; expected an annotation set folder "
                                "(gold/, entities.json, claim_groups.json, quote_groups.json)"]


def test_eval_help_prints_percent_signs_once(cli, capsys):
    with pytest.raises(SystemExit):
        cli("eval", "--help")
    out = capsys.readouterr().out
    assert "95% document-level bootstrap interval" in out and "%%" not in out


@pytest.mark.parametrize("command", ["compare", "baselines"])
def test_commands_offer_only_options_they_use(cli, capsys, command):
    with pytest.raises(SystemExit):
        cli(command, "--help")
    assert "--seeds" not in capsys.readouterr().out


def test_readme_mentions_the_label_studio_variable_and_the_ignored_runs_folder():
    flat = " ".join(README.split())
    assert "NEWSCLAIMS_LABEL_STUDIO=" in flat and "## Running the tests" in README
    assert "runs/" in (REPO / ".gitignore").read_text().split()
    assert "`runs/` is in `.gitignore`" in flat


def test_readme_agree_example_names_folders_that_exist():
    for a, b in re.findall(r"newsclaims agree\s+(\S+)\s+(\S+?)`?[\s`]", README):
        if "<" not in a:
            assert (REPO / a).is_dir() and (REPO / b.rstrip("`")).is_dir(), (a, b)


def test_spacy_documentation_says_a_pipeline_is_needed():
    flat = " ".join(README.split())
    assert "python -m spacy download en_core_web_sm" in README and "NEWSCLAIMS_SPACY_MODEL" in flat and "Offline" in flat
    table = (REPO / "baselines" / "README.md").read_text("utf-8")
    if "`spacy` | needs a spaCy pipeline" not in table:
        assert re.search(r"^\| `spacy` \| \d\.\d{3}", table, re.M), "spacy row: scores or 'needs a spaCy pipeline'"
    assert "Traceback" not in table and "expected an installed pipeline" not in table

