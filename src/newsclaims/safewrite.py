"""Writes that cannot destroy: folders replaced as a whole, and targets a command may not write to.

Every command that writes a folder (``build --out``, ``eval --output``, an annotator's pass in ``ls import``)
goes through ``write_tree_atomically``; every command that writes into the data or the package first asks
``refuse_protected`` or ``require_source_checkout``; an annotator's folder name is checked by
``labelstudio.passes.pass_name_problem`` against ``RESERVED_PASS_NAMES`` and ``is_pass_folder``. The rules, once:

- A folder is replaced only if it is new, empty, or recognised as one the same command wrote
  before (``recognise``: by the content of a file only that command writes, not by a file name);
  anything else, an existing file included, is refused with one line and left untouched.
- Entries of a recognised folder that the command does not write (``keep``: a user's notes beside
  a report) are carried into the new set, hard-linked where the file system allows, and named to
  the caller; the command's own files are replaced.
- The swap keeps a complete folder at every instant: the new tree is written into
  ``.NAME.build-XXXX`` beside it; the old folder is renamed to ``.NAME.old-XXXX``; the new one is
  renamed into place; the old one is removed. A run that is killed in between leaves those
  leftovers, and the next run first restores ``.NAME.old-*`` when ``NAME`` is missing (it is the
  last complete folder), then removes the leftovers.
- Folders and files get the permissions of a plain ``mkdir`` and ``open`` (0777 / 0666 less the
  umask: 0755 / 0644 by default), not mkdtemp's private 0700.
- Nothing is written into an installed package (site-packages, dist-packages), into a built
  dataset folder (one holding ``build_info.json``), a gold folder of an annotation set or a seeds
  folder, unless that is the command's job.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from .problems import InvalidInput, Problem

BUILD_TAG = "build"
OLD_TAG = "old"
PACKAGE_FOLDERS = ("site-packages", "dist-packages")


def _refuse(label: str, found: str, expected: str) -> InvalidInput:
    return InvalidInput([Problem(label, "", "", found, expected)])


_LEFTOVER_ID = "[A-Za-z0-9_]+"  # the XXXX of .NAME.build-XXXX: token_hex, also mkdtemp names of older versions


def _leftovers(dest: Path, tag: str) -> list[Path]:
    pattern = re.compile(rf"\.{re.escape(dest.name)}\.{tag}-{_LEFTOVER_ID}$")
    try:
        entries = list(dest.parent.iterdir())
    except OSError:
        return []
    return sorted((p for p in entries if pattern.match(p.name)), key=lambda p: p.stat().st_mtime, reverse=True)


def recover(dest: Path) -> Path | None:
    """Finish what an interrupted swap of ``dest`` left: restore, then clean. Returns a restored old folder.

    When ``dest`` is missing and a ``.NAME.old-*`` folder exists, the newest one is renamed back
    (it was complete: it was ``dest``). Every other ``.NAME.build-*`` / ``.NAME.old-*`` is removed.
    """
    dest = Path(dest).absolute()
    if not dest.parent.is_dir():
        return None
    lock = _lock_folder(dest.parent)
    try:
        return _recover(dest)
    finally:
        if lock is not None:
            os.close(lock)


def recover_all(parent: Path) -> None:
    """``recover`` every folder of ``parent`` that an interrupted swap left ``.NAME.build-*`` / ``.NAME.old-*`` of."""
    pattern = re.compile(rf"\.(.+)\.(?:{BUILD_TAG}|{OLD_TAG})-{_LEFTOVER_ID}$")
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return
    for name in sorted({match.group(1) for entry in entries if (match := pattern.match(entry.name))}):
        recover(Path(parent) / name)


def _recover(dest: Path) -> Path | None:
    restored = None
    olds = _leftovers(dest, OLD_TAG)
    if not dest.exists() and not dest.is_symlink() and olds:
        olds[0].rename(dest)
        restored = dest
        olds = olds[1:]
    for leftover in olds + _leftovers(dest, BUILD_TAG):
        shutil.rmtree(leftover, ignore_errors=True)
    return restored


def check_folder_target(dest: Path, recognise: Callable[[Path], bool], label: str, what: str) -> None:
    """Raise InvalidInput (one line) unless ``dest`` may be replaced: new, an empty folder, or recognised.

    ``what`` names what a recognised folder is, for the message ("a folder newsclaims build wrote").
    """
    dest = Path(dest)
    absolute = dest.absolute()
    expected = f"a new path, an empty folder or {what}"
    if dest.is_symlink():
        raise _refuse(label, f"{dest} is a symbolic link", expected)
    for parent in absolute.parents:
        if parent.exists() and not parent.is_dir():
            raise _refuse(label, f"{dest} lies under {parent}, which is a file", expected)
    if not dest.exists():
        return
    if not dest.is_dir():
        raise _refuse(label, f"{dest} is an existing file", expected)
    cwd = Path.cwd().resolve()
    real = dest.resolve()
    if real == cwd or real in cwd.parents:
        raise _refuse(label, f"{dest} holds the current folder", expected)
    try:
        empty = not any(real.iterdir())
    except OSError as err:
        raise _refuse(label, f"{dest} cannot be read ({err.strerror})", expected) from None
    if not empty and not recognise(real):
        raise _refuse(label, f"{dest} is a folder with other files in it", expected)
    if not os.access(real, os.W_OK):
        raise _refuse(label, f"{dest} is a read-only folder", "a folder this user may write")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write text to path via a temporary file in the same folder and a rename: a reader sees the old
    file or the new one, never half of one (the one-file twin of ``write_tree_atomically``)."""
    import tempfile  # only commands that write pay for it

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would make reports unreadable to others
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    mode = 0o666 & ~_umask()
    for rel, content in files.items():
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise ValueError(f"not a relative path inside the tree: {rel!r}")
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_tree_atomically(dest: Path, files: Mapping[str, str | bytes], *, recognise: Callable[[Path], bool],
                          label: str = "--out", what: str = "a folder this command wrote before",
                          keep: Callable[[Path], list[str]] | None = None) -> list[str]:
    """Replace the folder ``dest`` with exactly ``files`` (relative path -> text or bytes), as a set.

    ``dest`` must be a new path, an empty folder, or a folder for which ``recognise(path)`` is true
    (e.g. it holds the marker file this command writes); anything else raises InvalidInput with one
    line starting with ``label`` and nothing is touched. Text is written as UTF-8. Leftovers of an
    interrupted earlier run are recovered first (see ``recover``). At every instant either the
    complete old folder or the complete new one is at ``dest`` (or beside it as ``.NAME.old-*``,
    restored by the next run). An OSError while writing (a read-only or full disk) becomes one
    InvalidInput line; the partial new tree is removed.

    ``keep(old folder)`` names the old folder's top-level entries to carry into the new set (none
    may be a name ``files`` writes); the names carried are returned.
    """
    dest = Path(dest).absolute()
    check_folder_target(dest, recognise, label, what)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        lock = _lock_folder(dest.parent)
    except OSError as err:
        raise _refuse(label, f"{dest} cannot be written ({err.strerror})", "a folder this user may write") from None
    try:
        return _swap_in(dest, files, recognise, label, what, keep)
    finally:
        if lock is not None:
            os.close(lock)  # closing the descriptor releases the lock


def _lock_folder(folder: Path) -> int | None:
    """An exclusive lock on the folder itself (no lock file left behind): two runs never swap at once."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, the swap is still safe for a single run
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        os.close(fd)
        return None
    return fd


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:  # a file system without hard links: a copy
        shutil.copy2(source, target, follow_symlinks=False)


def _carry(source: Path, target: Path) -> None:
    """An entry of the old folder put into the new one, the old one left whole (it is the complete folder until the swap)."""
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    elif source.is_dir():
        shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(source, target)


def _swap_in(dest: Path, files: Mapping[str, str | bytes], recognise: Callable[[Path], bool], label: str, what: str,
             keep: Callable[[Path], list[str]] | None) -> list[str]:
    try:
        _recover(dest)
        check_folder_target(dest, recognise, label, what)  # recover may have put an old folder back
        staging = dest.parent / f".{dest.name}.{BUILD_TAG}-{secrets.token_hex(4)}"
        staging.mkdir()
    except OSError as err:
        raise _refuse(label, f"{dest} cannot be written ({err.strerror})", "a folder this user may write") from None
    old = None
    kept: list[str] = []
    try:
        _write_files(staging, files)
        if keep is not None and dest.is_dir():
            kept = keep(dest)
            written = {Path(rel).parts[0] for rel in files}
            if written.intersection(kept):
                raise ValueError(f"entries to keep that the new set writes: {sorted(written.intersection(kept))}")
            for name in kept:
                _carry(dest / name, staging / name)
        _fsync_dir(staging)
        if dest.exists():
            old = dest.parent / f".{dest.name}.{OLD_TAG}-{secrets.token_hex(4)}"
            dest.rename(old)
        staging.rename(dest)
        _fsync_dir(dest.parent)
    except OSError as err:
        if old is not None and not dest.exists():
            old.rename(dest)
        shutil.rmtree(staging, ignore_errors=True)
        raise _refuse(label, f"{dest} cannot be written ({err.strerror})", "a folder this user may write") from None
    except BaseException:
        if old is not None and not dest.exists():
            old.rename(dest)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return kept


# --- Targets a command may not write to ----------------------------------------------------------

def installed_package_folder(path: Path) -> Path | None:
    """The installed package ``path`` lies in, if any: a site-packages (or dist-packages) folder,
    or this package's own folder when it is not part of a source checkout (a wheel unpacked elsewhere)."""
    from . import paths

    real = Path(path).absolute().resolve()
    for folder in (real, *real.parents):
        if folder.name in PACKAGE_FOLDERS:
            return folder
    if paths.repo_root() is None and (real == paths.PACKAGE_DIR or paths.PACKAGE_DIR in real.parents):
        return paths.PACKAGE_DIR
    return None


def data_folder(path: Path) -> Path | None:
    """The data folder ``path`` is or lies in: a built dataset, a gold folder or a seeds folder."""
    real = Path(path).absolute().resolve()
    for folder in (real, *real.parents):
        if (folder / "build_info.json").is_file() and (folder / "README.md").is_file():
            return folder
        if folder.name == "gold" and (folder.parent / "entities.json").is_file():
            return folder
        if (folder / "MANIFEST.json").is_file() and any(folder.glob("*.txt")):
            return folder
    return None


def refuse_protected(path: Path, label: str, *, allow_data: bool = False) -> None:
    """Raise InvalidInput (one line) when ``path`` is inside an installed package or a data folder.

    ``allow_data`` is for the commands whose job is to write data (build, ls import).
    """
    package = installed_package_folder(path)
    if package is not None:
        raise _refuse(label, f"{path} is inside the installed package ({package})",
                      "a path outside site-packages (the installed package is read-only data)")
    if not allow_data:
        data = data_folder(path)
        if data is not None:
            raise _refuse(label, f"{path} is inside the data folder {data}",
                          "a path outside dataset/, annotations/gold and seeds/ (they are written only by build and ls import)")


def require_source_checkout(folder: Path, command: str) -> None:
    """Refuse a maintainer command whose files live in an installed package rather than a source checkout."""
    package = installed_package_folder(folder)
    if package is not None:
        raise _refuse(command, f"the installed package at {Path(folder).resolve()}",
                      "a source checkout (a maintainer command: run it in a clone after pip install -e .)")


def find_checkout(start: Path | None = None) -> Path | None:
    """The source checkout or benchmark folder holding ``start`` (default: the current folder), or None.

    One is a folder with seeds/MANIFEST.json and annotations/ (a source checkout also has pyproject.toml;
    ``newsclaims init`` makes one without). Commands resolve it from here (``newsclaims.benchmark``), not
    from where the package is installed, so that an editable install run from another clone or inside a
    benchmark of one's own works on that folder.
    """
    here = Path(start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / "seeds" / "MANIFEST.json").is_file() and (folder / "annotations").is_dir():
            return folder
    return None


def file_target(path: Path, label: str) -> Path:
    """Check a single file to be (re)written: not a folder, not under a file. Returns the path."""
    path = Path(path)
    if path.is_dir():
        raise _refuse(label, f"{path} is a folder", "a file path")
    for parent in path.absolute().parents:
        if parent.exists() and not parent.is_dir():
            raise _refuse(label, f"{path} lies under {parent}, which is a file", "a file path")
    return path


# --- Annotator folders ---------------------------------------------------------------------------

RESERVED_PASS_NAMES = frozenset({"gold", "passes", "label_studio", "dataset", "seeds", "annotations"})


def is_pass_folder(folder: Path) -> bool:
    """An annotation pass: a folder with gold/ and entities.json (what ls import writes)."""
    return (folder / "gold").is_dir() and (folder / "entities.json").is_file()



# --- Report folders (newsclaims eval --output) ---------------------------------------------------

REPORT_FILES = ("report.json", "report.md", "report.html", "predictions.jsonl", "replies.jsonl")  # every name eval writes
REPORT_WHAT = "a folder newsclaims eval wrote (its report.json)"


def is_report_folder(folder: Path) -> bool:
    """A folder newsclaims eval wrote: its report.json is a JSON object with report_version and
    newsclaims_version (a file that is merely named report.json does not make a folder eval's)."""
    try:
        report = json.loads((Path(folder) / "report.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(report, dict) and "report_version" in report and "newsclaims_version" in report


def user_entries(folder: Path) -> list[str]:
    """The entries of a report folder that eval did not write (any name but ``REPORT_FILES``), sorted."""
    return sorted(entry.name for entry in Path(folder).iterdir() if entry.name not in REPORT_FILES)


def check_report_target(folder: Path, label: str = "--output") -> None:
    """Refuse (one line) an --output that eval may not replace; call it before any model runs.

    Refused: an existing file, a path under a file, a non-empty folder that is not an earlier
    report folder (``is_report_folder``), the current folder, and anything inside the installed
    package or a data folder.
    """
    refuse_protected(folder, label)
    check_folder_target(folder, is_report_folder, label, REPORT_WHAT)


def write_report_folder(folder: Path, files: Mapping[str, str | bytes], label: str = "--output") -> list[str]:
    """Write a report set (report.json, report.md, ... as name -> text) as a whole, replacing the folder.

    Nothing of an earlier report survives beside the new one (an old predictions.jsonl included);
    what a user added to an earlier report folder (notes.md, plots/: ``user_entries``) is kept, and
    its names are returned for the caller to say. A failure leaves the earlier report folder as it
    was. See ``write_tree_atomically``.
    """
    unknown = sorted(set(files) - set(REPORT_FILES))
    if unknown:
        raise ValueError(f"not a report file name (see REPORT_FILES): {unknown}")
    check_report_target(folder, label)
    return write_tree_atomically(folder, files, recognise=is_report_folder, label=label, what=REPORT_WHAT, keep=user_entries)
