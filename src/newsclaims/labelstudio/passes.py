"""Annotation passes on disk: the folder name rule, merging an import into a pass, validating it as the gold is
validated, and writing it whole.

A pass is written by ``safewrite.write_tree_atomically``, the swap build and eval --output use: at every
instant the complete old pass or the complete new one is on disk (the old one perhaps beside it as
``.NAME.old-*``), and the next import finishes what a kill interrupted (``recover_passes``).

A pass says where its documents came from in ``provenance.json`` (``PROVENANCE_FILE``): ``made_by``, a
sentence on who made a pass that was not imported, and ``label_studio``, per document the server,
project, task, annotation, annotator and ``updated_at`` of the annotation it was imported from. An
import never replaces a document with an older annotation, one from another project, or one over a
document that has no Label Studio provenance, unless asked (``--replace``), and it names what would
be lost (``replacement_problems``). A pass's registries hold exactly the entries its documents use.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..corpus import CLAIM_GROUPS_FILE, GOLD_DIR, KB_FILE, QUOTE_GROUPS_FILE, AnnotationSet, Corpus, load_annotation_set, shown_path
from ..jsonio import dumps_canonical
from ..labels import AUTHOR
from ..pass_provenance import PROVENANCE_FILE, Provenance, document_provenance, read_provenance, timestamp
from ..problems import InvalidInput, Problem
from ..safewrite import RESERVED_PASS_NAMES, is_pass_folder, recover_all, write_tree_atomically
from .config import NewEntries, Registry

PASS_WHAT = "an annotation pass (a folder with gold/ and entities.json)"
# A pass is staged beside its folder as ".NAME.build-XXXXXXXX" (16 bytes more than NAME); 255 is the
# longest file name common file systems allow.
MAX_NAME_BYTES = 255 - 16

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
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"has {len(name.encode('utf-8'))} bytes, more than the {MAX_NAME_BYTES} a pass folder's name may have"
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


def _differences(before: dict, after: dict) -> list[dict]:
    """What differs between two versions of a document: the records and attributes ``agree`` compares,
    and the quote and claim groups of records on the same span."""
    from ..agreement import disagreements

    def one(doc):
        return AnnotationSet(Path("."), {doc["doc_id"]: doc}, {}, {}, {})

    found = disagreements(one(before), one(after))
    for layer, name in (("quotes", "quote_group"), ("numeric_claims", "claim_group")):
        old = {(r["start"], r["end"]): r.get(name) for r in before[layer]}
        found += [{"doc_id": after["doc_id"], "layer": layer, "kind": name} for r in after[layer]
                  if (r["start"], r["end"]) in old and old[(r["start"], r["end"])] != r.get(name)]
    return found


def _lost_text(entries: list[dict]) -> str:
    kinds = sorted({f"{e['layer']} {e['kind'].replace('only_a', 'record').replace('only_b', 'record')}" for e in entries})
    return f"{len(entries)} difference{'s' if len(entries) != 1 else ''} ({', '.join(kinds)})"


@dataclass
class ImportPlan:
    """What an import would write: per annotator the submitted documents, plus what it reports."""

    sets: dict[str, dict[str, dict]]
    new: dict[str, NewEntries]
    notes: list[str]
    where: dict[str, dict[str, tuple[str, dict]]]  # annotator -> doc_id -> (task label, region ids)
    provenance: dict[str, dict[str, Provenance]]  # annotator -> doc_id -> where the document came from
    project: Provenance | None  # the project the export is of, when its tasks say
    tasks_held: set  # (doc_id, task id) of every task in the export


def replacement_problems(plan: ImportPlan, passes_dir: Path | None, corpus: Corpus) -> list[Problem]:
    """Documents the import would replace although nothing says the export's version is the newer one:
    the pass's document came from another project, from a newer change of the annotation (a stale
    export), or not from Label Studio at all. A replacement that changes nothing is no problem. Each
    problem names both annotations and what would be lost."""
    problems: list[Problem] = []
    if passes_dir is None:  # no passes yet: nothing to replace
        return problems
    for annotator, documents in plan.sets.items():
        existing = existing_pass(passes_dir, annotator, corpus)
        if existing is None:
            continue
        folder = Path(passes_dir) / annotator
        held = document_provenance(folder)
        for doc_id, doc in documents.items():
            if doc_id not in existing.documents:
                continue
            lost = _differences(existing.documents[doc_id], doc)
            if not lost:
                continue
            old, incoming = held.get(doc_id), plan.provenance[annotator][doc_id]
            if old is None:
                found = f"a document that did not come from Label Studio (no entry in {PROVENANCE_FILE})"
            elif not old.same_project(incoming):
                found = f"{old.text()}, and this export is of {incoming.project_text()}"
            else:
                before, after = timestamp(old.updated_at), timestamp(incoming.updated_at)
                if before is None or after is None or after >= before:
                    continue
                found = f"{old.text()}, newer than this export's annotation {incoming.annotation} (updated {incoming.updated_at})"
            problems.append(Problem(f"{shown_path(folder)}/{GOLD_DIR}/{doc_id}.json", "", "", found + ": importing would lose "
                                    + _lost_text(lost), "a newer annotation of the same project (pull a fresh export), "
                                    "or --replace to replace the document"))
    return problems


def _merged(annotator: str, documents: dict[str, dict], new: NewEntries, existing: AnnotationSet | None,
            gold: AnnotationSet | None) -> tuple[dict[str, dict], dict[str, dict]]:
    """The whole pass after the import: its documents and its three registry files, each holding
    exactly the entries the documents use (an entry only a replaced document used goes with it)."""
    docs = dict(existing.documents) if existing else {}
    docs.update(documents)
    registry = Registry.of(existing, gold)
    used = {eid for doc in docs.values()
            for eid in [m["entity_id"] for m in doc["entities"]] + [q["speaker_id"] for q in doc["quotes"]]
            + [c["source_id"] for c in doc["numeric_claims"]] if eid and eid != AUTHOR}
    kb = {k: dict(v, aliases=list(v["aliases"])) for k, v in (existing.kb.items() if existing else []) if k in used}
    for k, v in new.kb.items():  # what this import's documents add (each used by one of them)
        kb.setdefault(k, dict(v, aliases=list(v["aliases"])))
    for eid in sorted(used):
        if eid not in kb and eid in registry.kb:
            kb[eid] = dict(registry.kb[eid], aliases=list(registry.kb[eid]["aliases"]))
    for doc in documents.values():
        for m in doc["entities"]:
            if m["entity_id"] in kb and m["text"] not in kb[m["entity_id"]]["aliases"]:
                kb[m["entity_id"]]["aliases"].append(m["text"])

    def groups(field_name: str, layer: str, own: dict, known: dict, added: dict) -> list[dict]:
        table = dict(own)
        for k, v in added.items():
            table.setdefault(k, v)
        referenced = {r[field_name] for doc in docs.values() for r in doc[layer] if r[field_name]}
        for g in referenced:
            if g not in table and g in known:
                table[g] = known[g]
        return [table[k] for k in sorted(table) if k in referenced]

    registries = {
        KB_FILE: {"entities": [kb[k] for k in sorted(kb)]},
        CLAIM_GROUPS_FILE: {"claim_groups": groups("claim_group", "numeric_claims", existing.claim_groups if existing else {},
                                                   registry.claim_groups, new.claim_groups)},
        QUOTE_GROUPS_FILE: {"quote_groups": groups("quote_group", "quotes", existing.quote_groups if existing else {},
                                                   registry.quote_groups, new.quote_groups)},
    }
    return docs, registries


def _merged_provenance(folder: Path | None, plan: ImportPlan, annotator: str, docs: dict[str, dict],
                       existing: AnnotationSet | None) -> dict:
    """provenance.json after the import: the imported documents' entries replace theirs; a document
    the import leaves unchanged keeps the newer of the two entries."""
    data = read_provenance(folder)
    entries = dict(data.get("label_studio", {}))
    for doc_id, incoming in plan.provenance.get(annotator, {}).items():
        old = entries.get(doc_id)
        unchanged = existing is not None and doc_id in existing.documents and not _differences(existing.documents[doc_id], docs[doc_id])
        if old is not None and unchanged:
            before, after = timestamp(old.get("updated_at")), timestamp(incoming.updated_at)
            if before is not None and (after is None or after < before):
                continue
        entries[doc_id] = incoming.as_dict()
    return {**data, "label_studio": {d: entries[d] for d in sorted(entries) if d in docs}}


def stage(plan: ImportPlan, passes_dir: Path | None, corpus: Corpus, gold: AnnotationSet | None,
          replace: bool = False) -> dict[str, dict[str, str]]:
    """Every merged pass as its files (relative path -> text), validated as the gold is validated.

    The dry run and the real import both call this, so they accept and refuse the same exports.
    Raises InvalidInput whose problems name the task and region, not the files staged for validation,
    and, unless ``replace``, every document it would replace without a newer annotation of the same
    project (``replacement_problems``).
    """
    problems: list[Problem] = [] if replace else replacement_problems(plan, passes_dir, corpus)
    passes: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="newsclaims-import-") as staging:
        for annotator, documents in plan.sets.items():
            existing = existing_pass(passes_dir, annotator, corpus)
            docs, registries = _merged(annotator, documents, plan.new.get(annotator, NewEntries()), existing, gold)
            files = {f"{GOLD_DIR}/{doc_id}.json": dumps_canonical(doc) for doc_id, doc in docs.items()}
            files.update((name, dumps_canonical(content)) for name, content in registries.items())
            folder = Path(passes_dir) / annotator if passes_dir is not None else None
            files[PROVENANCE_FILE] = json.dumps(_merged_provenance(folder, plan, annotator, docs, existing), ensure_ascii=False, indent=1) + "\n"
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


def write_sets(plan: ImportPlan, passes_dir: Path, corpus: Corpus, gold: AnnotationSet | None, replace: bool = False) -> list[Path]:
    """Validate every merged pass, then write each over the one before, as a whole.

    Nothing under ``passes_dir`` changes unless every pass is valid; documents of a pass that the
    export does not hold stay as they were. A pass is replaced by ``safewrite.write_tree_atomically``
    (a kill at any instant leaves a complete pass; a target it may not replace is one line).
    """
    written = []
    for annotator, files in stage(plan, passes_dir, corpus, gold, replace).items():
        target = Path(passes_dir) / annotator
        write_tree_atomically(target, files, recognise=is_pass_folder, label="--passes", what=PASS_WHAT)
        written.append(target)
    return written


def check_import(plan: ImportPlan, passes_dir: Path | None, corpus: Corpus, gold: AnnotationSet | None, replace: bool = False) -> None:
    """The dry run: exactly the validation of ``write_sets``; nothing is written."""
    stage(plan, passes_dir, corpus, gold, replace)


def vanished_task_notes(project: Provenance | None, tasks_held: set, passes_dir: Path | None) -> list[str]:
    """One line per document a pass holds from a task of the export's ``project`` that the export
    (``tasks_held``: its (doc_id, task id) pairs) no longer has: deleted in Label Studio, and a push
    then makes a new, open task for the document."""
    if project is None or passes_dir is None or not Path(passes_dir).is_dir():
        return []
    held_ids = {task for _, task in tasks_held}
    now = {doc_id: task for doc_id, task in tasks_held}
    notes = []
    for folder in sorted(p for p in Path(passes_dir).iterdir() if p.is_dir() and not p.name.startswith(".") and is_pass_folder(p)):
        for doc_id, entry in sorted(document_provenance(folder).items()):
            if entry.same_project(project) and entry.task not in held_ids:
                later = f"; {doc_id} is task {now[doc_id]} now" if doc_id in now else ""
                notes.append(f"{shown_path(folder)}: {doc_id} came from {entry.text()}, a task this export does not have "
                             f"(deleted in Label Studio?){later}: the pass keeps the document as it was")
    return notes


def diff_summary(plan: ImportPlan, gold: AnnotationSet, passes_dir: Path | None, corpus: Corpus) -> str:
    """What an import would change, per annotator: against the pass it would change, then against the gold."""
    from ..agreement import disagreements, group_changes

    def one_set(root, documents: dict) -> AnnotationSet:
        return AnnotationSet(Path(root), documents, {}, {}, {})

    def listed(entries: list[dict], before: str) -> list[str]:
        return [f"  {e['doc_id']} {e['layer']} {e['kind']}: {before} {e['a']}{' → ' + e['a_value'] if 'a_value' in e else ''} | "
                f"import {e['b']}{' → ' + e['b_value'] if 'b_value' in e else ''}" for e in entries]

    lines = []
    for annotator, documents in plan.sets.items():
        existing = existing_pass(passes_dir, annotator, corpus)
        held = existing.documents if existing else {}
        shown = shown_path(Path(passes_dir) / annotator) if passes_dir is not None else annotator
        entries = disagreements(one_set(shown, {d: held[d] for d in documents if d in held}), one_set(annotator, documents))
        changed = {d for d in documents if d in held and _differences(held[d], documents[d])}
        added = [d for d in documents if d not in held]
        lines.append(f"{annotator}: against the pass {shown}: {len(added)} new, {len(changed)} changed, "
                     f"{len(documents) - len(added) - len(changed)} unchanged documents, {len(entries)} differences")
        lines += listed(entries, "pass")
        lines += group_changes({d: held[d] for d in documents if d in held}, documents)
        entries = disagreements(one_set(gold.root, {d: gold.documents[d] for d in documents if d in gold.documents}),
                                one_set(annotator, documents))
        groups = group_changes(gold.documents, documents)
        new = plan.new.get(annotator, NewEntries())
        added = [f"entity {k}" for k in new.kb] + [f"quote group {k}" for k in new.quote_groups] + \
                [f"claim group {k}" for k in new.claim_groups]
        lines.append(f"{annotator}: {len(documents)} documents, {len(entries)} differences from the gold, "
                     f"{len(groups)} group changes" + (f", new: {', '.join(added)}" if added else ""))
        lines += listed(entries, "gold")
        lines += groups
    return "\n".join(lines)
