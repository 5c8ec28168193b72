"""``newsclaims diff OLD NEW``: what changed between two data versions, and the CHANGELOG data entry that says so.

OLD and NEW are each a dataset folder written by ``newsclaims build`` (its build_info.json), a benchmark folder
(seeds/ and annotations/, rendered as build would render them, nothing written), or a data version ``X.Y.Z``,
which names the benchmark's dataset/ when its build_info.json records that version (older versions live in the
git history: check one out and name its folder).

Records are compared per layer and registry: documents by doc_id (their text's sha256 and cluster), records by
(doc_id, id), knowledge-base entities and groups by id. A record is changed when any field but ``fold`` differs;
folds are compared apart (adding a second cluster renumbers them, ``corpus.assign_folds``). The version bump,
the rule once:

- major: the gold of a released document changed (a record of a document OLD holds added, removed or changed,
  the document removed or its text changed), or a registry entry removed or changed other than by aliases added;
- minor: only additions (documents with their records, registry entries, aliases of an entity);
- nothing changed: no entry is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .problems import InvalidInput, Problem, show

LAYERS = ("entities", "quotes", "numeric_claims")
REGISTRIES = ("kb", "claim_groups", "quote_groups")
SHOWN = 10  # keys named per kind of change; the rest are counted


@dataclass
class DataSide:
    """One side of a diff: its rows per config, gold digest, data version and where it came from."""

    label: str
    rows: dict[str, list[dict]]
    digest: str
    version: str | None


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    aliases_added: list[str] = field(default_factory=list)  # kb only: entities whose only change is new aliases


@dataclass
class DataDiff:
    old: DataSide
    new: DataSide
    parts: dict[str, Changes]  # documents, each layer, each registry
    folds_changed: list[str]
    bump: str | None  # "major", "minor" or None
    reasons: list[str]

    def new_version(self) -> str:
        major, minor, patch = (int(x) for x in (self.old.version or "0.0.0").split("."))
        return f"{major + 1}.0.0" if self.bump == "major" else f"{major}.{minor + 1}.0"

    def as_dict(self) -> dict:
        return {"old": {"path": self.old.label, "data_version": self.old.version, "gold_sha256": self.old.digest},
                "new": {"path": self.new.label, "data_version": self.new.version, "gold_sha256": self.new.digest},
                "bump": self.bump, "new_version": self.new_version() if self.bump else None, "reasons": self.reasons,
                "folds_changed": self.folds_changed,
                "parts": {name: {"added": c.added, "removed": c.removed, "changed": c.changed, "aliases_added": c.aliases_added}
                          for name, c in self.parts.items()}}


def _read_built(folder: Path) -> DataSide:
    from .build import CONFIGS, SPLIT
    from .hf import read_build_info

    info = read_build_info(folder)  # every data file checked against its checksum first
    rows = {}
    for config in CONFIGS:
        path = folder / config.name / f"{SPLIT}.jsonl"
        rows[config.name] = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return DataSide(str(folder), rows, info["gold_sha256"], info.get("data_version"))


def _read_benchmark(root: Path) -> DataSide:
    from .benchmark import Benchmark
    from .build import config_rows, gold_digest
    from .corpus import load_annotation_set, load_corpus

    bench = Benchmark.at(root, "newsclaims diff")
    corpus = load_corpus(bench.seeds)
    ann = load_annotation_set(bench.annotations, corpus)
    return DataSide(str(root), config_rows(corpus, ann), gold_digest(bench.annotations, bench.seeds), None)


def read_side(given: str, bench_dataset: Path | None) -> DataSide:
    """A dataset folder, a benchmark folder or a data version (see the module docstring)."""
    path = Path(given)
    if (path / "build_info.json").is_file():
        return _read_built(path)
    if (path / "seeds" / "MANIFEST.json").is_file():
        return _read_benchmark(path)
    if re.fullmatch(r"\d+\.\d+\.\d+", given) and bench_dataset is not None and (bench_dataset / "build_info.json").is_file():
        side = _read_built(bench_dataset)
        if side.version == given:
            return side
        raise InvalidInput([Problem("newsclaims diff", "", "", f"data {given}, while {bench_dataset} holds data {side.version}",
                                    "a version built in dataset/, or the folder of a checkout of that version")])
    raise InvalidInput([Problem("newsclaims diff", "", "", show(given), "a dataset folder (with build_info.json), a benchmark "
                                "folder (with seeds/MANIFEST.json) or the data version dataset/ holds")])


def _key(part: str, row: dict) -> str:
    return row["doc_id"] if part == "documents" else row["id"] if part in REGISTRIES else f"{row['doc_id']}:{row['id']}"


def _content(part: str, row: dict) -> dict:
    if part == "documents":
        return {k: row[k] for k in ("cluster_id", "file", "sha256")}
    return {k: v for k, v in row.items() if k != "fold"}


def diff(old: DataSide, new: DataSide) -> DataDiff:
    parts: dict[str, Changes] = {}
    for part in ("documents", *LAYERS, *REGISTRIES):
        before = {_key(part, r): _content(part, r) for r in old.rows[part]}
        after = {_key(part, r): _content(part, r) for r in new.rows[part]}
        changes = Changes(added=[k for k in after if k not in before], removed=[k for k in before if k not in after])
        for key in (k for k in after if k in before and after[k] != before[k]):
            b, a = before[key], after[key]
            grown = part == "kb" and {**a, "aliases": None} == {**b, "aliases": None} and set(b["aliases"]) <= set(a["aliases"])
            (changes.aliases_added if grown else changes.changed).append(key)
        parts[part] = changes
    old_folds = {r["doc_id"]: r["fold"] for r in old.rows["documents"]}
    folds_changed = [r["doc_id"] for r in new.rows["documents"] if r["doc_id"] in old_folds and old_folds[r["doc_id"]] != r["fold"]]
    released = set(old_folds)
    reasons = []
    docs = parts["documents"]
    if docs.removed or docs.changed:
        reasons.append(f"{len(docs.removed)} documents removed and {len(docs.changed)} changed")
    for layer in LAYERS:
        c = parts[layer]
        touched = [k for k in c.added + c.removed + c.changed if k.split(":", 1)[0] in released]
        if touched:
            reasons.append(f"{layer} of released documents changed: {len(touched)} records ({', '.join(touched[:3])}"
                           + (", ..." if len(touched) > 3 else "") + ")")
    for name in REGISTRIES:
        c = parts[name]
        if c.removed or c.changed:
            reasons.append(f"{name}: {len(c.removed)} removed, {len(c.changed)} changed ({', '.join((c.removed + c.changed)[:3])})")
    anything = any(c.added or c.removed or c.changed or c.aliases_added for c in parts.values()) or folds_changed
    bump = "major" if reasons else "minor" if anything else None
    return DataDiff(old, new, parts, folds_changed, bump, reasons)


def _listed(keys: list[str]) -> str:
    return ", ".join(keys[:SHOWN]) + (f", and {len(keys) - SHOWN} more" if len(keys) > SHOWN else "")


def format_diff(d: DataDiff) -> str:
    lines = [f"old: {d.old.label} (data {d.old.version or 'not released'}, gold sha256 {d.old.digest[:12]})",
             f"new: {d.new.label} (data {d.new.version or 'not released'}, gold sha256 {d.new.digest[:12]})",
             "| part | added | removed | changed |", "|---|---|---|---|"]
    for name, c in d.parts.items():
        changed = f"{len(c.changed)}" + (f" (+ aliases of {len(c.aliases_added)})" if c.aliases_added else "")
        lines.append(f"| {name} | {len(c.added)} | {len(c.removed)} | {changed} |")
    for name, c in d.parts.items():
        for kind in ("added", "removed", "changed", "aliases_added"):
            keys = getattr(c, kind)
            if keys:
                lines.append(f"{name} {kind.replace('_', ' ')}: {_listed(keys)}")
    if d.folds_changed:
        lines.append(f"folds renumbered (corpus.assign_folds): {_listed(d.folds_changed)}")
    if d.bump is None:
        lines.append("no change: the two hold the same data")
    else:
        lines.append(f"bump: {d.bump} ({'; '.join(d.reasons) if d.reasons else 'additions only'}) -> data {d.new_version()}")
    return "\n".join(lines)


def changelog_entry(d: DataDiff, date: str) -> str:
    """The ``## data X.Y.Z`` entry ``newsclaims build`` then accepts: the new gold digest and what changed."""
    docs = d.parts["documents"]
    lines = [f"## data {d.new_version()} ({date})", f"gold-sha256: {d.new.digest}"]
    if docs.added:
        clusters = sorted({r["cluster_id"] for r in d.new.rows["documents"] if r["doc_id"] in set(docs.added)})
        lines.append(f"- {len(docs.added)} documents added (cluster {', '.join(clusters)}): {_listed(docs.added)}.")
    for kind in ("added", "removed", "changed"):
        counts = [f"{len(getattr(d.parts[n], kind))} {n}" for n in (*LAYERS, *REGISTRIES) if getattr(d.parts[n], kind)]
        if counts:
            lines.append(f"- Records {kind}: {', '.join(counts)}.")
    if docs.removed or docs.changed:
        lines.append(f"- Documents removed: {len(docs.removed)}; changed: {len(docs.changed)}.")
    if d.parts["kb"].aliases_added:
        lines.append(f"- Aliases added to {len(d.parts['kb'].aliases_added)} knowledge-base entities.")
    if d.folds_changed:
        lines.append(f"- Folds renumbered for {len(d.folds_changed)} documents (one fold per cluster).")
    lines.append(f"- {(d.bump or 'no').capitalize()} version: " + ("; ".join(d.reasons) if d.reasons else "additions only") +
                 " (written by `newsclaims diff`).")
    return "\n".join(lines) + "\n"


def write_changelog(changelog: Path, entry: str, digest: str) -> None:
    """Put ``entry`` above the first ``## `` heading of CHANGELOG.md; refused when its newest data entry
    already records ``digest``."""
    from .safewrite import atomic_write_text, file_target

    text = Path(file_target(changelog, "--changelog")).read_text("utf-8")
    newest = re.search(r"^## data (\S+).*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if newest and re.search(rf"^gold-sha256: {digest}\s*$", newest.group(2), re.M):
        raise InvalidInput([Problem(str(changelog), f"data {newest.group(1)}", "gold-sha256", f"{digest[:12]}... already recorded",
                                    "a gold not yet released (nothing to add)")])
    first = re.search(r"^## ", text, re.M)
    at = first.start() if first else len(text)
    atomic_write_text(changelog, text[:at] + entry + "\n" + text[at:])
