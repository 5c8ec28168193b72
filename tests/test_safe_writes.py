"""Writes that cannot destroy: build --out refusals, the crash-safe swap, permissions, protected targets."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import MINI, REPO, read_tree
from newsclaims import safewrite
from newsclaims.problems import InvalidInput
from newsclaims.safewrite import (check_folder_target, data_folder, recover, refuse_protected,
                                  require_source_checkout, write_tree_atomically)


def build_args(out, root=MINI):
    return ["build", "--seeds", root / "seeds", "--annotations", root / "annotations", "--changelog", root / "CHANGELOG.md",
            "--out", out]


def snapshot(folder: Path) -> dict[str, bytes]:
    return read_tree(folder) | {p.relative_to(folder).as_posix() + "/": b"" for p in folder.rglob("*") if p.is_dir()}


# --- build --out ---------------------------------------------------------------------------------

def test_build_refuses_the_current_folder(cli, tmp_path, monkeypatch):
    work = tmp_path / "work"
    (work / ".git").mkdir(parents=True)
    (work / "notes.txt").write_text("mine")
    before = snapshot(work)
    monkeypatch.chdir(work)
    result = cli(*build_args(os.getcwd()))
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("--out: found ") and "expected a new path, an empty folder or a folder newsclaims build wrote" in result.err
    assert snapshot(work) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_build_refuses_an_unrelated_folder_and_a_file(cli, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8")
    result = cli(*build_args(folder))
    assert result.code == 2 and "is a folder with other files in it" in result.err and len(result.err_lines) == 1
    assert read_tree(folder) == {"cat.jpg": b"\xff\xd8"}

    file = tmp_path / "data.txt"
    file.write_text("keep me")
    result = cli(*build_args(file))
    assert result.code == 2 and "is an existing file" in result.err and len(result.err_lines) == 1
    assert file.read_text() == "keep me"

    result = cli(*build_args(file / "out"))
    assert result.code == 2 and "which is a file" in result.err and len(result.err_lines) == 1
    assert file.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.txt", "photos"]


def test_build_writes_into_an_empty_folder_and_over_its_own_build(cli, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert cli(*build_args(out)).code == 0
    first = read_tree(out)
    (out / "entities" / "test.jsonl").write_text("")  # stale: rebuilt over
    (out / "extra.txt").write_text("left by hand")  # a built folder is replaced whole
    assert cli(*build_args(out)).code == 0
    assert read_tree(out) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_built_folders_and_files_have_normal_permissions(cli, tmp_path):
    previous = os.umask(0o022)
    try:
        out = tmp_path / "built"
        assert cli(*build_args(out)).code == 0
    finally:
        os.umask(previous)
    modes = {p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [out, *out.rglob("*")]}
    assert {m for p, m in modes.items() if (out / p).is_dir()} == {0o755}
    assert {m for p, m in modes.items() if (out / p).is_file()} == {0o644}


def test_an_interrupted_swap_is_restored_then_cleaned(cli, tmp_path):
    out = tmp_path / "dataset"
    assert cli(*build_args(out)).code == 0
    complete = read_tree(out)
    # What a SIGKILL between the two renames leaves: the old folder moved aside, the new one staged.
    out.rename(tmp_path / ".dataset.old-0a1b2c3d")
    (tmp_path / ".dataset.build-4e5f6a7b" / "entities").mkdir(parents=True)
    assert recover(out) == out.absolute()
    assert read_tree(out) == complete
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]
    # A kill before the first rename leaves a staging folder beside a complete dataset/: the next run cleans it.
    (tmp_path / ".dataset.build-99999999").mkdir()
    (tmp_path / ".dataset.old-88888888").mkdir()
    assert cli(*build_args(out)).code == 0
    assert read_tree(out) == complete
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]


def test_leftover_patterns_are_ignored_by_git():
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert ".*.build-*/" in ignored and ".*.old-*/" in ignored


@pytest.mark.parametrize("fail_at", [1, 2])
def test_a_failure_during_the_swap_keeps_a_complete_folder(tmp_path, monkeypatch, fail_at):
    dest = tmp_path / "out"
    write_tree_atomically(dest, {"marker.json": "{}", "a.txt": "old"}, recognise=lambda p: (p / "marker.json").exists())
    calls = {"n": 0}
    real_rename = Path.rename

    def flaky(self, target):
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(28, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", flaky)
    with pytest.raises(InvalidInput) as err:
        write_tree_atomically(dest, {"marker.json": "{}", "a.txt": "new"}, recognise=lambda p: (p / "marker.json").exists())
    monkeypatch.undo()
    assert "No space left on device" in str(err.value) and "\n" not in str(err.value)
    assert read_tree(dest) == {"marker.json": b"{}", "a.txt": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_report_set_replaces_every_earlier_file(tmp_path):
    """The eval report writer's use: an old predictions.jsonl does not survive beside a new file-based report."""
    recognise = lambda p: (p / "report.json").is_file()
    dest = tmp_path / "run"
    write_tree_atomically(dest, {"report.json": "{}", "report.md": "old", "predictions.jsonl": "{}\n"}, recognise=recognise,
                          label="--output")
    write_tree_atomically(dest, {"report.json": "{\"new\": 1}", "report.md": "new"}, recognise=recognise, label="--output")
    assert read_tree(dest) == {"report.json": b"{\"new\": 1}", "report.md": b"new"}


def test_report_folder_refusals(tmp_path):
    from newsclaims.safewrite import check_report_target, write_report_folder

    out = tmp_path / "run"
    report = '{"report_version": 2, "newsclaims_version": "0"}'  # what makes a report.json eval's
    write_report_folder(out, {"report.json": report, "predictions.jsonl": "{}\n"})
    write_report_folder(out, {"report.json": report, "report.md": "# new\n"})
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]
    file = tmp_path / "file.txt"
    file.write_text("x")
    for target, found in ((file, "is an existing file"), (file / "sub", "which is a file"),
                          (REPO / "dataset", "inside the data folder"), (REPO / "annotations" / "gold", "inside the data folder"),
                          (REPO / "tests", "is a folder with other files in it")):
        with pytest.raises(InvalidInput) as err:
            check_report_target(target)
        assert str(err.value).startswith("--output: found ") and found in str(err.value) and "\n" not in str(err.value)
    assert file.read_text() == "x"


def test_a_read_only_parent_is_one_line(tmp_path, monkeypatch):
    def denied(self, *args, **kwargs):  # as a read-only folder answers (root would ignore a chmod)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", denied)
    with pytest.raises(InvalidInput) as err:
        write_tree_atomically(tmp_path / "out", {"a": "b"}, recognise=lambda p: False, label="--output")
    assert str(err.value) == f"--output: found {tmp_path / 'out'} cannot be written (Permission denied); expected a folder this user may write"
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_check_folder_target_refuses_a_symlink(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(InvalidInput, match="symbolic link"):
        check_folder_target(tmp_path / "link", lambda p: True, "--out", "x")


# --- protected targets ---------------------------------------------------------------------------

def test_data_folders_are_recognised():
    assert data_folder(REPO / "dataset") == REPO / "dataset"
    assert data_folder(REPO / "dataset" / "new" / "report.json") == REPO / "dataset"
    assert data_folder(REPO / "annotations" / "gold" / "x") == REPO / "annotations" / "gold"
    assert data_folder(REPO / "seeds") == REPO / "seeds"
    assert data_folder(REPO / "annotations" / "AGREEMENT.md") is None
    assert data_folder(REPO / "runs" / "mine") is None


@pytest.mark.parametrize("target", ["dataset", "dataset/sub", "annotations/gold", "seeds"])
def test_refuse_protected_names_the_data_folder(target):
    with pytest.raises(InvalidInput) as err:
        refuse_protected(REPO / target, "--output")
    assert str(err.value).startswith("--output: found ") and "inside the data folder" in str(err.value)
    refuse_protected(REPO / "dataset", "--out", allow_data=True)


def test_installed_package_is_refused(tmp_path):
    installed = tmp_path / "lib" / "python3.11" / "site-packages" / "newsclaims" / "baselines"
    installed.mkdir(parents=True)
    with pytest.raises(InvalidInput) as err:
        require_source_checkout(installed, "newsclaims baselines refresh")
    assert str(err.value).startswith("newsclaims baselines refresh: found the installed package at ")
    assert "\n" not in str(err.value)
    with pytest.raises(InvalidInput, match="inside the installed package"):
        refuse_protected(installed / "README.md", "--write")
    require_source_checkout(REPO / "baselines", "newsclaims baselines refresh")


def test_baselines_refresh_refuses_an_installed_package(tmp_path):
    from newsclaims.baselines.refresh import run_all

    installed = tmp_path / "site-packages" / "newsclaims" / "baselines"
    installed.mkdir(parents=True)
    with pytest.raises(InvalidInput, match="a source checkout"):
        run_all(installed)
    assert list(installed.iterdir()) == []


def test_agree_write_to_a_folder_is_one_line(cli, tmp_path):
    a, b = REPO / "annotations" / "passes" / "a", REPO / "annotations" / "passes" / "b"
    result = cli("agree", a, b, "--write", tmp_path)
    assert result.code == 2 and result.err_lines == [f"--write: found {tmp_path} is a folder; expected a file path"]
    result = cli("agree", a, b, "--write", REPO / "annotations" / "gold" / "AGREEMENT.md")
    assert result.code == 2 and len(result.err_lines) == 1 and "inside the data folder" in result.err


def test_adjudicate_outside_a_checkout_is_refused(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a, b = REPO / "annotations" / "passes" / "a", REPO / "annotations" / "passes" / "b"
    result = cli("adjudicate", a, b)
    assert result.code == 2 and len(result.err_lines) == 1 and "not inside a source checkout" in result.err
    assert list(tmp_path.iterdir()) == []


def fake_checkout(root: Path, mini_source: Path = MINI) -> Path:
    import shutil

    shutil.copytree(mini_source, root)
    (root / "pyproject.toml").write_text("[project]\nname = 'elsewhere'\n")
    (root / "DATASHEET.md").write_text("".join(f"<!-- generated:{n} -->\n<!-- /generated:{n} -->\n"
                                               for n in ("counts", "conflicts", "agreement")))
    return root


def test_build_writes_into_the_checkout_it_is_run_in(cli, tmp_path, monkeypatch):
    """An editable install run from another clone builds that clone's dataset/, and says so."""
    clone = fake_checkout(tmp_path / "clone")
    monkeypatch.chdir(clone / "annotations")
    original = read_tree(REPO / "dataset")
    result = cli("build")
    assert result.code == 0, result.err
    assert (clone / "dataset" / "build_info.json").is_file()
    assert "wrote: " + str(clone / "dataset") in result.out or "wrote: ../dataset" in result.out
    assert read_tree(REPO / "dataset") == original


def test_build_outside_a_checkout_says_where(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("build")
    assert result.code == 2 and len(result.err_lines) == 1 and "is not inside a source checkout" in result.err


def test_ls_import_passes_default_to_the_current_checkout(tmp_path, monkeypatch):
    from newsclaims.cli import _checkout_passes

    clone = fake_checkout(tmp_path / "clone")
    monkeypatch.chdir(clone)
    assert _checkout_passes(None) == clone / "annotations" / "passes"
    assert _checkout_passes(tmp_path / "ann") == tmp_path / "ann" / "passes"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInput, match="not inside a source checkout"):
        _checkout_passes(None)


# --- annotator folders ---------------------------------------------------------------------------

def test_pass_folder_names(tmp_path):
    from newsclaims.labelstudio import pass_name_problem

    passes = tmp_path / "annotations" / "passes"
    (passes / "a" / "gold").mkdir(parents=True)
    (passes / "a" / "entities.json").write_text("[]")
    (passes / "notes").mkdir()
    assert pass_name_problem("jane_doe", passes) is None
    assert pass_name_problem("a", passes) is None  # an earlier pass is merged into
    for name in ("gold", "GOLD", "Gold", "label_studio", "passes", "dataset", ".hidden", "notes"):
        assert pass_name_problem(name, passes), name


def test_an_annotator_named_gold_cannot_replace_the_gold(tmp_path):
    from newsclaims.labelstudio import pass_name_problem

    root = tmp_path / "annotations"
    (root / "gold").mkdir(parents=True)
    (root / "gold" / "doc.json").write_text("{}")
    assert pass_name_problem("gold", root) == "is reserved"
    assert safewrite.is_pass_folder(root) is False


# --- an installed wheel ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel unpacked into a folder (as pip would into site-packages), and a way to run its command."""
    import subprocess
    import sys
    import zipfile

    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
                   check=True, capture_output=True)
    site = out / "site"
    zipfile.ZipFile(next(out.glob("newsclaims-*.whl"))).extractall(site)

    def run(*args, cwd):
        code = "import sys; sys.path.insert(0, sys.argv[1]); from newsclaims.cli import main; sys.exit(main(sys.argv[2:]))"
        return subprocess.run([sys.executable, "-c", code, str(site), *map(str, args)], cwd=cwd,
                              capture_output=True, text=True)

    return site / "newsclaims", run


def _package_files(package) -> dict:
    """The package's files as a command could change them (Python's own bytecode caches aside)."""
    return {name: data for name, data in read_tree(package).items() if "__pycache__/" not in name}


def test_maintainer_commands_refuse_the_installed_package(installed, tmp_path):
    package, run = installed
    before = _package_files(package)
    for args, message in [
        (["baselines", "refresh"], "newsclaims baselines refresh: found the installed package at"),
        (["adjudicate", package / "annotations/passes/a", package / "annotations/passes/b"], "not inside a source checkout"),
        (["adjudicate", package / "annotations/passes/a", package / "annotations/passes/b", "--gold", package / "annotations"],
         "found the installed package"),
        (["agree", package / "annotations/passes/a", package / "annotations/passes/b", "--write", package / "annotations/AGREEMENT.md"],
         "inside the installed package"),
        (["build"], "is not inside a source checkout"),
        (["build", "--out", package / "dataset", "--changelog", tmp_path / "CHANGELOG.md"], "inside the installed package"),
    ]:
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, done.stderr)
    assert _package_files(package) == before
    assert list(tmp_path.iterdir()) == []


def test_ls_out_to_a_folder_or_the_gold_is_one_line(cli, tmp_path):
    result = cli("ls", "config", "--out", tmp_path)
    assert result.code == 2 and result.err_lines == [f"--out: found {tmp_path} is a folder; expected a file path"]
    result = cli("ls", "export", "--out", REPO / "annotations" / "gold" / "tasks.json")
    assert result.code == 2 and len(result.err_lines) == 1 and "inside the data folder" in result.err
    assert not (REPO / "annotations" / "gold" / "tasks.json").exists()


@pytest.mark.parametrize("killed_at", [1, 2])
def test_sigkill_during_the_swap_loses_nothing(cli, tmp_path, killed_at):
    """A real SIGKILL at each rename of the swap; the next build recovers and cleans up."""
    import subprocess
    import sys

    out = tmp_path / "dataset"
    assert cli(*build_args(out)).code == 0
    complete = read_tree(out)
    (out / "entities" / "test.jsonl").write_text("")  # stale, so the next build swaps
    code = (
        "import os, signal, sys; from pathlib import Path; real = Path.rename; calls = []\n"
        "def rename(self, target):\n"
        "    calls.append(1)\n"
        f"    if len(calls) == {killed_at}: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(self, target)\n"
        "Path.rename = rename\n"
        "from newsclaims.cli import main; sys.exit(main(sys.argv[1:]))\n"
    )
    killed = subprocess.run([sys.executable, "-c", code, *map(str, build_args(out))], capture_output=True)
    assert killed.returncode == -9
    # At this instant a complete dataset is on disk: dataset/ (first rename not done) or .dataset.old-*.
    olds = list(tmp_path.glob(".dataset.old-*"))
    assert (out.is_dir() and not olds) or (not out.exists() and len(olds) == 1)
    assert cli(*build_args(out)).code == 0
    assert read_tree(out) == complete
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]


# --- ls import: an annotator's pass is swapped in the same way ------------------------------------

def _one_task_import(tmp_path, passes):
    """The arguments of an ls import of a one-task export (mini_a as the gold has it) into ``passes``."""
    import json

    from newsclaims import labelstudio as ls
    from newsclaims.corpus import load_annotation_set, load_corpus

    corpus = load_corpus(MINI / "seeds")
    gold = load_annotation_set(MINI / "annotations", corpus)
    task = {**ls.tasks(corpus, gold.documents, "gold", ls.Registry.of(gold))[0], "id": 12}
    task["annotations"] = [{"id": 31, "completed_by": {"id": 7, "email": "ann@example.org"}, "result": task["predictions"][0]["result"]}]
    export = tmp_path / "export.json"
    export.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    return ["ls", "import", export, "--seeds", MINI / "seeds", "--annotations", MINI / "annotations", "--passes", passes]


@pytest.mark.parametrize("killed_at,then", [(1, "import"), (2, "import"), (2, "recover")])
def test_sigkill_during_the_pass_swap_loses_nothing(cli, tmp_path, killed_at, then):
    """A real SIGKILL at each rename of ls import's swap of a pass: a complete pass is on disk at that
    instant, and the next import (or recover) restores it, merges into it and leaves no staging folder."""
    import shutil
    import subprocess
    import sys

    reference = tmp_path / "reference"  # what an import that is not killed writes
    shutil.copytree(MINI / "annotations", reference / "ann_example.org")
    assert cli(*_one_task_import(tmp_path, reference)).code == 0
    passes = tmp_path / "passes"
    shutil.copytree(MINI / "annotations", passes / "ann_example.org")  # an earlier pass: mini_a and mini_b
    complete = read_tree(passes / "ann_example.org")
    code = (
        "import os, signal, sys; from pathlib import Path; real = Path.rename; calls = []\n"
        "def rename(self, target):\n"
        "    calls.append(1)\n"
        f"    if len(calls) == {killed_at}: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(self, target)\n"
        "Path.rename = rename\n"
        "from newsclaims.cli import main; sys.exit(main(sys.argv[1:]))\n"
    )
    killed = subprocess.run([sys.executable, "-c", code, *map(str, _one_task_import(tmp_path, passes))], capture_output=True)
    assert killed.returncode == -9, killed.stderr
    olds = list(passes.glob(".ann_example.org.old-*"))
    if killed_at == 1:
        assert not olds and read_tree(passes / "ann_example.org") == complete
    else:  # the pass moved aside, where the next import looks
        assert not (passes / "ann_example.org").exists() and len(olds) == 1 and read_tree(olds[0]) == complete
    if then == "recover":
        assert recover(passes / "ann_example.org") == (passes / "ann_example.org").absolute()
        assert read_tree(passes / "ann_example.org") == complete
    assert cli(*_one_task_import(tmp_path, passes)).code == 0
    assert read_tree(passes / "ann_example.org") == read_tree(reference / "ann_example.org")
    assert sorted(p.name for p in passes.iterdir()) == ["ann_example.org"]


def test_a_pass_an_older_import_left_in_its_staging_folder_comes_back(cli, tmp_path):
    """Imports of 0.5.0 swapped through ``.import-XXXXXXXX/.old-NAME``: a kill there left the pass where
    only the next import looks now; it merges into that pass and removes the staging folder."""
    import shutil

    passes = tmp_path / "passes"
    staging = passes / ".import-k2x_9qaz"
    shutil.copytree(MINI / "annotations", staging / ".old-ann_example.org")
    (staging / "ann_example.org" / "gold").mkdir(parents=True)  # the new pass, staged but not moved in
    assert cli(*_one_task_import(tmp_path, passes)).code == 0
    assert sorted(p.name for p in passes.iterdir()) == ["ann_example.org"]
    assert sorted(p.name for p in (passes / "ann_example.org" / "gold").iterdir()) == ["mini_a.json", "mini_b.json"]


# --- eval --output (wired in eval/run.py and eval/report.py by the lead) -------------------------

@pytest.fixture(scope="module")
def built_mini(tmp_path_factory):
    from newsclaims.cli import main

    out = tmp_path_factory.mktemp("data") / "dataset"
    assert main([str(a) for a in build_args(out)]) == 0
    return out


def test_eval_output_refusals(cli, built_mini, tmp_path):
    file = tmp_path / "file.txt"
    file.write_text("x")
    before = read_tree(built_mini)
    for target, found in ((file, "is an existing file"), (file / "sub", "which is a file"),
                          (built_mini / "runs", "inside the data folder"), (built_mini, "inside the data folder")):
        result = cli("eval", "--data", built_mini, "--model", "rules", "--output", target)
        assert result.code == 2 and len(result.err_lines) == 1 and found in result.err, (target, result.err)
    assert file.read_text() == "x" and read_tree(built_mini) == before


def test_eval_output_is_replaced_as_a_set(cli, built_mini, tmp_path):
    out = tmp_path / "run"
    assert cli("eval", "--data", built_mini, "--model", "rules", "--output", out).code == 0
    assert (out / "predictions.jsonl").exists()
    predictions = tmp_path / "p.jsonl"
    predictions.write_text((out / "predictions.jsonl").read_text())
    assert cli("eval", "--data", built_mini, "--predictions", predictions, "--output", out).code == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.md"]


def test_concurrent_writers_never_lose_the_folder(tmp_path):
    """Eight threads replace the same folder at once: the folder is always one whole set, no leftovers."""
    import threading

    dest = tmp_path / "out"
    recognise = lambda p: (p / "marker").is_file()
    errors = []

    def writer(n):
        try:
            for i in range(5):
                write_tree_atomically(dest, {"marker": "", "a.txt": f"{n}-{i}", "b.txt": f"{n}-{i}"}, recognise=recognise)
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    tree = read_tree(dest)
    assert tree["a.txt"] == tree["b.txt"] and sorted(tree) == ["a.txt", "b.txt", "marker"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
