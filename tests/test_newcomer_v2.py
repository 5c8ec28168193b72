"""Issue 20: a report that can't claim the wrong gold, and a newcomer's path with no trap. One test
(or a few) per item, numbered as in the issue."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO

README = (REPO / "README.md").read_text("utf-8")
SCORED_FILES = [f"{c}/test.jsonl" for c in ("documents", "entities", "kb", "numeric_claims", "quotes")]


# --- 1. eval --data checks every data file it reads against build_info.json ------------------------

def _edited_copy(mini_data: Path, tmp_path: Path) -> Path:
    """The built mini dataset with one entity label changed by hand (still a valid row)."""
    data = tmp_path / "data"
    shutil.copytree(mini_data, data)
    path = data / "entities" / "test.jsonl"
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    rows[0]["label"] = "ORG" if rows[0]["label"] != "ORG" else "GPE"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return data


def test_edited_data_is_refused_in_one_line(cli, mini_data, tmp_path):
    data = _edited_copy(mini_data, tmp_path)
    actual = hashlib.sha256((data / "entities" / "test.jsonl").read_bytes()).hexdigest()
    recorded = json.loads((data / "build_info.json").read_text())["files"]["entities/test.jsonl"]
    result = cli("eval", "--data", data, "--output", tmp_path / "run")
    assert result.code == 2
    assert result.err_lines[-1] == (f"{data / 'entities' / 'test.jsonl'}: sha256: found {actual}; expected {recorded}, "
                                    "as recorded in build_info.json: rebuild the folder with newsclaims build")
    assert not (tmp_path / "run").exists()


def test_build_info_without_checksums_is_refused(cli, mini_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(mini_data, data)
    info = json.loads((data / "build_info.json").read_text())
    del info["files"]["quotes/test.jsonl"]
    (data / "build_info.json").write_text(json.dumps(info))
    result = cli("eval", "--data", data)
    assert result.code == 2 and result.err_lines[-1].startswith(f"{data / 'build_info.json'}: files: found no checksum of quotes/test.jsonl")
    del info["files"]
    (data / "build_info.json").write_text(json.dumps(info))
    result = cli("eval", "--data", data)
    assert result.code == 2 and result.err_lines[-1].startswith(f"{data / 'build_info.json'}: files: found nothing; expected")


def test_each_data_file_is_read_once_and_the_report_records_what_was_read(cli, mini_data, tmp_path, monkeypatch):
    from newsclaims.eval import gold

    opened: list[str] = []
    real = gold.open_input
    monkeypatch.setattr(gold, "open_input", lambda path, label=None: opened.append(Path(path).relative_to(mini_data).as_posix())
                        or real(path, label))
    result = cli("eval", "--data", mini_data, "--json")
    assert result.code == 0, result.err
    assert sorted(opened) == SCORED_FILES  # hashed in the pass that reads them: no second read
    report = json.loads(result.out)
    assert report["dataset"]["files_sha256"] == {rel: hashlib.sha256((mini_data / rel).read_bytes()).hexdigest() for rel in SCORED_FILES}


# --- 2. report.json names the code that scored ------------------------------------------------------

def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout


def test_report_names_version_commit_and_dirty_flag_of_a_checkout(cli):
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    from newsclaims import __version__

    report = json.loads(cli("eval", "--json").out)
    assert report["newsclaims_version"] == __version__
    assert report["git_commit"] == _git("rev-parse", "HEAD").strip()
    assert report["git_dirty"] is bool(_git("status", "--porcelain").strip())
    assert report["git_source"] == "checkout"


def test_a_dirty_tree_says_so(tmp_path):
    from newsclaims.provenance import source_state

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a.txt").write_text("1")
    env = ["-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", *env, "-C", str(tmp_path), "add", "a.txt"], check=True)
    subprocess.run(["git", *env, "-C", str(tmp_path), "commit", "-qm", "x"], check=True)
    clean = source_state(tmp_path)
    assert clean["git_dirty"] is False and re.fullmatch(r"[0-9a-f]{40}", clean["git_commit"])
    (tmp_path / "a.txt").write_text("2")
    assert source_state(tmp_path) == {**clean, "git_dirty": True}
    assert source_state(tmp_path / "nowhere") == {"git_commit": None, "git_dirty": None}


@pytest.mark.slow
def test_a_wheel_records_the_commit_it_was_built_from(tmp_path):
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-v", "-w", str(tmp_path)],
                           check=True, cwd=tmp_path, capture_output=True, text=True)
    assert "SetuptoolsDeprecationWarning" not in built.stdout + built.stderr  # 9: no license table (stops building in 2027)
    (wheel,) = tmp_path.glob("newsclaims-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    recorded = json.loads(zipfile.ZipFile(wheel).read("newsclaims/build_source.json"))
    assert recorded["git_commit"] == _git("rev-parse", "HEAD").strip()
    assert isinstance(recorded["git_dirty"], bool)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import sys, json; sys.path.insert(0, sys.argv[1]); from newsclaims.provenance import code_provenance; "
            "print(json.dumps(code_provenance()))")
    run = subprocess.run([sys.executable, "-c", code, str(site)], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"newsclaims_version": _version(), **recorded, "git_source": "build"}


def _version() -> str:
    from newsclaims import __version__

    return __version__


def test_compare_shows_the_code_of_each_run(cli, tmp_path):
    from newsclaims.eval.compare import format_leaderboards, leaderboards

    report = json.loads(cli("eval", "--json").out)
    dirty = {**report, "git_commit": "a" * 40, "git_dirty": True}
    unknown = {**report, "git_commit": None, "git_dirty": None}
    out = format_leaderboards(leaderboards([("runs/a/report.json", report), ("runs/b/report.json", dirty),
                                            ("runs/c/report.json", unknown)], resamples=10))
    assert "code (newsclaims)" in out
    assert f"{report['newsclaims_version']} (commit aaaaaaaaaaaa with uncommitted changes)" in out
    assert f"{report['newsclaims_version']} (commit unknown)" in out


# --- 3. the README's predictions example is one line; a multi-line object is named as such -----------

def _json_blocks() -> list[str]:
    return re.findall(r"^```json\n(.*?)^```$", README, re.S | re.M)


def test_readme_predictions_example_is_one_line_and_its_pretty_form_the_same_object():
    first, *others = _json_blocks()
    assert len(first.strip().splitlines()) == 1
    assert all(json.loads(block) == json.loads(first) for block in others)


def test_a_pretty_printed_object_in_json_lines_says_one_object_per_line(cli, tmp_path):
    pretty = next(block for block in _json_blocks() if len(block.splitlines()) > 1)
    path = tmp_path / "predictions.jsonl"
    path.write_text(pretty)
    result = cli("validate", path)
    assert result.code == 2
    assert result.err_lines[0].startswith(f"{path}:1: found invalid JSON (")
    assert result.err_lines[0].endswith("a value that goes on past the end of its line; expected one JSON object per line "
                                        "(JSON Lines: write each object on a single line)")
    # A file cut short on its last line is not a layout problem: it keeps its own message.
    path.write_text('{"doc_id": "000_956b89daf0f4f269",\n')
    assert cli("validate", path).err_lines[0].endswith("; expected a JSON value")


# --- 5. options that do nothing for the chosen source are refused -----------------------------------

SAMPLE = REPO / "eval" / "sample_predictions.jsonl"


@pytest.mark.parametrize("args,message", [
    (("--openai-model", "x"), "found --openai-model with the default --model rules, which it does nothing for; "
                              "expected --openai-model only with --openai-base-url"),
    (("--predictions", SAMPLE, "--timeout", "3"), "found --timeout with --predictions, which it does nothing for; "
                                                  "expected --timeout only with --command or --openai-base-url"),
    (("--predictions", SAMPLE, "--workers", "2"), "expected --workers only with --model, --command or --openai-base-url"),
    (("--predictions", SAMPLE, "--cache", "c"), "found --cache with --predictions"),
    (("--predictions", SAMPLE, "--retries", "1"), "found --retries with --predictions"),
    (("--predictions", SAMPLE, "--max-reply-bytes", "10"), "found --max-reply-bytes with --predictions"),
    (("--model", "rules", "--timeout", "3"), "found --timeout with --model"),
    (("--command", "cat", "--openai-api-key-env", "K"), "found --openai-api-key-env with --command"),
])
def test_an_option_that_does_nothing_is_refused_in_one_line(cli, tmp_path, args, message):
    result = cli("eval", *args, "--output", tmp_path / "run")
    assert result.code == 2
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith("newsclaims eval: found ") and message in result.err_lines[0]
    assert not (tmp_path / "run").exists()


# --- 6, 7. help says what each command does, wrapped to the terminal ---------------------------------

def _help(capsys, monkeypatch, *command: str, columns: int = 80) -> str:
    from newsclaims.cli import main

    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return capsys.readouterr().out


def test_adjudicate_help_says_where_gold_is_looked_for(capsys, monkeypatch):
    flat = " ".join(_help(capsys, monkeypatch, "adjudicate").split())
    assert "packaged gold" not in flat and "annotations/ of the checkout you are in" in flat and "--gold is needed" in flat


def test_readme_null_rule_agrees_with_the_reader(cli, tmp_path):
    flat = " ".join(README.split())
    assert "A `null` field counts as not given" not in flat and '`"entities": null` is refused' in flat
    path = tmp_path / "p.jsonl"
    path.write_text('{"doc_id": "000_956b89daf0f4f269", "entities": [{"start": 0, "end": 10, "label": null}], "quotes": null}\n')
    assert cli("validate", path).err_lines == [f"{path}:1: quotes: found null; expected a list"]


@pytest.mark.parametrize("command", ["eval", "validate", "compare", "agree", "adjudicate", "build", "stats", "baselines"])
def test_help_fits_the_terminal_except_the_commands_to_copy(capsys, monkeypatch, command):
    out = _help(capsys, monkeypatch, command, columns=80)
    examples = out.split("\nexamples:\n")[1] if "\nexamples:\n" in out else ""
    long = [line for line in out.splitlines() if len(line) > 80 and line not in examples.splitlines()]
    assert not long, long


def test_eval_help_groups_the_endpoint_options_and_names_the_baselines(capsys, monkeypatch):
    from newsclaims.eval.adapters.callables import baseline_names

    out = _help(capsys, monkeypatch, "eval", columns=200)
    endpoint = out.split("OpenAI-compatible endpoint runs:\n")[1].split("\n\n")[0]
    options = set(re.findall(r"--openai-[a-z-]+", out.split("options:\n")[1]))
    assert options and all(f"  {option}" in endpoint for option in options)
    assert f"a shipped baseline ({', '.join(baseline_names())};" in out


def test_the_parser_imports_no_harness(tmp_path):
    code = "import sys; from newsclaims.cli import build_parser; build_parser(); print('numpy' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert run.stdout.strip() == "False", run.stderr


# --- 8. maintainer commands -----------------------------------------------------------------------------

def test_readme_module_finds_the_checkout_of_the_current_folder(capsys, monkeypatch, tmp_path):
    from newsclaims.readme import main

    monkeypatch.chdir(REPO / "annotations")
    assert main(["--check"]) == 0 and str(REPO / "README.md") in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)  # the package is installed from a checkout, but the current folder is in none
    assert main(["--check"]) == 2
    assert capsys.readouterr().err == (f"python -m newsclaims.readme: {tmp_path} is not inside a source checkout; "
                                       "run it in a clone, or give --repo\n")


def test_baselines_refresh_twice_writes_the_same_bytes(tmp_path, monkeypatch):
    from newsclaims.baselines import refresh

    monkeypatch.setattr(refresh, "MAIN", [("rules", "rules")])
    monkeypatch.setattr(refresh, "ABLATIONS", refresh.ABLATIONS[:1])
    folder = tmp_path / "baselines"
    first, seconds = refresh.run_all(folder)
    written = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    refresh.run_all(folder)
    assert {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} == written
    assert set(seconds) == {"rules", refresh.ABLATIONS[0][0]}
    assert "seconds" not in json.dumps(first) and " s |" not in written["README.md"].decode()
    tracked = json.loads((REPO / "baselines" / "results.json").read_text("utf-8"))
    assert tracked["baselines"]["rules"] == first["baselines"]["rules"]  # the tracked file is what a refresh writes


def test_the_suite_never_touches_the_users_hugging_face_cache():
    import os
    import tempfile

    home = Path(os.environ["HF_HOME"])
    assert home.is_relative_to(tempfile.gettempdir()) and home.name.startswith("newsclaims-tests-hf-")
    datasets = pytest.importorskip("datasets")
    assert Path(datasets.config.HF_DATASETS_CACHE).is_relative_to(home)


# --- 9. packaging metadata and the README's setup -----------------------------------------------------

def test_pyproject_license_is_an_spdx_expression_with_its_files():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] and all((REPO / name).is_file() for name in project["license-files"])
    assert "MIT License" in (REPO / "LICENSE").read_text("utf-8")
    assert any(c.startswith("Topic ::") for c in project["classifiers"])
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # refused beside an SPDX expression
    assert all("example" not in url and "TODO" not in url for url in project.get("urls", {}).values())


def test_readme_setup_says_to_make_a_venv_and_lists_every_extra_with_the_test_weight():
    import tomllib

    after_setup = README.split("<!-- setup -->", 1)[1].split("\n## ", 1)[0]
    assert "python3 -m venv .venv && . .venv/bin/activate" in after_setup and "PEP 668" in after_setup
    extras = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]
    table = re.findall(r"^\| `(\w+)` \|", after_setup, re.M)
    assert table == list(extras)
    assert re.search(r"about [\d.]+ GB installed", after_setup)


# --- 10. a schema error on a line hides none of that line's other problems ----------------------------

def test_every_problem_of_a_line_is_named(cli, tmp_path):
    path = tmp_path / "p.jsonl"
    lines = [{"doc_id": "000_956b89daf0f4f269", "entities": [{"start": 0, "end": 10, "label": "FOO"}, {"start": 5, "end": 99999}],
              "quotes": [{"start": 3, "end": 1}]},
             {"doc_id": "nope", "entities": [{"start": 0, "end": 10, "label": "FOO"}]}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) +
                    '{"doc_id": "003_8d866300cc861dbc", "entities": [{"start": 0, "end": NaN, "extra": 1}]}\n')
    result = cli("validate", path)
    assert result.code == 2
    found = [re.sub(r"; expected.*", "", line.removeprefix(f"{path}:")) for line in result.err_lines]
    assert found[:6] == ['1: entities[0]: label: found "FOO"', "1: entities[1]: end: found 99999",
                         "1: quotes[0]: end: found end 1 <= start 3", '2: entities[0]: label: found "FOO"',
                         '2: doc_id: found "nope"', "3: entities[0].end: found NaN"]
    assert found[6] == "3: entities[0]: extra: found an unknown field"


def test_the_problems_of_one_line_are_bounded(cli, tmp_path):
    from newsclaims.eval.predictions import MAX_PROBLEMS

    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"doc_id": "000_956b89daf0f4f269", "entities": [{"start": 0, "end": 10 ** 6}] * 50}) + "\n")
    result = cli("validate", path)
    assert result.code == 2 and len(result.err_lines) <= MAX_PROBLEMS + 1
