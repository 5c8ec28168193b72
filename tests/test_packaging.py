"""The wheel carries the gold and works outside the checkout; the README's commands are what CI runs;
light commands stay light."""

from __future__ import annotations

import json
import re
import subprocess
import sys
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
                 "newsclaims/schemas/gold_document.schema.json", "newsclaims/eval/loaders.py", "newsclaims/baselines/__init__.py"):
        assert name in names, name
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
