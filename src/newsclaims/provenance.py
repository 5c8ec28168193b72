"""Which code scored: report.json's package version, source commit and whether the tree differed.

- A source checkout (an editable install) is asked when the report is made: ``git rev-parse HEAD``,
  and ``git status --porcelain`` for ``git_dirty`` (true when a tracked file differs from the commit
  or a file git does not ignore is untracked).
- A wheel carries what git said when it was built: the build backend (``src/newsclaims_build_backend.py``)
  writes ``newsclaims/build_source.json`` into it with the same two facts.
- Otherwise (a wheel built from an sdist, or where git is missing) both are null: unknown.

``source_state`` imports nothing of the package, so that the build backend can run this file where no
dependency is installed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

BUILD_SOURCE = "build_source.json"  # inside the installed package: what git said at build time


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def source_state(root: Path) -> dict:
    """{"git_commit", "git_dirty"} of the checkout at ``root``; both None when git cannot tell."""
    if not (Path(root) / ".git").exists():  # a folder for a clone, a file for a worktree
        return {"git_commit": None, "git_dirty": None}
    commit = (_git(root, "rev-parse", "HEAD") or "").strip() or None
    status = _git(root, "status", "--porcelain") if commit else None
    return {"git_commit": commit, "git_dirty": None if status is None else bool(status.strip())}


def code_provenance() -> dict:
    """report.json's record of the code that scored: version, commit, dirty flag and where the two came from."""
    from . import __version__, paths

    root = paths.repo_root()
    state, source = {"git_commit": None, "git_dirty": None}, None
    if root is not None:
        state, source = source_state(root), "checkout"
    else:
        recorded = paths.PACKAGE_DIR / BUILD_SOURCE
        try:
            built = json.loads(recorded.read_text("utf-8"))
            state, source = {"git_commit": built.get("git_commit"), "git_dirty": built.get("git_dirty")}, "build"
        except (OSError, ValueError, AttributeError):
            pass
    return {"newsclaims_version": __version__, **state, "git_source": source if state["git_commit"] else None}
