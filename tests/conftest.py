from __future__ import annotations

import os

# No hub access at test time: datasets reads these when it is first imported.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

import atexit
import shutil
import tempfile

# Nor the user's Hugging Face cache: everything the suite loads is cached in a folder of its own,
# removed when the run ends (set before datasets is imported, which reads them once).
HF_HOME = tempfile.mkdtemp(prefix="newsclaims-tests-hf-")
os.environ["HF_HOME"] = HF_HOME
os.environ["HF_DATASETS_CACHE"] = os.path.join(HF_HOME, "datasets")
atexit.register(shutil.rmtree, HF_HOME, ignore_errors=True)
from pathlib import Path

import pytest

from newsclaims.cli import main

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "fixtures" / "mini"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"


class CliResult:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture
def cli(capsys):
    """Run the newsclaims command in-process; returns code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def mini_data(tmp_path_factory) -> Path:
    """The mini fixture built once into a dataset folder (what --data reads)."""
    out = tmp_path_factory.mktemp("data") / "dataset"
    assert main(["build", "--seeds", str(MINI / "seeds"), "--annotations", str(MINI / "annotations"),
                 "--changelog", str(MINI / "CHANGELOG.md"), "--out", str(out)]) == 0
    return out


@pytest.fixture
def mini_copy(tmp_path) -> Path:
    """A writable copy of the mini fixture (seeds/, annotations/, CHANGELOG.md)."""
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture
def build_mini(cli, tmp_path):
    """Build an annotation root (default: the mini fixture) into a fresh folder; returns the folder."""

    def run(root: Path = MINI, out: Path | None = None) -> Path:
        out = out or tmp_path / "built"
        result = cli("build", "--seeds", root / "seeds", "--annotations", root / "annotations",
                     "--changelog", root / "CHANGELOG.md", "--out", out)
        assert result.code == 0, result.err
        return out

    return run


def read_tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
