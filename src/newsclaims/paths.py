"""Where the benchmark's data lives.

An installed wheel carries ``seeds/``, ``annotations/`` and ``dataset/`` inside the package
(``newsclaims/seeds`` ...); a source checkout (editable install) keeps them at the repository's top
level. Both layouts are found the same way, so every command works in either.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    """The folder holding seeds/, annotations/ and dataset/."""
    for candidate in (PACKAGE_DIR, PACKAGE_DIR.parent.parent):
        if (candidate / "seeds" / "MANIFEST.json").is_file() and (candidate / "annotations").is_dir():
            return candidate
    raise FileNotFoundError(
        f"newsclaims data not found next to {PACKAGE_DIR}: reinstall the package (pip install newsclaims)"
    )


def seeds_dir() -> Path:
    return data_root() / "seeds"


def annotations_dir() -> Path:
    return data_root() / "annotations"


def dataset_dir() -> Path:
    return data_root() / "dataset"


def repo_root() -> Path | None:
    """The source checkout, when running from one (needed by commands that write, like build)."""
    root = PACKAGE_DIR.parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "annotations").is_dir() else None
