"""Folder arguments checked before anything reads them: a missing folder is one line, not a list of
every file it should have held."""

from __future__ import annotations

from pathlib import Path

from .problems import InvalidInput, Problem

ANNOTATION_SET = "an annotation set folder (gold/, entities.json, claim_groups.json, quote_groups.json)"


def require_annotation_folder(path: str | Path) -> Path:
    """``path`` as a Path when it is a folder; otherwise InvalidInput with one line naming it."""
    path = Path(path)
    if not path.is_dir():
        found = "a file, not a folder" if path.exists() else "no such folder"
        raise InvalidInput([Problem(str(path), "", "", found, ANNOTATION_SET)])
    return path
