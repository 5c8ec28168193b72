"""A benchmark folder, found once and passed down to every command: ``newsclaims init`` and ``newsclaims add``.

A benchmark folder holds ``seeds/`` (the articles and MANIFEST.json), ``annotations/`` (GUIDELINES.md, gold/,
the registries, card.json, passes/), ``dataset/`` (what ``newsclaims build`` writes) and CHANGELOG.md (the data
versions). The packaged benchmark is one (the source checkout, or the folders the wheel carries); ``newsclaims
init DIR`` makes another, with the same schema, tools and guarantees. Which one a command works on
(``Benchmark.resolve``), the rule once:

- ``--root DIR``: that folder, refused in one line unless it holds seeds/MANIFEST.json and annotations/;
- else the benchmark folder holding the current folder (``safewrite.find_checkout``);
- else, for a command that only reads, the data the installed package carries; a command that writes
  (add, build, adjudicate, ls import) refuses instead, so it never writes where the package was installed from.

``--seeds``, ``--annotations`` and ``--out``-like options still name one folder of another place each.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .problems import InvalidInput, Problem, show

MANIFEST = "MANIFEST.json"
CARD_FILE = "card.json"
CHANGELOG = "CHANGELOG.md"


@dataclass(frozen=True)
class Benchmark:
    """The folders of one benchmark, from its root."""

    root: Path

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def annotations(self) -> Path:
        return self.root / "annotations"

    @property
    def dataset(self) -> Path:
        return self.root / "dataset"

    @property
    def changelog(self) -> Path:
        return self.root / CHANGELOG

    @property
    def passes(self) -> Path:
        return self.annotations / "passes"

    @classmethod
    def at(cls, root: Path, label: str = "--root") -> Benchmark:
        """The benchmark at ``root``, refused in one line when the folder is none."""
        root = Path(root)
        if not (root / "seeds" / MANIFEST).is_file() or not (root / "annotations").is_dir():
            found = "nothing" if not root.exists() else "a file" if not root.is_dir() else "a folder without seeds/MANIFEST.json and annotations/"
            raise InvalidInput([Problem(label, "", "", f"{root}: {found}", "a benchmark folder (make one with newsclaims init DIR)")])
        return cls(root)

    @classmethod
    def resolve(cls, root: Path | None, *, writes: str | None = None) -> Benchmark:
        """The benchmark a command works on (see the module docstring). ``writes`` names a command that
        writes into it: it gets no fallback to the installed package's data."""
        from . import paths
        from .safewrite import find_checkout

        if root is not None:
            return cls.at(root)
        found = find_checkout()
        if found is not None:
            return cls(found)
        if writes is not None:
            raise InvalidInput([Problem(writes, "", "", f"{Path.cwd()}, which is not inside a source checkout or benchmark folder",
                                        "to be run inside one, or --root DIR (newsclaims init DIR makes one)")])
        return cls(paths.data_root())


# --- newsclaims init ----------------------------------------------------------------------------

EMPTY_CHANGELOG = """# Changelog

Data versions of this benchmark ([semantic versions](https://semver.org/)). Every change to the gold adds a
`## data X.Y.Z` entry at the top with the new gold digest on a `gold-sha256:` line; `newsclaims diff` writes
it (minor: documents added; major: the gold of a document or a registry entry that was released changed), and
`newsclaims build` refuses to build until the newest entry records the digest of what it builds.

"""


def card_template(name: str) -> dict:
    """annotations/card.json of a new benchmark: what the dataset card says about this data (who made the
    labels, the texts' licence), to be filled in by its maintainer."""
    return {
        "name": name,
        "description": f"Gold annotations of named entities, quotes and numeric claims on the articles of the {name} benchmark.",
        "license_details": "The annotations' licence and the article texts' copyright: not stated yet (annotations/card.json).",
        "license_text": "Not stated yet: say in annotations/card.json under what terms the annotations and the article texts "
                        "may be used.",
        "labels_made_by": "Not stated yet: say in annotations/card.json who made the annotation passes and who adjudicated them.",
    }


def init(folder: Path) -> list[str]:
    """Create a benchmark folder at ``folder`` (new or empty): seeds/ with an empty manifest; annotations/ with
    the packaged GUIDELINES.md, an empty gold/, empty registries and card.json; CHANGELOG.md and DATASHEET.md;
    and dataset/, built from that empty gold (data 0.0.0). Returns the files written."""
    from . import build, paths
    from .corpus import CLAIM_GROUPS_FILE, GOLD_DIR, KB_FILE, QUOTE_GROUPS_FILE
    from .jsonio import dumps_canonical
    from .safewrite import refuse_protected, write_tree_atomically

    folder = Path(folder)
    refuse_protected(folder, "newsclaims init")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidInput([Problem("newsclaims init", "", "", f"{folder}, which is " + ("a file" if not folder.is_dir() else
                                    "a folder with files in it"), "a new path or an empty folder")])
    files: dict[str, str | bytes] = {
        f"seeds/{MANIFEST}": dumps_canonical({"clusters": [], "documents": []}),
        "annotations/GUIDELINES.md": (paths.annotations_dir() / "GUIDELINES.md").read_bytes(),
        f"annotations/{KB_FILE}": dumps_canonical({"entities": []}),
        f"annotations/{CLAIM_GROUPS_FILE}": dumps_canonical({"claim_groups": []}),
        f"annotations/{QUOTE_GROUPS_FILE}": dumps_canonical({"quote_groups": []}),
        f"annotations/{GOLD_DIR}/.keep": "",
        f"annotations/{CARD_FILE}": dumps_canonical(card_template(folder.resolve().name)),
        build.DATASHEET: "# Datasheet\n\n" + "".join(f"<!-- generated:{name} -->\n<!-- /generated:{name} -->\n\n" for name in build.BLOCKS),
    }
    staged = {**files}
    write_tree_atomically(folder, staged, recognise=lambda _: False, label="newsclaims init", what="nothing (a new benchmark)")
    bench = Benchmark(folder)
    digest = build.gold_digest(bench.annotations, bench.seeds)
    changelog = EMPTY_CHANGELOG + f"## data 0.0.0\ngold-sha256: {digest}\n- An empty benchmark made by `newsclaims init`.\n"
    from .safewrite import atomic_write_text

    atomic_write_text(bench.changelog, changelog)
    build.write_build(build.plan_build(bench.seeds, bench.annotations, bench.dataset, bench.changelog, bench.root / build.DATASHEET))
    return sorted([*files, CHANGELOG, "dataset/"])


# --- newsclaims add -----------------------------------------------------------------------------

PROVENANCE_DEFAULTS: dict[str, object] = {"outlet": None, "published": None, "author": None, "url": None,
                       "received_as": "a text file given to newsclaims add; nothing else came with it",
                       "implied_date": "not stated", "evidence": [], "noise": []}


def _text_problem(raw: bytes) -> str | None:
    """Why a file is no article (None when it is one): empty, binary, not UTF-8."""
    if not raw.strip():
        return "an empty file" if not raw else "a file of white space only"
    control = next((i for i, b in enumerate(raw) if b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D)), None)
    if control is not None:
        return f"a binary file (the byte 0x{raw[control]:02x} at byte {control})"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return f"the byte 0x{raw[err.start]:02x} at byte {err.start}, which is not UTF-8"
    return None


def add(bench: Benchmark, files: list[Path], cluster_id: str, *, description: str | None = None, period: str | None = None,
        doc_ids: list[str] | None = None, provenance: dict | None = None) -> list[dict]:
    """Copy each article into seeds/ byte for byte and write its manifest entry; returns the new entries.

    A doc_id is ``NNN_<first 16 hex digits of the sha256>`` (NNN: its position in the manifest), unless given.
    Refused in one line each, nothing written: a file already present (the same bytes as a seed or another
    FILE), not UTF-8, empty, binary, a doc_id already used, and a cluster not in the manifest without a
    ``description`` (which makes it). Seeds are never edited, stripped or normalised: the bytes copied are
    the bytes read, and the manifest records their length and sha256.
    """
    from .corpus import load_corpus, shown_path
    from .jsonio import dumps_canonical, expect_object, read_json
    from .safewrite import atomic_write_text, refuse_protected
    from .schema import schema_problems

    load_corpus(bench.seeds)  # the seeds as they stand pass every check first
    manifest_path = bench.seeds / MANIFEST
    manifest = expect_object(read_json(manifest_path), str(manifest_path))
    refuse_protected(bench.seeds, "newsclaims add", allow_data=True)
    problems: list[Problem] = []
    clusters = {c["id"]: c for c in manifest["clusters"]}
    if not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", cluster_id):  # the manifest schema's group id, said once for the option
        raise InvalidInput([Problem("--cluster", "", "", show(cluster_id), "a lower_snake_case group id")])
    for doc_id in doc_ids or []:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", doc_id):
            raise InvalidInput([Problem("--doc-id", "", "", show(doc_id), "a document id (letters, digits, _ . -; a seed file stem)")])
    if cluster_id not in clusters and not description:
        problems.append(Problem("--cluster", "", "", show(cluster_id) + ", a cluster not in seeds/MANIFEST.json",
                                "a known cluster (" + (", ".join(clusters) or "none yet") + "), or --description to make it"))
    if doc_ids is not None and len(doc_ids) != len(files):
        problems.append(Problem("--doc-id", "", "", f"{len(doc_ids)} ids for {len(files)} files", "one --doc-id per FILE"))
    known = {entry["sha256"]: entry["doc_id"] for entry in manifest["documents"]}
    used = {entry["doc_id"] for entry in manifest["documents"]}
    entries: list[dict] = []
    payloads: list[bytes] = []
    for index, path in enumerate(files):
        label = shown_path(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as err:
            problems.append(Problem(label, "", "", "a folder" if Path(path).is_dir() else f"nothing readable ({err.strerror})",
                                    "an article: a UTF-8 text file"))
            continue
        why = _text_problem(raw)
        if why:
            problems.append(Problem(label, "", "", why, "an article: a UTF-8 text file with text in it"))
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if digest in known:
            problems.append(Problem(label, "", "", f"the same bytes as {known[digest]}", "an article not yet in seeds/ (sha256 "
                                    f"{digest[:12]}...)"))
            continue
        doc_id = doc_ids[index] if doc_ids and index < len(doc_ids) else f"{len(manifest['documents']) + len(entries):03d}_{digest[:16]}"
        if doc_id in used:
            problems.append(Problem(label, "", "doc_id", show(doc_id) + ", already used", "a doc_id no other document has"))
            continue
        known[digest], used = doc_id, used | {doc_id}
        if (bench.seeds / f"{doc_id}.txt").exists():
            problems.append(Problem(label, "", "doc_id", f"{doc_id}.txt already in seeds/ but not in the manifest",
                                    "a doc_id whose file is not there"))
            continue
        entries.append({"doc_id": doc_id, "file": f"{doc_id}.txt", "bytes": len(raw), "sha256": digest, "cluster_id": cluster_id,
                        "provenance": {**PROVENANCE_DEFAULTS, **(provenance or {})}})
        payloads.append(raw)
    new_manifest = {"clusters": list(manifest["clusters"]), "documents": [*manifest["documents"], *entries]}
    if cluster_id not in clusters and description:
        new_manifest["clusters"].append({"id": cluster_id, "description": description, "period": period or "not stated"})
    elif cluster_id in clusters and (description or period):
        problems.append(Problem("--description", "", "", f"a description of {cluster_id}, which exists",
                                "no --description or --period for a known cluster (the manifest keeps its own)"))
    if not problems:
        problems = schema_problems("manifest", new_manifest, "seeds/MANIFEST.json")
    if problems:
        raise InvalidInput(problems)
    written: list[Path] = []
    try:
        for entry, raw in zip(entries, payloads):
            target = bench.seeds / entry["file"]
            with open(target, "xb") as handle:  # exclusive: never over a file
                handle.write(raw)
            written.append(target)
        atomic_write_text(manifest_path, dumps_canonical(new_manifest))
    except BaseException:
        for target in written:
            target.unlink(missing_ok=True)
        raise
    load_corpus(bench.seeds)  # what was written reads back with every check
    return entries


def read_card(bench_annotations: Path) -> dict | None:
    """annotations/card.json (what the dataset card says of this data), or None when the set has none."""
    path = Path(bench_annotations) / CARD_FILE
    if not path.is_file():
        return None
    from .jsonio import expect_object, read_json

    card = expect_object(read_json(path), str(path))
    for key in ("name", "description", "license_details", "license_text", "labels_made_by"):  # agreement_note, agreement_passes: optional
        if not isinstance(card.get(key), str) or not card[key].strip():
            raise InvalidInput([Problem(str(path), "", key, show(card.get(key)), "a sentence (a non-empty string)")])
    return card
