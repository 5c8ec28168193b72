"""Who made an annotation pass: its ``provenance.json``, written by ``newsclaims ls import``.

Per document, where it came from in Label Studio (server, project, task, annotation, annotator,
``updated_at``), or a ``made_by`` sentence for a pass made otherwise. ``agree`` names the makers from
it; ``ls import`` refuses to replace a newer annotation or one from another project by it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .corpus import shown_path
from .problems import InvalidInput, Problem, show

PROVENANCE_FILE = "provenance.json"


@dataclass(frozen=True)
class Provenance:
    """Where an imported document came from: the Label Studio server (when ``ls pull`` recorded it),
    project, task and annotation, who made it and when it was last changed."""

    server: str | None
    project: int | None
    title: str | None
    task: int | None
    annotation: int | None
    annotator: str
    updated_at: str | None

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, entry: dict) -> Provenance:
        fields: dict[str, Any] = {name: entry.get(name) for name in cls.__dataclass_fields__}
        return cls(**fields)

    def same_project(self, other: Provenance) -> bool:
        """One project: the same project id, on the same server where both name it."""
        servers = {self.server, other.server} - {None}
        return self.project == other.project and len(servers) <= 1

    def project_text(self) -> str:
        shown = f"project {self.project}" if self.project is not None else "an unnamed project"
        if self.title:
            shown += f" ({self.title!r})"
        return shown + (f" on {self.server}" if self.server else "")

    def text(self) -> str:
        """``annotation 31 by ann@example.org (task 12 of project 3 on http://..., updated 2026-...)``"""
        return (f"annotation {self.annotation} by {self.annotator} (task {self.task} of {self.project_text()}"
                + (f", updated {self.updated_at}" if self.updated_at else "") + ")")


def timestamp(text: str | None):
    """A Label Studio ``updated_at`` as an aware datetime (None when absent or unreadable)."""
    from datetime import datetime, timezone

    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_provenance(folder: Path | None) -> dict:
    """A pass's provenance.json ({} when there is none); a file that is no JSON object is one line."""
    path = Path(folder) / PROVENANCE_FILE if folder is not None else None
    if path is None or not path.is_file():
        return {}
    from .jsonio import read_json

    data = read_json(path, shown_path(path))
    entries = data.get("label_studio", {}) if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
        raise InvalidInput([Problem(shown_path(path), "", "label_studio", show(entries),
                                    "an object: doc_id -> {server, project, task, annotation, annotator, updated_at}")])
    return data


def document_provenance(folder: Path | None) -> dict[str, Provenance]:
    """doc_id -> where the pass's document came from in Label Studio (documents not imported: absent)."""
    return {doc_id: Provenance.of(entry) for doc_id, entry in read_provenance(folder).get("label_studio", {}).items()}


def made_by_text(folder: Path) -> str:
    """Who made a pass, from its provenance.json: its ``made_by`` sentence, or what its Label Studio entries
    say (annotators, projects, when the annotations were last changed); "not recorded" without either."""
    data = read_provenance(folder)
    if isinstance(data.get("made_by"), str) and data["made_by"].strip():
        return data["made_by"].strip()
    entries = [Provenance.of(e) for e in data.get("label_studio", {}).values()]
    if not entries:
        return f"not recorded (the pass has no {PROVENANCE_FILE})"
    people = sorted({e.annotator for e in entries})
    projects = sorted({e.project_text() for e in entries})
    dates = sorted(e.updated_at[:10] for e in entries if e.updated_at)
    when = f", annotations last changed {dates[0]}" + (f" to {dates[-1]}" if dates[-1] != dates[0] else "") if dates else ""
    return (f"{len(entries)} documents annotated in Label Studio by {', '.join(people)} ({', '.join(projects)}{when})")


def load_named_set(path: Path, corpus, warn=None):
    """An annotation set named on the command line, validated as the gold is. An annotation pass (a set
    with provenance.json, which ``ls import`` writes) may hold some of the documents only, as Label
    Studio passes do, but not none; any other set (a gold) must hold every document."""
    from .corpus import load_annotation_set

    is_pass = (Path(path) / PROVENANCE_FILE).is_file()
    ann = load_annotation_set(path, corpus, require_complete=not is_pass, warn=warn)
    if not ann.documents:
        raise InvalidInput([Problem(shown_path(Path(path)), "gold", "", "no documents", "an annotation set holding at least one document")])
    return ann

