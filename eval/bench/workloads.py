"""The benchmark's workloads, generated from a fixed seed and written as a user has them: a dataset
folder as ``newsclaims build`` writes one (with its build_info.json digests) and a predictions file.

- ``entities``: 50 gold mentions a document in slots of random letters, predictions by offsets
  (``corpus``), the workload nervaluate also reads (ends made inclusive).
- ``entities_by_text``: documents of words with 15 named entities mentioned 50 times in all; the
  predictions give about 45 mentions by their text alone (LLM style, no offsets), copies of a name
  being its successive mentions; ``entities_by_offsets`` is the same predictions given by the
  offsets that placement gives them (so every count must be equal).
- ``quotes_claims``: 5 quotes (speaker and cue spans, speaker_id, quote_group) and 3 numeric claims
  (source span, source_id, claim_group) a document, predictions by offsets with some errors.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

LABELS = ["PERSON", "ORG", "GPE", "DATE", "NORP"]
SLOT = 20
CONFIGS = ("documents", "entities", "quotes", "numeric_claims", "kb")


def corpus(docs: int, spans: int, seed: int = 13):
    """Gold and predictions, end exclusive, one list per document."""
    rnd = random.Random(seed)
    gold_docs, pred_docs = [], []
    for _ in range(docs):
        gold, pred = [], []
        for slot in range(spans):
            start = slot * SLOT + rnd.randint(0, 3)
            g = {"start": start, "end": start + rnd.randint(1, 8), "label": rnd.choice(LABELS)}
            gold.append(g)
            roll = rnd.random()
            if roll < 0.70:
                pred.append(dict(g))
            elif roll < 0.78:
                pred.append({**g, "label": rnd.choice(LABELS)})
            elif roll < 0.86:
                pred.append({**g, "end": g["end"] + 1})
            elif roll < 0.93:
                pred.append({"start": slot * SLOT + 14, "end": slot * SLOT + 18, "label": rnd.choice(LABELS)})
        while len(pred) < spans:  # fill up with spurious spans in free slots' gaps
            slot = rnd.randrange(spans)
            spurious = {"start": slot * SLOT + 14, "end": slot * SLOT + 18, "label": rnd.choice(LABELS)}
            if spurious not in pred:
                pred.append(spurious)
        pred.sort(key=lambda s: s["start"])
        gold_docs.append(gold)
        pred_docs.append(pred)
    return gold_docs, pred_docs


class DatasetWriter:
    """A dataset folder's files, written a row at a time; ``close`` writes build_info.json with their digests."""

    def __init__(self, folder: Path):
        self.folder = folder
        for config in CONFIGS:
            (folder / config).mkdir(parents=True, exist_ok=True)
        self.handles = {c: open(folder / c / "test.jsonl", "w", encoding="utf-8") for c in CONFIGS}
        self.docs = 0

    def document(self, doc_id: str, text: str) -> None:
        self.row("documents", {"doc_id": doc_id, "cluster_id": "bench", "fold": self.docs, "file": f"{doc_id}.txt",
                               "sha256": hashlib.sha256(text.encode()).hexdigest(), "text": text})
        self.docs += 1

    def row(self, config: str, row: dict) -> None:
        if config != "documents" and config != "kb":
            row = {"doc_id": row.pop("doc_id"), "fold": self.docs - 1, **row}
        self.handles[config].write(json.dumps(row) + "\n")

    def close(self) -> Path:
        for handle in self.handles.values():
            handle.close()
        files = {f"{c}/test.jsonl": hashlib.sha256((self.folder / c / "test.jsonl").read_bytes()).hexdigest() for c in CONFIGS}
        (self.folder / "build_info.json").write_text(json.dumps({"data_version": "bench", "gold_sha256": "0" * 64, "split": "test",
                                                                 "files": files}))
        return self.folder


def write_end_to_end_workload(folder: Path, docs: int, spans: int, seed: int = 17) -> tuple[Path, Path]:
    """The ``entities`` workload: a dataset folder (entities only) and a predictions file by offsets."""
    gold_docs, pred_docs = corpus(docs, spans, seed)
    folder.mkdir(parents=True, exist_ok=True)
    data = DatasetWriter(folder / "dataset")
    letters = "abcdefghijklmnopqrstuvwxyz"
    rnd = random.Random(seed)
    with open(folder / "predictions.jsonl", "w", encoding="utf-8") as predictions:
        for d, (gold, pred) in enumerate(zip(gold_docs, pred_docs)):
            doc_id = f"doc{d:06d}"
            text = "".join(rnd.choice(letters) for _ in range(spans * SLOT))
            data.document(doc_id, text)
            for k, g in enumerate(gold):
                data.row("entities", {"doc_id": doc_id, "id": f"e{k + 1}", "start": g["start"], "end": g["end"],
                                      "text": text[g["start"]:g["end"]], "label": g["label"],
                                      "entity_id": None if g["label"] == "DATE" else f"x{k}"})
            kept = [p for p in pred if rnd.random() < 0.9]  # about 45 of 50 per document
            predictions.write(json.dumps({"doc_id": doc_id, "entities": kept}) + "\n")
    return data.close(), folder / "predictions.jsonl"


def _vocabulary(rnd: random.Random, n: int, low: int, high: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rnd.choice(letters) for _ in range(rnd.randint(low, high))))
    return sorted(words)


class _Text:
    """A document's text, built left to right; ``add`` returns the (start, end) of what it added."""

    def __init__(self, rnd: random.Random, filler: list[str]):
        self.parts: list[str] = []
        self.size = 0
        self.rnd, self.filler = rnd, filler

    def add(self, piece: str) -> tuple[int, int]:
        start = self.size
        self.parts.append(piece)
        self.size += len(piece)
        return start, self.size

    def words(self, low: int, high: int) -> tuple[int, int]:
        return self.add(" ".join(self.rnd.choice(self.filler) for _ in range(self.rnd.randint(low, high))))

    def text(self) -> str:
        return "".join(self.parts)


def write_entities_by_text_workload(folder: Path, docs: int, seed: int = 19) -> tuple[Path, Path, Path]:
    """The ``entities_by_text`` workload: (dataset folder, predictions by text, the same predictions by offsets).

    Names are two capitalised words (filler words are lower case, so a name occurs only where it is
    mentioned); the k-th copy of a name in a line takes its k-th mention, which the offsets file gives."""
    rnd = random.Random(seed)
    filler = _vocabulary(rnd, 400, 2, 8)
    parts = [w.capitalize() for w in _vocabulary(rnd, 600, 3, 8)]
    folder.mkdir(parents=True, exist_ok=True)
    data = DatasetWriter(folder / "dataset")
    with open(folder / "by_text.jsonl", "w", encoding="utf-8") as by_text, \
            open(folder / "by_offsets.jsonl", "w", encoding="utf-8") as by_offsets:
        for d in range(docs):
            doc_id = f"doc{d:06d}"
            names = {}
            while len(names) < 15:
                names[f"{rnd.choice(parts)} {rnd.choice(parts)}"] = (rnd.choice(LABELS), f"n{rnd.randrange(10**6)}")
            name_list = list(names)
            body = _Text(rnd, filler)
            mentions = []  # (name, start, end)
            for k in range(50):
                body.words(2, 5)
                body.add(" ")
                name = name_list[k % 15] if k < 15 else rnd.choice(name_list)
                mentions.append((name, *body.add(name)))
                body.add(" ")
            body.words(2, 5)
            text = body.text() + "."
            data.document(doc_id, text)
            for k, (name, start, end) in enumerate(mentions):
                label, entity_id = names[name]
                data.row("entities", {"doc_id": doc_id, "id": f"e{k + 1}", "start": start, "end": end, "text": name,
                                      "label": label, "entity_id": None if label == "DATE" else entity_id})
            text_records, offset_records, taken = [], [], {}
            for name, _, _ in mentions:
                if rnd.random() >= 0.9:
                    continue  # about 45 of 50 predicted
                label, entity_id = names[name]
                record = {"text": name, "label": label if rnd.random() < 0.9 else rnd.choice(LABELS), "entity_id": entity_id}
                text_records.append(record)
                k = taken.get(name, 0)  # this copy's place: the name's k-th mention
                taken[name] = k + 1
                start, end = [(s, e) for n, s, e in mentions if n == name][k]
                offset_records.append({"start": start, "end": end, "label": record["label"], "entity_id": entity_id})
            by_text.write(json.dumps({"doc_id": doc_id, "entities": text_records}) + "\n")
            by_offsets.write(json.dumps({"doc_id": doc_id, "entities": offset_records}) + "\n")
    return data.close(), folder / "by_text.jsonl", folder / "by_offsets.jsonl"


UNITS = ["troop", "soldier", "dollar", "vote", "person", "barrel"]
CUES = ["said", "told", "added", "stated", "warned"]


def write_quotes_claims_workload(folder: Path, docs: int, seed: int = 23) -> tuple[Path, Path]:
    """The ``quotes_claims`` workload: (dataset folder, predictions by offsets). Each document holds 5
    quotes ("Name said "words"." or "Name said that words.") in 3 groups and 3 claims ("Name said
    that words about 12,500 troops words.") in 2 groups, among filler sentences; speakers and sources
    are knowledge-base entries. Predictions: most records right, some with a shorter span, a wrong
    speaker_id, value or group, some left out."""
    rnd = random.Random(seed)
    filler = _vocabulary(rnd, 400, 2, 8)
    parts = [w.capitalize() for w in _vocabulary(rnd, 300, 3, 8)]
    people = {}
    while len(people) < 500:
        people[f"p{len(people)}"] = f"{rnd.choice(parts)} {rnd.choice(parts)}"
    ids = list(people)
    folder.mkdir(parents=True, exist_ok=True)
    data = DatasetWriter(folder / "dataset")
    for person, name in people.items():
        data.row("kb", {"id": person, "name": name, "type": "PERSON", "aliases": [name], "wikidata": None})
    with open(folder / "predictions.jsonl", "w", encoding="utf-8") as predictions:
        for d in range(docs):
            doc_id = f"doc{d:06d}"
            body = _Text(rnd, filler)
            quotes, claims = [], []
            for k in range(8):
                body.words(6, 12)
                body.add(". ")
                speaker = rnd.choice(ids)
                who = body.add(people[speaker])
                body.add(" ")
                cue = body.add(rnd.choice(CUES))
                if k < 5:
                    direct = rnd.random() < 0.5
                    body.add(' "' if direct else " that ")
                    span = body.words(8, 15)
                    body.add('".' if direct else ".")
                    quotes.append({"span": span, "type": "direct" if direct else "indirect", "speaker": who, "speaker_id": speaker,
                                   "cue": cue, "quote_group": f"g{d}_{k % 3}"})
                else:
                    body.add(" that ")
                    body.words(2, 4)
                    approx = rnd.random() < 0.5
                    body.add(" about " if approx else " ")
                    value = rnd.randrange(2, 999) * 50
                    unit = rnd.choice(UNITS)
                    span = body.add(f"{value:,}")
                    body.add(f" {unit}s ")
                    body.words(2, 4)
                    body.add(".")
                    claims.append({"span": span, "value": float(value), "unit": unit, "approx": "approximate" if approx else "exact",
                                   "source": who, "source_id": speaker, "claim_group": f"c{d}_{k % 2}"})
                body.add(" ")
            text = body.text()
            data.document(doc_id, text)

            def gold_span(span):
                return {"start": span[0], "end": span[1], "text": text[span[0]:span[1]]}

            for k, q in enumerate(quotes):
                data.row("quotes", {"doc_id": doc_id, "id": f"q{k + 1}", **gold_span(q["span"]), "type": q["type"],
                                    "speaker": gold_span(q["speaker"]), "speaker_id": q["speaker_id"], "cue": gold_span(q["cue"]),
                                    "quote_group": q["quote_group"]})
            for k, c in enumerate(claims):
                data.row("numeric_claims", {"doc_id": doc_id, "id": f"n{k + 1}", **gold_span(c["span"]), "value": c["value"],
                                            "unit": c["unit"], "approx": c["approx"], "source": gold_span(c["source"]),
                                            "source_id": c["source_id"], "claim_group": c["claim_group"]})
            line = {"doc_id": doc_id, "quotes": [], "numeric_claims": []}
            for q in quotes:
                roll = rnd.random()
                if roll < 0.08:
                    continue
                start, end = q["span"]
                if roll < 0.18:
                    end = text.rindex(" ", start, end)  # the last word left out
                line["quotes"].append({"start": start, "end": end, "type": q["type"],
                                       "speaker": {"start": q["speaker"][0], "end": q["speaker"][1]},
                                       "speaker_id": q["speaker_id"] if rnd.random() < 0.9 else rnd.choice(ids),
                                       "cue": {"start": q["cue"][0], "end": q["cue"][1]},
                                       "quote_group": "p" + q["quote_group"] if rnd.random() < 0.9 else f"x{rnd.randrange(9)}"})
            for c in claims:
                if rnd.random() < 0.05:
                    continue
                line["numeric_claims"].append({"start": c["span"][0], "end": c["span"][1],
                                               "value": c["value"] if rnd.random() < 0.9 else c["value"] + 1, "unit": c["unit"],
                                               "approx": c["approx"], "source": {"start": c["source"][0], "end": c["source"][1]},
                                               "source_id": c["source_id"], "claim_group": "p" + c["claim_group"]})
            predictions.write(json.dumps(line) + "\n")
    return data.close(), folder / "predictions.jsonl"


def data_files(folder: Path) -> list[Path]:
    return [folder / c / "test.jsonl" for c in CONFIGS]
