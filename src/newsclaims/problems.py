"""Problems found in input files, reported as one clear line each.

Every line names the file, where in it (a line of a JSON Lines file or a record of a JSON file),
the field, what was found and what was expected. Commands print them and exit with status 2.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

EXIT_BAD_INPUT = 2
MAX_SHOWN = 60  # chars of a found value quoted in a message


def show(value: object) -> str:
    """A short, single-line rendering of a found value.

    Renders lazily and stops after MAX_SHOWN characters, so a 200 MB string or a million-record
    list costs no more to name than a short one.
    """
    import json

    if isinstance(value, str) and len(value) > MAX_SHOWN:
        value = value[:MAX_SHOWN]
    pieces: list[str] = []
    size = 0
    try:
        for piece in json.JSONEncoder(ensure_ascii=False).iterencode(value):  # the pure-Python, lazy encoder
            pieces.append(piece)
            size += len(piece)
            if size > MAX_SHOWN:
                break
        text = "".join(pieces)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)[: MAX_SHOWN + 1] if not isinstance(value, (list, dict)) else type(value).__name__
    text = text.replace("\n", "\\n")
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


@dataclass(frozen=True)
class RecordAt:
    """The record a problem is in, as data: the list holding it (a document's layer, or a registry's list),
    its index in that list and its id (None when it has no id). ``str`` gives the ``where`` of a message."""

    layer: str
    index: int
    id: str | None = None

    def __str__(self) -> str:
        return f"{self.layer}[{self.index}]" + (f" (id {self.id})" if self.id is not None else "")


@dataclass(frozen=True)
class Problem:
    """One problem, shown as ``file:line: record: field: found X; expected Y`` (parts left out when empty)."""

    file: str
    where: str  # the record: "entities[2] (id e3)"; "" for the line or file as a whole
    field: str  # dotted path of the field inside the record; "" when the record or file is at fault
    found: str
    expected: str
    line: int | None = None  # 1-based line of a JSON Lines file
    # ``where`` as data when it is one record of the file; not shown (where says it), not compared (where is)
    record: RecordAt | None = dataclasses.field(default=None, compare=False)

    def __str__(self) -> str:
        parts = [f"{self.file}:{self.line}:" if self.line else f"{self.file}:"]
        parts += [f"{part}:" for part in (self.where, self.field) if part]
        return _one_line(" ".join(parts) + f" found {self.found}; expected {self.expected}")


def _one_line(text: str) -> str:
    """A message stays one printable line whatever the input held (an id ending in a newline, a file
    name with one, a lone surrogate from a file name that is not UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if "\n" in text or "\r" in text or "\u2028" in text or "\u2029" in text:
        text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


class InvalidInput(Exception):
    """Raised with every problem found; the message is their lines."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
