"""Entity mentions as columns: the compact form a dataset's and a predictions file's mentions are held in.

The entities layer is the one that grows with a dataset (50 mentions a document is usual), so its
records are never held as one dict each. From the moment a batch of rows is read and checked, a
mention is a row of an ``EntityTable``: ``doc`` (the index of its document in the reader's document
order), ``start`` and ``end`` (end exclusive), and ``label`` and ``entity_id`` as integer
codes into short lists of distinct strings (``Vocabulary``; -1: not given). A million mentions take 40 MB this way,
instead of about 600 MB as dicts. (A record's ``id`` is checked when read and not kept: no score reads it.)
``record(i)`` gives one mention as a dict where a dict is wanted
(an error entry, a report, a baseline's training set).

Quotes and numeric claims stay dicts: their speakers, cues and sources are nested spans placed per
document, and a dataset holds a few of them per document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from newsclaims.corpus import spans_fit

ENTITY_FIELDS = ("start", "end", "label", "entity_id")  # what scoring reads of a mention


class Vocabulary:
    """Distinct strings and their codes, in first-seen order; None is -1."""

    def __init__(self) -> None:
        self.codes: dict = {None: -1}
        self.values: list[str] = []

    def encode(self, column) -> np.ndarray:
        codes = self.codes
        missing = set(column).difference(codes)
        for value in sorted(missing):  # sorted: codes do not depend on the order of the rows
            codes[value] = len(self.values)
            self.values.append(value)
        return np.fromiter(map(codes.__getitem__, column), dtype=np.int64, count=len(column))

    def copy(self) -> Vocabulary:
        other = Vocabulary()
        other.codes, other.values = dict(self.codes), list(self.values)
        return other

    def decode(self, code: int):
        return self.values[code] if code >= 0 else None

    def recode(self, codes: np.ndarray, values: list) -> np.ndarray:
        """Codes into another vocabulary's ``values``, as codes of this one (the values added)."""
        return np.append(self.encode(values), -1)[codes]  # code -1 reads the last entry: -1

    def ranks(self, codes: np.ndarray) -> np.ndarray:
        """Each code's value as its rank among the distinct values, sorted (0: none), so that ranks
        sort as the values do, whatever order the values were first seen in."""
        lookup = np.zeros(len(self.values) + 1, dtype=np.int64)  # the last entry, code -1's, stays 0
        lookup[sorted(range(len(self.values)), key=self.values.__getitem__)] = np.arange(1, len(self.values) + 1)
        return lookup[codes]


@dataclass
class EntityTable:
    """Entity mentions of many documents as parallel columns (see the module docstring)."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray  # codes into labels.values; -1: no label
    entity: np.ndarray  # codes into entity_ids.values; -1: no entity_id
    labels: Vocabulary = field(default_factory=Vocabulary)
    entity_ids: Vocabulary = field(default_factory=Vocabulary)

    def __len__(self) -> int:
        return len(self.doc)

    def record(self, i: int) -> dict:
        return {"start": int(self.start[i]), "end": int(self.end[i]), "label": self.labels.decode(int(self.label[i])),
                "entity_id": self.entity_ids.decode(int(self.entity[i]))}

    def take(self, index: np.ndarray) -> EntityTable:
        return EntityTable(*(a[index] for a in (self.doc, self.start, self.end, self.label, self.entity)),
                           self.labels, self.entity_ids)

    def rows_of(self) -> dict[int, np.ndarray]:
        """Row indices by document index."""
        order = np.argsort(self.doc, kind="stable")
        docs, first = np.unique(self.doc[order], return_index=True)
        return dict(zip(docs.tolist(), np.split(order, first[1:])))

    def label_codes(self, names: Sequence[str]) -> np.ndarray:
        """Each mention's label as its index in ``names`` (-1: no label, or one not in names)."""
        index = {name: i for i, name in enumerate(names)}
        lookup = np.array([index.get(v, -1) for v in self.labels.values] + [-1], dtype=np.int64)
        return lookup[self.label]  # code -1 reads the last entry: -1


def concat(tables: Sequence[EntityTable]) -> EntityTable:
    """One table of several, their codes re-read into the first non-empty table's vocabularies."""
    tables = [t for t in tables if len(t)] or list(tables[:1])
    if len(tables) == 1:
        return tables[0]
    first = tables[0]
    first = EntityTable(first.doc, first.start, first.end, first.label, first.entity,
                        *(v.copy() for v in (first.labels, first.entity_ids)))
    columns = [[first.doc], [first.start], [first.end], [first.label], [first.entity]]
    for t in tables[1:]:
        columns[0].append(t.doc)
        columns[1].append(t.start)
        columns[2].append(t.end)
        columns[3].append(first.labels.recode(t.label, t.labels.values))
        columns[4].append(first.entity_ids.recode(t.entity, t.entity_ids.values))
    return EntityTable(*(np.concatenate(c) for c in columns), first.labels, first.entity_ids)


@dataclass
class MentionBatch:
    """Checked mentions of one chunk, compact enough to send between processes: offsets as arrays,
    each string column as (codes, the distinct strings)."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: tuple[np.ndarray, list]
    entity: tuple[np.ndarray, list]


def mention_batch(doc, start, end, label, entity_id) -> MentionBatch:
    def coded(column) -> tuple[np.ndarray, list]:
        vocabulary = Vocabulary()
        return vocabulary.encode(column), vocabulary.values

    return MentionBatch(np.asarray(doc, dtype=np.int64), np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64),
                        coded(label), coded(entity_id))


class EntityTableBuilder:
    """Collects checked batches of mentions; ``table()`` joins them once."""

    def __init__(self) -> None:
        self.parts: list[tuple] = []
        self.labels = Vocabulary()
        self.entity_ids = Vocabulary()

    def add(self, doc, start, end, label, entity_id) -> None:
        """One batch: ``doc``, ``start``, ``end`` as int sequences, the rest as sequences of strings or None."""
        self.parts.append((np.asarray(doc, dtype=np.int64), np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64),
                           self.labels.encode(label), self.entity_ids.encode(entity_id)))

    def add_coded(self, batch: MentionBatch) -> None:
        """A batch coded with its own vocabularies (``mention_batch``), re-coded into this builder's."""
        self.parts.append((batch.doc, batch.start, batch.end, self.labels.recode(*batch.label),
                           self.entity_ids.recode(*batch.entity)))

    def add_records(self, doc: int, records: Iterable[dict]) -> None:
        records = list(records)
        if records:
            self.add([doc] * len(records), [r["start"] for r in records], [r["end"] for r in records],
                     [r.get("label") for r in records], [r.get("entity_id") for r in records])

    def table(self) -> EntityTable:
        if not self.parts:
            empty = np.zeros(0, dtype=np.int64)
            return EntityTable(empty, empty, empty, empty, empty, self.labels, self.entity_ids)
        return EntityTable(*(np.concatenate(column) for column in zip(*self.parts)), self.labels, self.entity_ids)


def table_of(doc_ids: Sequence[str], by_doc: Mapping[str, list[dict]]) -> EntityTable:
    """The table of mentions given as dicts per document (documents outside doc_ids are left out)."""
    builder = EntityTableBuilder()
    for d, doc_id in enumerate(doc_ids):
        builder.add_records(d, by_doc.get(doc_id) or [])
    return builder.table()


class DocumentIndex:
    """The documents a reader checks spans against, as its workers share them: each doc_id's index
    (the order of ``texts``, which a table's ``doc`` follows), the texts, their lengths."""

    def __init__(self, texts: dict[str, str]):
        self.texts = texts
        self.index = {doc_id: d for d, doc_id in enumerate(texts)}
        self.text_list = list(texts.values())
        self.lengths = np.fromiter(map(len, self.text_list), dtype=np.int64, count=len(self.text_list))

    def fitted_spans(self, doc: np.ndarray, starts, ends, surfaces=None) -> tuple[np.ndarray, np.ndarray] | None:
        """(start, end) as arrays when every span keeps the span rule (``corpus.check_span``, here
        ``corpus.spans_fit`` on arrays; a surface text given as None is not compared); else None."""
        if not spans_fit(self.text_list, self.lengths, doc, starts, ends, surfaces):
            return None
        return np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)


class MentionsByDocument(Mapping):
    """A table seen as doc_id -> list of mention dicts (in the order read), each list made when asked for."""

    def __init__(self, doc_ids: Sequence[str], table: EntityTable):
        self.doc_ids = list(doc_ids)
        self.table = table
        self._rows: dict[int, np.ndarray] | None = None
        self._index = {doc_id: d for d, doc_id in enumerate(self.doc_ids)}

    def __getitem__(self, doc_id: str) -> list[dict]:
        d = self._index[doc_id]
        if self._rows is None:
            self._rows = self.table.rows_of()
        return [self.table.record(i) for i in self._rows.get(d, np.zeros(0, dtype=np.int64)).tolist()]

    def __iter__(self):
        return iter(self.doc_ids)

    def __len__(self) -> int:
        return len(self.doc_ids)
