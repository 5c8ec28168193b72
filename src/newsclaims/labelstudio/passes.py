"""Annotation passes on disk: the folder name rule, merging an import into a pass, validating it as the gold is
validated, and writing it whole.

A pass is written by ``safewrite.write_tree_atomically``, the swap build and eval --output use: at every
instant the complete old pass or the complete new one is on disk (the old one perhaps beside it as
``.NAME.old-*``), and the next import finishes what a kill interrupted (``recover_passes``).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..corpus import CLAIM_GROUPS_FILE, GOLD_DIR, KB_FILE, QUOTE_GROUPS_FILE, AnnotationSet, Corpus, load_annotation_set
from ..jsonio import dumps_canonical
from ..labels import AUTHOR
from ..problems import InvalidInput, Problem
from ..safewrite import RESERVED_PASS_NAMES, is_pass_folder, recover_all, write_tree_atomically
from .config import NewEntries, Registry

if TYPE_CHECKING:
    from .reader import ImportPlan

PASS_WHAT = "an annotation pass (a folder with gold/ and entities.json)"

MAX_LINES = 60


def refuse(problems: list[Problem]) -> None:
    """Raise with at most MAX_LINES problems, and a last line counting the rest."""
    shown = problems[:MAX_LINES]
    if len(problems) > MAX_LINES:
        shown.append(Problem(problems[MAX_LINES].file, "", "", f"{len(problems) - MAX_LINES} more problems not shown",
                             "none (fix the ones above and run again)"))
    raise InvalidInput(shown)


def pass_name_problem(name: str, passes_dir: Path | None) -> str | None:
    """Why an annotator's folder name may not be used (None when it may): a reserved name in any
    case (``safewrite.RESERVED_PASS_NAMES``: gold, passes, ...), a hidden name, or an existing
    folder or file that is not an annotation pass. So an import never replaces the gold."""
    if name.casefold() in RESERVED_PASS_NAMES or name.startswith("."):
        return "is reserved"
    if passes_dir is not None:
        target = Path(passes_dir) / name
        if (target.exists() or target.is_symlink()) and (target.is_symlink() or not target.is_dir() or not is_pass_folder(target)):
            return f"is {target}, which is not an annotation pass"
    return None


# The staging folders (tempfile.mkdtemp names) that imports of 0.5.0 and before swapped passes through.
_OLD_STAGING = re.compile(r"^\.import-[a-z0-9_]{8}$")


def recover_passes(passes_dir: Path) -> None:
    """Finish every interrupted write of a pass in ``passes_dir`` (``safewrite.recover_all``: a pass moved
    aside comes back when its folder is missing; staging folders go).

    An old version's ``.import-XXXXXXXX`` staging folder held a pass moved aside as ``.old-NAME``: it
    comes back when NAME is missing, then the staging folder goes.
    """
    passes_dir = Path(passes_dir)
    if not passes_dir.is_dir():
        return
    for staging in sorted(p for p in passes_dir.iterdir() if _OLD_STAGING.match(p.name) and p.is_dir() and not p.is_symlink()):
        for old in staging.glob(".old-*"):
            dest = passes_dir / old.name[len(".old-"):]
            if not dest.exists() and not dest.is_symlink() and is_pass_folder(old):
                old.rename(dest)
        shutil.rmtree(staging, ignore_errors=True)
    recover_all(passes_dir)


def existing_pass(passes_dir: Path | None, name: str, corpus: Corpus) -> AnnotationSet | None:
    """The annotator's pass in ``passes_dir`` as it stands (validated as a partial set), or None."""
    if passes_dir is None or not (Path(passes_dir) / name / KB_FILE).is_file():
        return None
    return load_annotation_set(Path(passes_dir) / name, corpus, require_complete=False)


def _merged(annotator: str, documents: dict[str, dict], new: NewEntries, existing: AnnotationSet | None,
            gold: AnnotationSet | None) -> tuple[dict[str, dict], dict[str, dict]]:
    """The whole pass after the import: its documents and its three registry files."""
    docs = dict(existing.documents) if existing else {}
    docs.update(documents)
    registry = Registry.of(existing, gold)
    kb = {k: dict(v, aliases=list(v["aliases"])) for k, v in (existing.kb.items() if existing else [])}
    for k, v in new.kb.items():
        kb.setdefault(k, dict(v, aliases=list(v["aliases"])))
    for doc in docs.values():
        referenced = [m["entity_id"] for m in doc["entities"]] + [q["speaker_id"] for q in doc["quotes"]] + \
                     [c["source_id"] for c in doc["numeric_claims"]]
        for eid in referenced:
            if eid and eid != AUTHOR and eid not in kb and eid in registry.kb:
                kb[eid] = dict(registry.kb[eid], aliases=list(registry.kb[eid]["aliases"]))
    for doc in documents.values():
        for m in doc["entities"]:
            if m["entity_id"] in kb and m["text"] not in kb[m["entity_id"]]["aliases"]:
                kb[m["entity_id"]]["aliases"].append(m["text"])

    def groups(field_name: str, layer: str, own: dict, known: dict, added: dict) -> list[dict]:
        table = dict(own)
        for k, v in added.items():
            table.setdefault(k, v)
        for doc in docs.values():
            for r in doc[layer]:
                g = r[field_name]
                if g and g not in table and g in known:
                    table[g] = known[g]
        return [table[k] for k in sorted(table)]

    registries = {
        KB_FILE: {"entities": [kb[k] for k in sorted(kb)]},
        CLAIM_GROUPS_FILE: {"claim_groups": groups("claim_group", "numeric_claims", existing.claim_groups if existing else {},
                                                   registry.claim_groups, new.claim_groups)},
        QUOTE_GROUPS_FILE: {"quote_groups": groups("quote_group", "quotes", existing.quote_groups if existing else {},
                                                   registry.quote_groups, new.quote_groups)},
    }
    return docs, registries


def stage(plan: ImportPlan, passes_dir: Path | None, corpus: Corpus, gold: AnnotationSet | None) -> dict[str, dict[str, str]]:
    """Every merged pass as its files (relative path -> text), validated as the gold is validated.

    The dry run and the real import both call this, so they accept and refuse the same exports.
    Raises InvalidInput whose problems name the task and region, not the files staged for validation.
    """
    problems: list[Problem] = []
    passes: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="newsclaims-import-") as staging:
        for annotator, documents in plan.sets.items():
            existing = existing_pass(passes_dir, annotator, corpus)
            docs, registries = _merged(annotator, documents, plan.new.get(annotator, NewEntries()), existing, gold)
            files = {f"{GOLD_DIR}/{doc_id}.json": dumps_canonical(doc) for doc_id, doc in docs.items()}
            files.update((name, dumps_canonical(content)) for name, content in registries.items())
            root = Path(staging) / annotator
            for rel, text in files.items():
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(text, encoding="utf-8")
            try:
                load_annotation_set(root, corpus, require_complete=False)
            except InvalidInput as err:
                problems += [_in_task_terms(p, annotator, plan) for p in err.problems]
            passes[annotator] = files
    if problems:
        refuse(problems)
    return passes


def _in_task_terms(problem: Problem, annotator: str, plan: ImportPlan) -> Problem:
    """A validation problem of a staged file, told as the task, region and field it came from."""
    at, regions = plan.where.get(annotator, {}).get(Path(problem.file).stem, (None, {}))
    if at is not None:
        record = problem.record
        region = regions.get((record.layer, record.id)) if record is not None else None
        where = f"{at}, region {region}" if region else at
        return Problem(f"annotator {annotator}", where, problem.field, problem.found, problem.expected)
    shown = Path(problem.file).name
    return Problem(f"annotator {annotator}: the pass's {shown}", problem.where, problem.field, problem.found, problem.expected)


def write_sets(plan: ImportPlan, passes_dir: Path, corpus: Corpus, gold: AnnotationSet | None) -> list[Path]:
    """Validate every merged pass, then write each over the one before, as a whole.

    Nothing under ``passes_dir`` changes unless every pass is valid; documents of a pass that the
    export does not hold stay as they were. A pass is replaced by ``safewrite.write_tree_atomically``
    (a kill at any instant leaves a complete pass; a target it may not replace is one line).
    """
    written = []
    for annotator, files in stage(plan, passes_dir, corpus, gold).items():
        target = Path(passes_dir) / annotator
        write_tree_atomically(target, files, recognise=is_pass_folder, label="--passes", what=PASS_WHAT)
        written.append(target)
    return written


def check_import(plan: ImportPlan, passes_dir: Path | None, corpus: Corpus, gold: AnnotationSet | None) -> None:
    """The dry run: exactly the validation of ``write_sets``; nothing is written."""
    stage(plan, passes_dir, corpus, gold)


def diff_summary(plan: ImportPlan, gold: AnnotationSet) -> str:
    """What an import would change, per annotator, against the current gold."""
    from ..agreement import disagreements, group_changes

    lines = []
    for annotator, documents in plan.sets.items():
        imported = AnnotationSet(Path(annotator), documents, {}, {}, {})
        entries = disagreements(AnnotationSet(gold.root, {d: gold.documents[d] for d in documents if d in gold.documents}, {}, {}, {}),
                                imported)
        groups = group_changes(gold.documents, documents)
        new = plan.new.get(annotator, NewEntries())
        added = [f"entity {k}" for k in new.kb] + [f"quote group {k}" for k in new.quote_groups] + \
                [f"claim group {k}" for k in new.claim_groups]
        lines.append(f"{annotator}: {len(documents)} documents, {len(entries)} differences from the gold, "
                     f"{len(groups)} group changes" + (f", new: {', '.join(added)}" if added else ""))
        lines += [f"  {e['doc_id']} {e['layer']} {e['kind']}: gold {e['a']}{' → ' + e['a_value'] if 'a_value' in e else ''} | "
                  f"import {e['b']}{' → ' + e['b_value'] if 'b_value' in e else ''}" for e in entries]
        lines += groups
    return "\n".join(lines)

