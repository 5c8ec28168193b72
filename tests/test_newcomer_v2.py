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
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
                   check=True, cwd=tmp_path, capture_output=True)
    (wheel,) = tmp_path.glob("newsclaims-*.whl")
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
