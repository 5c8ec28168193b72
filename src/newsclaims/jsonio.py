"""Strict JSON and JSON Lines reading, and atomic writing: the one reader of every untrusted input.

What is accepted, wherever it comes from (a file, standard input, a model's answer):

- UTF-8 only; a UTF-8 byte-order mark at the start of a file is skipped with a warning;
- each key once per object (Python's json keeps the last of two silently);
- JSON values only: objects with string keys, lists, strings, integers, finite numbers, true, false,
  null. No NaN or Infinity, no number a float cannot hold (a 400-digit integer, ``1e999``), no string
  with a lone surrogate (``"\\ud800"``, which no UTF-8 file can hold), nesting at most ``MAX_DEPTH``
  levels, files and lines at most ``MAX_BYTES``;
- ``0.0`` stays a float: where a schema asks for an integer, an integral float is refused
  (``newsclaims.schema``).

Each refusal is an ``InvalidInput`` with one line naming the file, the line, the field, what was
found and what was expected. ``read_json`` checks all of it at once; ``iter_jsonl_batches`` (and
``exact_lines``, line by line) leave the value checks to ``newsclaims.schema.schema_problems``, which
makes them only for a record its fast path refused, so valid input is not walked twice.

Writing goes to a temporary file in the same folder, then a rename, so a reader never sees a
half-written file.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from .problems import InvalidInput, Problem, show

BOM = b"\xef\xbb\xbf"
MAX_DEPTH = 100  # the deepest a valid file of ours goes is 5
MAX_BYTES = 1 << 30  # one file read whole, or one line of a JSON Lines file
MAX_NUMBER = int(sys.float_info.max)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_JSON_SCALARS = (str, int, float, bool, type(None))


class _JsonValueError(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _JsonValueError(f"the key {key!r} twice in one object")
            seen.add(key)
    return obj


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def _number_found(number: float) -> str:
    return "NaN" if math.isnan(number) else f"{'-' if number < 0 else ''}Infinity"


def value_problems(value: Any, label: str, line: int | None = None, limit: int = 1) -> list[Problem]:
    """What makes a (parsed or produced) value something JSON cannot hold; [] when it is a JSON value.

    Walks the value without recursion, so any depth is safe to check. At most ``limit`` problems.
    """
    problems: list[Problem] = []

    def problem(path: str, found: str, expected: str) -> bool:
        problems.append(Problem(label, "", path, found, expected, line))
        return len(problems) >= limit

    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        kind = type(item)
        if kind is str:
            match = _LONE_SURROGATE.search(item)
            if match and problem(path, f"a lone surrogate \\u{ord(match.group()):04x} at character {match.start()}",
                                 "text without lone surrogates (Unicode scalar values only)"):
                break
        elif kind is int:
            if not -MAX_NUMBER <= item <= MAX_NUMBER and problem(path, f"an integer of {len(str(abs(item)))} digits",
                                                                "a number a float can hold (at most about 1.8e308)"):
                break
        elif kind is float:
            if not math.isfinite(item) and problem(path, _number_found(item), "a finite number (JSON has no NaN or Infinity)"):
                break
        elif kind is bool or item is None:
            pass
        elif kind is dict or kind is list:
            if depth >= MAX_DEPTH:
                shown = path if len(path) <= 40 else path[:40] + "..."
                if problem(shown, f"JSON nested more than {MAX_DEPTH} levels deep", f"at most {MAX_DEPTH} levels"):
                    break
                continue
            pairs = list(item.items()) if kind is dict else list(enumerate(item))
            for key, child in reversed(pairs):  # reversed: problems come out in document order
                if kind is dict and type(key) is not str:
                    if problem(path, f"the key {key!r} of type {type(key).__name__}", "string keys"):
                        return problems
                    continue
                if kind is dict:
                    match = _LONE_SURROGATE.search(key)
                    if match:
                        if problem(path, f"the key {key.encode('utf-8', 'backslashreplace').decode()!r} with a lone surrogate",
                                   "text without lone surrogates (Unicode scalar values only)"):
                            return problems
                        continue
                child_type = type(child)
                if child_type is str or child_type is int and -MAX_NUMBER <= child <= MAX_NUMBER or child is None:
                    if child_type is not str or _LONE_SURROGATE.search(child) is None:
                        continue  # the common case, checked without a stack entry
                stack.append((child, _path(path, key), depth + 1))
        else:
            hint = " (convert numpy numbers with int() or float())" if kind.__module__ == "numpy" else ""
            if problem(path, f"a Python {kind.__name__}", f"a JSON value (an object, list, string, number, true, false or null){hint}"):
                break
    return problems


def nonfinite_fields(value: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """(field path, value) of every NaN or infinite number inside a parsed JSON value."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            yield where, item
        elif isinstance(item, dict):
            stack.extend((child, _path(where, key)) for key, child in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((child, _path(where, index)) for index, child in reversed(list(enumerate(item))))


def check_value(value: Any, label: str, line: int | None = None) -> Any:
    """The value itself when it is a JSON value; else InvalidInput naming the first problem."""
    problems = value_problems(value, label, line)
    if problems:
        raise InvalidInput(problems)
    return value


_orjson: ModuleType | None
try:  # a compiled parser for the valid path; the standard library's explains every refusal
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; without it, only slower
    _orjson = None

# Every string token left to right, group 1 set when a colon follows (a key). Matching every string, not
# only keys, keeps the scan from restarting inside a string: linear, where a key-only pattern rescanned
# a long string from each escaped quote in it (minutes for a reply quoting 20,000 nested objects).
_STRING_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?')
_SPACED_COLON = re.compile(r'"\s+:')
_LONG_INTEGER = re.compile(r"\d{16}")  # where orjson and Python could disagree on a number's type


def _count_keys(value: Any) -> int:
    if type(value) is dict:
        n = len(value)
        for item in value.values():
            if type(item) is dict or type(item) is list:
                n += _count_keys(item)
        return n
    return sum(_count_keys(item) for item in value if type(item) is dict or type(item) is list)


def _parse_fast(text: str) -> Any:
    """The value of a JSON text that ``json.loads`` with the strict hooks would give, or None when
    only the standard parser can tell (then it parses, and refuses with its own message).

    orjson refuses what the strict reader refuses (NaN, Infinity, lone surrogates, invalid JSON),
    but keeps the last of two equal keys and reads very long integers as floats: a text with a digit
    run of 16 or more goes the slow way, and one whose parsed objects hold fewer keys than its text
    has key tokens (a string token followed by ``:``, found left to right) had a duplicate.
    """
    if _orjson is None or _LONG_INTEGER.search(text):
        return None
    try:
        value = _orjson.loads(text)
    except _orjson.JSONDecodeError:
        return None
    if type(value) is dict or type(value) is list:
        try:
            keys = _count_keys(value)
        except RecursionError:
            return None
        if keys != _key_tokens(text):
            return None
    return value


def _key_tokens(text: str) -> int:
    """How many keys a JSON text's objects hold, duplicates counted, read off the text.

    With no backslash (no escaped quote) and no white space between a closing quote and a colon,
    every key ends in '":'; other occurrences (a string that starts with a colon) only add to the
    count, so a duplicate can never hide. Otherwise the string tokens are scanned exactly."""
    if "\\" not in text and _SPACED_COLON.search(text) is None:
        return text.count('":')
    return sum(1 for colon in _STRING_TOKEN.findall(text) if colon)


def parse_json(text: str) -> Any:
    """Parse one JSON document; raises ValueError with a readable reason.

    Duplicate keys, nesting Python's parser cannot follow and integers too long to convert are
    refused here. NaN, Infinity and overflowing numbers parse (to non-finite floats) so that the
    caller can name the field that holds them; ``value_problems`` finds them.
    """
    value = _parse_fast(text)
    if value is not None:
        return value
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except RecursionError:
        raise _JsonValueError(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as err:
        if isinstance(err, (json.JSONDecodeError, _JsonValueError)):
            raise
        # int('9' * 5000): Python refuses to convert integers longer than sys.get_int_max_str_digits()
        raise _JsonValueError(f"an integer too long to read ({err.args[0].split(':')[0]})") from None


def _warn_bom(label: str) -> None:
    print(f"{label}: warning: skipped a UTF-8 byte-order mark at the start of the file", file=sys.stderr)


def _decode(raw: bytes, label: str, line: int | None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        at = f"byte {err.start} of the line" if line else f"byte {err.start}"
        raise InvalidInput([Problem(label, "", "", f"the byte 0x{raw[err.start]:02x} at {at}", "UTF-8 text", line)]) from None


def _parse_problem(label: str, line: int | None, err: ValueError, more_lines: bool = False) -> Problem:
    if isinstance(err, json.JSONDecodeError):
        found = f"invalid JSON ({err.msg} at column {err.colno})"
        if more_lines and (err.pos >= len(err.doc.rstrip()) or err.msg.startswith("Unterminated string")):
            # a JSON Lines line that ends inside its value, with lines after it: an object laid out over
            # several lines (pretty-printed), not a file cut short
            return Problem(label, "", "", f"{found}, a value that goes on past the end of its line",
                           "one JSON object per line (JSON Lines: write each object on a single line)", line)
        return Problem(label, "", "", found, "a JSON value", line or err.lineno)
    message = str(err)
    if message.startswith("JSON nested"):
        return Problem(label, "", "", message, f"at most {MAX_DEPTH} levels", line)
    if message.startswith("an integer too long"):
        return Problem(label, "", "", message, "a number a float can hold (at most about 1.8e308)", line)
    return Problem(label, "", "", message, "each key once per object", line)


def loads(text: str, label: str, line: int | None = None, *, schema_checked: bool = False, more_lines: bool = False) -> Any:
    """Parse one JSON text strictly (see the module docstring); raises InvalidInput.

    ``more_lines``: the text is a line of a JSON Lines file with more lines after it, so a value cut
    off at its end is named as an object spread over several lines.

    With ``schema_checked=True`` the caller validates the value with ``schema.schema_problems``,
    which refuses NaN, Infinity, huge integers and deep nesting on its own; only lone surrogates,
    which no schema sees, are looked for here, and only when the text holds such an escape.
    """
    try:
        value = parse_json(text)
    except ValueError as err:
        raise InvalidInput([_parse_problem(label, line, err, more_lines)]) from None
    if not schema_checked or ("\\u" in text and _SURROGATE_ESCAPE.search(text)):
        check_value(value, label, line)
    return value


def _unreadable(label: str, err: OSError) -> InvalidInput:
    if isinstance(err, IsADirectoryError):
        return InvalidInput([Problem(label, "", "", "a folder", "a file")])
    return InvalidInput([Problem(label, "", "", f"an unreadable file ({err.strerror or err})", "a readable file")])


def _size(count: int) -> str:
    return f"{count >> 20} MiB" if count >= 1 << 20 else f"{count} bytes"


def _too_big(label: str, line: int | None = None) -> InvalidInput:
    what = "a line" if line else "a file"
    return InvalidInput([Problem(label, "", "", f"{what} longer than {_size(MAX_BYTES)}", f"at most {_size(MAX_BYTES)}", line)])


def open_input(path: Path | str, label: str | None = None) -> IO[bytes]:
    """A binary stream of a file, or of standard input for ``-`` (left open when the stream is closed)."""
    label = label or str(path)
    if str(path) == "-":
        return contextlib.nullcontext(sys.stdin.buffer)  # type: ignore[return-value]
    try:
        return open(path, "rb")
    except OSError as err:
        raise _unreadable(label, err) from None


class HashingReader:
    """A binary stream read once, hashing every byte it hands out: a file's sha256 costs no second read."""

    def __init__(self, handle: IO[bytes]):
        import hashlib

        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data

    def readline(self, limit: int = -1) -> bytes:
        data = self.handle.readline(limit)
        self.digest.update(data)
        return data

    def fileno(self) -> int:
        return self.handle.fileno()


def read_bytes(path: Path | str, label: str | None = None) -> bytes:
    """All bytes of a file (``-`` is standard input), read once; InvalidInput when unreadable or too big."""
    label = label or str(path)
    try:
        with open_input(path, label) as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as err:
        raise _unreadable(label, err) from None
    if len(raw) > MAX_BYTES:
        raise _too_big(label)
    return raw


def read_json(path: Path, label: str | None = None) -> Any:
    """Read a whole JSON file strictly. Raises InvalidInput naming the file."""
    label = label or str(path)
    return parse_json_bytes(read_bytes(path, label), label)


def parse_json_bytes(raw: bytes, label: str) -> Any:
    """A whole JSON document from bytes (a file's or an export's), checked as ``read_json`` does."""
    if raw.startswith(BOM):
        _warn_bom(label)
        raw = raw[len(BOM):]
    text = _decode(raw, label, None)
    if not text.strip():
        raise InvalidInput([Problem(label, "", "", "an empty file", "a JSON object")])
    return loads(text, label)


BATCH_BYTES = 1 << 22  # lines read and parsed together (iter_chunks)
_DIGITS = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))  # a digit stays a digit, all else is a space
_DIGIT_RUN = b"0" * 16


def iter_chunks(handle: IO[bytes], label: str) -> Iterator[tuple[int, bytes]]:
    """(number of its first line, chunk) of a binary stream cut into chunks of whole lines, each
    about ``BATCH_BYTES``; a line longer than ``MAX_BYTES`` is refused with its number."""
    number = 0
    while True:
        try:
            chunk = handle.read(BATCH_BYTES)
            started = len(chunk) - chunk.rfind(b"\n") - 1 if chunk and not chunk.endswith(b"\n") else 0  # of a cut line
            rest = handle.readline(MAX_BYTES + 1 - started) if started else b""  # the chunk ends where a line ends
        except OSError as err:
            raise _unreadable(label, err) from None
        if started + len(rest) > MAX_BYTES:  # the lines before the long one come first
            complete = chunk[:len(chunk) - started]
            if complete:
                yield number + 1, complete
            raise _too_big(label, number + complete.count(b"\n") + 1)
        chunk += rest
        if not chunk:
            return
        if len(chunk) > MAX_BYTES:  # a line inside it may be too long (MAX_BYTES below BATCH_BYTES)
            offset = 0
            for k, line in enumerate(chunk.split(b"\n")):
                if len(line) + 1 > MAX_BYTES and (len(line) > MAX_BYTES or offset + len(line) < len(chunk)):
                    if offset:
                        yield number + 1, chunk[:offset]
                    raise _too_big(label, number + k + 1)
                offset += len(line) + 1
        yield number + 1, chunk
        number += chunk.count(b"\n") + (not chunk.endswith(b"\n"))


def chunk_lines(chunk: bytes) -> list[bytes]:
    lines = chunk.split(b"\n")
    if not lines[-1]:
        lines.pop()
    return lines


def parse_chunk(chunk: bytes, first: int) -> list | None:
    """The values of a chunk's lines at once, or None when only ``exact_lines`` can tell.

    Each line is parsed alone, so a line is still one JSON value. A line holding a backslash (an
    escape) or a run of 16 or more digits (found for the whole chunk with ``bytes.translate``) is
    read as ``loads`` reads it; the others by orjson, and for them the duplicate-key check that
    ``_parse_fast`` makes per line is made once: without a backslash no string holds a quote, so
    every string token, key or value, survives re-serialising unless a duplicate key was dropped,
    and equal counts of '"' in those lines and in orjson's rendering of their values mean none was.
    A blank line, a byte-order mark, bytes that are not UTF-8 and an escaped lone surrogate are left
    to ``exact_lines``.
    """
    if _orjson is None or first == 1 and chunk.startswith(BOM):
        return None
    lines = chunk_lines(chunk)
    special: set[int] = set()
    if b"\\" in chunk:
        special.update(i for i, line in enumerate(lines) if b"\\" in line)
    if _DIGIT_RUN in chunk.translate(_DIGITS):
        special.update(i for i, line in enumerate(lines) if _DIGIT_RUN in line.translate(_DIGITS))
    try:
        if not special:
            values = list(map(_orjson.loads, lines))
            plain, quotes = values, chunk.count(b'"')
        else:
            values = [_parse_line(line) if i in special else _orjson.loads(line) for i, line in enumerate(lines)]
            plain = [v for i, v in enumerate(values) if i not in special]
            quotes = chunk.count(b'"') - sum(lines[i].count(b'"') for i in special)
        rendered = _orjson.dumps(plain)
    except (ValueError, TypeError):  # orjson's errors are both; a line left to exact_lines
        return None
    return values if rendered.count(b'"') == quotes else None


def _parse_line(raw: bytes) -> Any:
    """One line as ``loads`` with ``schema_checked=True`` reads it; ValueError for one it would
    refuse, or check further (an escaped lone surrogate)."""
    text = raw.decode("utf-8")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        raise ValueError("a surrogate escape")
    return parse_json(text)


def exact_lines(chunk: bytes, first: int, label: str) -> Iterator[tuple[int, Any]]:
    """(line number, value) of a chunk's lines, one at a time, each read by ``loads`` with
    ``schema_checked=True``: the reference reading. A refusal names its line; blank lines are
    skipped; a byte-order mark on line 1 is skipped with a warning."""
    lines = chunk_lines(chunk)
    for offset, raw in enumerate(lines):
        line = first + offset
        if line == 1 and raw.startswith(BOM):
            _warn_bom(label)
            raw = raw[len(BOM):]
        text = _decode(raw, label, line)
        if text.strip():
            more = any(rest.strip() for rest in lines[offset + 1:offset + 2])  # the line after it, within the chunk
            yield line, loads(text, label, line, schema_checked=True, more_lines=more)


def empty_file(label: str) -> InvalidInput:
    return InvalidInput([Problem(label, "", "", "an empty file", "one JSON object per line")])


def iter_jsonl_batches(handle: IO[bytes], label: str, *, allow_empty: bool = False) -> Iterator[tuple[range, list]]:
    """(line numbers, values) of a JSON Lines stream, a chunk at a time (``parse_chunk``).

    The values, and every refusal with its line number, are exactly those of ``exact_lines`` line by
    line: a chunk ``parse_chunk`` cannot vouch for is read by ``exact_lines``, one line per batch, so
    problems still come out in line order. A stream without any JSON line is an error unless
    ``allow_empty``. The caller checks
    the values against a schema (``schema.all_valid`` first).
    """
    seen_any = False
    for first, chunk in iter_chunks(handle, label):
        values = parse_chunk(chunk, first)
        if values is not None:
            seen_any = True
            yield range(first, first + len(values)), values
            continue
        for line, value in exact_lines(chunk, first, label):
            seen_any = True
            yield range(line, line + 1), [value]
    if not seen_any and not allow_empty:
        raise empty_file(label)


@contextlib.contextmanager
def no_cycle_collection():
    """Pause Python's cycle collector while many parsed values are created.

    Parsed JSON holds no reference cycles, yet every few hundred new dicts the collector walks all
    live ones: reading a million records spent half its time there. The previous state comes back
    on leaving, also on an error.
    """
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def expect_object(value: Any, label: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidInput([Problem(label, "", "", show(value), "a JSON object")])
    return value


def dumps_canonical(value: Any) -> str:
    """The one JSON rendering used for every file the project writes (stable bytes for stable data):
    indented by two spaces, UTF-8 as it is. orjson renders it (a 20,000-document report in
    milliseconds, where ``json``'s indenting encoder, written in Python, takes a second); a value it
    cannot hold (an integer beyond 64 bits) is rendered by ``json`` in the same layout."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value, option=_orjson.OPT_INDENT_2).decode("utf-8") + "\n"
        except TypeError:  # orjson.JSONEncodeError is one
            pass
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def dumps_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"
