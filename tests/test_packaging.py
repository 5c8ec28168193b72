"""The wheel carries the gold and works outside the checkout; the README's commands are what CI runs;
light commands stay light."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import REPO

README = (REPO / "README.md").read_text("utf-8")


def readme_commands() -> list[str]:
    block = re.search(r"<!-- setup -->\s*```(?:bash|sh)\n(.*?)```", README, re.S)
    assert block, "README must open with a fenced set-up block after <!-- setup -->"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_readme_opens_with_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert "newsclaims" in commands[0] and "pip install" in commands[0]
    assert "[test]" in commands[1] and "pytest" in commands[1]
    assert README.index("<!-- setup -->") < README.index("\n## ")  # before any section


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (REPO / ".ci" / "run").read_text("utf-8")
    assert readme_commands()[1] in ci.splitlines()


def test_top_level_layout():
    for name in ("pyproject.toml", "dataset", "annotations", "baselines", "seeds", "eval", "tests", "DATASHEET.md",
                 "README.md", "CHANGELOG.md", ".ci/run"):
        assert (REPO / name).exists(), name
    assert not (REPO / "eval.py").exists() and not (REPO / "baselines.py").exists()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
                   check=True, cwd=out, capture_output=True)
    (wheel,) = out.glob("newsclaims-*.whl")
    return wheel


@pytest.mark.slow
def test_wheel_carries_gold_seeds_dataset_and_schemas(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    manifest = json.loads((REPO / "seeds" / "MANIFEST.json").read_text())
    for doc in manifest["documents"]:
        assert f"newsclaims/seeds/{doc['file']}" in names
        assert f"newsclaims/annotations/gold/{doc['doc_id']}.json" in names
    for name in ("newsclaims/seeds/MANIFEST.json", "newsclaims/annotations/entities.json", "newsclaims/dataset/README.md",
                 "newsclaims/dataset/build_info.json", "newsclaims/dataset/quotes/test.jsonl",
                 "newsclaims/schemas/gold_document.schema.json", "newsclaims/eval/predictions.py", "newsclaims/baselines/__init__.py"):
        assert name in names, name
    assert "newsclaims/eval/bench.py" not in names  # a developer tool (it imports a test extra): not shipped
    assert not [n for n in names if n.startswith("newsclaims/eval/bench/")]
    top_level = {n.split("/")[0] for n in names}
    assert top_level == {"newsclaims", wheel.name.split("-py3")[0] + ".dist-info"}  # no top-level eval or baselines
    with zipfile.ZipFile(wheel) as zf:
        for doc in manifest["documents"]:
            assert zf.read(f"newsclaims/seeds/{doc['file']}") == (REPO / "seeds" / doc["file"]).read_bytes()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "newsclaims = newsclaims.cli:main" in zf.read(entry_points).decode()


@pytest.mark.slow
def test_installed_wheel_validates_outside_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import newsclaims; "
        "assert newsclaims.__file__.startswith(sys.argv[1]), newsclaims.__file__; "
        "from newsclaims.cli import main; sys.exit(main(['validate']) or main(['stats']))"
    )
    run = subprocess.run([sys.executable, "-c", code, str(site)], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("ok: 5 seed documents (checksums match)")


def test_validate_imports_nothing_heavy(tmp_path):
    code = (
        "import sys; from newsclaims.cli import main; main(['validate']); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'datasets', 'pandas', 'sklearn', 'pyarrow', 'numpy'}))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_console_script_reports_bad_input_without_traceback(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": "000_956b89daf0f4f269", "entities": [{"start": 5, "end": 2}]}\n')
    run = subprocess.run([sys.executable, "-m", "newsclaims.cli", "validate", str(bad)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr == f"{bad}:1: entities[0]: end: found end 2 <= start 5; expected end > start (end is exclusive)\n"


def files_the_checkout_ships(repo: Path = REPO) -> set[str]:
    """What pyproject.toml says the wheel holds, read from the checkout: each package's modules and data."""
    config = tomllib.loads((repo / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    package_dir, data = config["package-dir"], config.get("package-data", {})
    out = set()
    for package in config["packages"]:
        parts = package.split(".")
        # As setuptools maps it: the longest mapped prefix's folder, then the rest of the name ("" = "src").
        mapped = next(k for k in range(len(parts), -1, -1) if ".".join(parts[:k]) in package_dir)
        source = repo / package_dir[".".join(parts[:mapped])] / Path(*parts[mapped:])
        target = "/".join(parts)
        for path in source.glob("*.py"):
            out.add(f"{target}/{path.name}")
        for pattern in data.get(package, []):
            for path in source.glob(pattern):
                if path.is_file() and "__pycache__" not in path.parts:
                    out.add(f"{target}/{path.relative_to(source).as_posix()}")
    from newsclaims.provenance import BUILD_SOURCE

    return out | {f"newsclaims/{BUILD_SOURCE}"}  # the one file the build writes: the commit it saw


def wheel_files(wheel: Path) -> set[str]:
    return {n for n in zipfile.ZipFile(wheel).namelist() if ".dist-info/" not in n}


@pytest.mark.slow
def test_wheel_holds_exactly_what_the_checkout_holds(wheel):
    """Built as `pip install .` builds it, from this checkout: a stale build/ folder would add files."""
    shipped, expected = wheel_files(wheel), files_the_checkout_ships()
    extra, missing = sorted(shipped - expected), sorted(expected - shipped)
    assert not extra, (f"the wheel ships files the checkout does not hold: {extra[:5]}; a stale build/ folder "
                       "(setuptools copies into build/lib and never deletes): remove build/ and rebuild")
    assert not missing, f"the wheel lacks files the checkout holds: {missing[:5]}"


@pytest.mark.slow
def test_a_stale_build_folder_does_not_reach_the_wheel(tmp_path):
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO, checkout, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                                                   ".pytest_cache", ".hypothesis", "runs"))
    ghost = checkout / "build" / "lib" / "newsclaims" / "deleted_module.py"
    ghost.parent.mkdir(parents=True)
    ghost.write_text("# a module deleted from the checkout after an earlier build\n")
    out = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(checkout), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
                   check=True, cwd=tmp_path, capture_output=True)
    (built,) = out.glob("newsclaims-*.whl")
    assert wheel_files(built) == files_the_checkout_ships(checkout)
