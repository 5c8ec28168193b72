"""Strict JSON and JSON Lines reading, and atomic writing.

Reading rejects what Python's json module lets through silently: NaN and Infinity, numbers that
overflow to infinity (each reported with the field that holds it), duplicate keys and non-UTF-8 bytes. A UTF-8 byte-order mark at the start of a
file is skipped with a warning. Writing goes to a temporary file in the same folder, then a rename,
so a reader never sees a half-written file.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .problems import InvalidInput, Problem, show

BOM = b"\xef\xbb\xbf"


class _JsonValueError(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _JsonValueError(f"the key {key!r} twice in one object")
        obj[key] = value
    return obj


def nonfinite_fields(value: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """(field path, value) of every NaN or infinite number inside a parsed JSON value."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from nonfinite_fields(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nonfinite_fields(item, f"{path}[{index}]")


def parse_json(text: str) -> Any:
    """Parse one JSON document; raises ValueError with a readable reason.

    NaN, Infinity and overflowing numbers parse here (to non-finite floats) so that the caller can
    name the field that holds them; see ``nonfinite_fields``.
    """
    return json.loads(text, object_pairs_hook=_no_duplicate_keys)


def _warn_bom(label: str) -> None:
    print(f"{label}: warning: skipped a UTF-8 byte-order mark at the start of the file", file=sys.stderr)


def _decode(raw: bytes, label: str, line: int | None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        at = f"byte {err.start} of the line" if line else f"byte {err.start}"
        raise InvalidInput([Problem(label, "", "", f"the byte 0x{raw[err.start]:02x} at {at}", "UTF-8 text", line)]) from None


def _finite_or_raise(value: Any, label: str, line: int | None) -> Any:
    problems = [Problem(label, "", field, "NaN" if math.isnan(number) else f"{'-' if number < 0 else ''}Infinity",
                        "a finite number (JSON has no NaN or Infinity)", line)
                for field, number in nonfinite_fields(value)]
    if problems:
        raise InvalidInput(problems)
    return value


def _parse_problem(label: str, line: int | None, err: ValueError) -> Problem:
    if isinstance(err, json.JSONDecodeError):
        found = f"invalid JSON ({err.msg} at column {err.colno})"
        return Problem(label, "", "", found, "a JSON value", line or err.lineno)
    return Problem(label, "", "", str(err), "each key once per object", line)


def read_json(path: Path, label: str | None = None) -> Any:
    """Read a whole JSON file strictly. Raises InvalidInput naming the file."""
    label = label or str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise InvalidInput([Problem(label, "", "", f"an unreadable file ({err.strerror})", "a readable file")]) from None
    if raw.startswith(BOM):
        _warn_bom(label)
        raw = raw[len(BOM):]
    text = _decode(raw, label, None)
    if not text.strip():
        raise InvalidInput([Problem(label, "", "", "an empty file", "a JSON object")])
    try:
        value = parse_json(text)
    except ValueError as err:
        raise InvalidInput([_parse_problem(label, None, err)]) from None
    return _finite_or_raise(value, label, None)


def iter_jsonl(path: Path, label: str | None = None) -> Iterator[tuple[int, Any]]:
    """Stream (line number, value) from a JSON Lines file, one line in memory at a time.

    Blank lines are skipped; a file with no JSON line at all is an error.
    """
    label = label or str(path)
    try:
        handle = open(path, "rb")
    except OSError as err:
        raise InvalidInput([Problem(label, "", "", f"an unreadable file ({err.strerror})", "a readable file")]) from None
    seen_any = False
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(BOM):
                _warn_bom(label)
                raw = raw[len(BOM):]
            text = _decode(raw, label, number)
            if not text.strip():
                continue
            try:
                value = parse_json(text)
            except ValueError as err:
                raise InvalidInput([_parse_problem(label, number, err)]) from None
            seen_any = True
            yield number, _finite_or_raise(value, label, number)
    if not seen_any:
        raise InvalidInput([Problem(label, "", "", "an empty file", "one JSON object per line")])


def expect_object(value: Any, label: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidInput([Problem(label, "", "", show(value), "a JSON object")])
    return value


def dumps_canonical(value: Any) -> str:
    """The one JSON rendering used for every file the project writes (stable bytes for stable data)."""
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def dumps_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def atomic_write_text(path: Path, text: str) -> None:
    """Write text to path via a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make reports unreadable to others
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
