"""The Label Studio server through its SDK: push tasks, pull the export, and what the export says is done."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..corpus import Corpus
from ..problems import InvalidInput, Problem, show
from .passes import vanished_task_notes
from .reader import PULLED_FROM, author, export_project, tasks_held


def _check_url(url: str) -> None:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput([Problem("--url", "", "", show(url), "an address with its scheme, e.g. http://127.0.0.1:8080")])


def _server_call(url: str, call):
    """Run one SDK call; a refused connection, a bad token or an error status is one line."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError  # _client has checked the SDK is there

    try:
        return call()
    except httpx.ConnectError as err:
        raise InvalidInput([Problem(url, "", "", f"no answer ({err})", "a running Label Studio server at that address")]) from None
    except httpx.TimeoutException:
        raise InvalidInput([Problem(url, "", "", "no answer within the timeout", "a running Label Studio server")]) from None
    except httpx.HTTPError as err:
        raise InvalidInput([Problem(url, "", "", f"a connection error ({type(err).__name__}: {err})", "a Label Studio server")]) from None
    except ApiError as err:
        if err.status_code in (401, 403):
            raise InvalidInput([Problem("LABEL_STUDIO_API_KEY", "", "", f"a token the server refuses (HTTP {err.status_code})",
                                        "the API token of a Label Studio user (Account & Settings)")]) from None
        body = err.body if isinstance(err.body, (dict, str)) else str(err.body)
        if isinstance(body, dict) and body.get("validation_errors"):  # what the server refused, not its envelope
            body = body["validation_errors"]
        raise InvalidInput([Problem(url, "", "", f"HTTP {err.status_code}: {show(body)}", "the request to succeed")]) from None


def _client(url: str, api_key: str):
    from ..extras import require

    LabelStudio = require("label_studio_sdk", "labelstudio", "newsclaims ls").LabelStudio  # an optional dependency

    _check_url(url)
    return LabelStudio(base_url=url, api_key=api_key, timeout=60)


def _project(client, url: str, title: str):
    return _server_call(url, lambda: next((p for p in client.projects.list() if p.title == title), None))


def project_settings(overlap: int, instructions: str) -> dict:
    """The project settings of independent N-fold annotation (Label Studio 1.23's project fields).

    - ``maximum_annotations`` = N with ``overlap_cohort_percentage`` 100: every task is annotated by N
      annotators; the labeling stream (Label All Tasks) hands a task to an annotator who has not
      annotated it, until N have. The stream shows an annotator only their own annotations.
    - all pre-annotations shown at once (``reveal_preannotations_interactively`` off); ``push`` then sets
      ``show_collab_predictions`` and ``model_version`` to the pushed pre-annotations' version once the
      project holds them (Label Studio refuses a version no prediction has): each new annotation starts
      from the same pre-annotations (the stream pre-labels only from the project's model_version).
    - ``show_annotation_history`` off; ``show_skip_button`` on (a skipped task changes no pass);
      ``enable_empty_annotation`` off; sequential sampling (tasks in the seeds' fold order).
    - ``expert_instruction`` (the Labeling Instructions) with ``show_instruction``: shown before labeling.
    """
    return {"maximum_annotations": overlap, "overlap_cohort_percentage": 100, "show_overlap_first": True,
            "reveal_preannotations_interactively": False, "evaluate_predictions_automatically": False,
            "show_annotation_history": False, "show_skip_button": True, "enable_empty_annotation": False,
            "sampling": "Sequential sampling", "expert_instruction": instructions, "show_instruction": True}


@dataclass
class PushResult:
    """What a push did to the project."""

    project_id: int
    created: bool
    overlap: int
    new_tasks: int
    present: int
    updated_predictions: int
    stale_predictions: int

    def summary(self, title: str, model_version: str) -> str:
        """One line saying what was done, and what was not with its option."""
        said = [f"project {self.project_id} ({title!r}) {'created' if self.created else 'updated'}: config set",
                f"{self.new_tasks} new tasks (pre-annotations: {model_version})"]
        if self.present:
            said.append(f"{self.present} tasks were already there (pick lists refreshed)")
        if self.updated_predictions:
            said.append(f"pre-annotations of {self.updated_predictions} of them replaced by {model_version}")
        if self.stale_predictions:
            said.append(f"{self.stale_predictions} of them keep other pre-annotations (add --update-predictions to replace "
                        f"them by {model_version})")
        said.append(f"{self.overlap} annotator{'s' if self.overlap > 1 else ''} per task, each on their own")
        return ", ".join(said)


def push(url: str, api_key: str, title: str, config: str, task_list: list[dict], model_version: str,
         update_predictions: bool = False, overlap: int = 2, instructions: str = "") -> PushResult:
    """Create or update the project (config and ``project_settings``) and import the tasks it does not have yet.

    A project of that title holding tasks that are not these documents is refused. Tasks already
    there keep their pre-annotations unless ``update_predictions``: then each gets the new
    pre-annotations (the old predictions are deleted; annotations are never touched).
    """
    client = _client(url, api_key)
    project = _project(client, url, title)
    created = project is None
    settings = project_settings(overlap, instructions)
    if created:
        project = _server_call(url, lambda: client.projects.create(title=title, label_config=config, **settings))
    existing = _server_call(url, lambda: list(client.tasks.list(project=project.id)))
    ours = {t["data"]["doc_id"]: t for t in task_list}
    foreign = [t for t in existing if (t.data or {}).get("doc_id") not in ours
               or (t.data or {}).get("text_sha256") != ours[(t.data or {})["doc_id"]]["data"]["text_sha256"]]
    if foreign:
        shown = ", ".join(str(t.id) for t in foreign[:5])
        raise InvalidInput([Problem(url, f"project {project.id} ({title!r})", "tasks",
                                    f"{len(foreign)} tasks that are not these documents (task {shown})",
                                    "a project holding only newsclaims tasks of these seeds: give another --title")])
    if not created:
        _server_call(url, lambda: client.projects.update(id=project.id, label_config=config, **settings))
    present = {t.data["doc_id"]: t for t in existing}
    updated = stale = current = 0
    for doc_id, task in present.items():
        # the pick lists follow the registries; the task data is refreshed with them
        _server_call(url, lambda: client.tasks.update(id=task.id, data={**task.data, **ours[doc_id]["data"]}))
        wanted = ours[doc_id].get("predictions")
        if not wanted:
            continue
        old = _server_call(url, lambda: list(client.predictions.list(task=task.id)))
        same = any(p.model_version == model_version and p.result == wanted[0]["result"] for p in old)
        if same:
            current += 1
            continue
        if not update_predictions:
            stale += 1
            continue
        for p in old:
            _server_call(url, lambda: client.predictions.delete(id=p.id))
        _server_call(url, lambda: client.predictions.create(task=task.id, result=wanted[0]["result"], model_version=model_version))
        updated += 1
    new = [t for d, t in ours.items() if d not in present]
    if new:
        _server_call(url, lambda: client.projects.import_tasks(id=project.id, request=new))
    if current or updated or any(t.get("predictions") for t in new):  # the project holds this version's predictions now
        _server_call(url, lambda: client.projects.update(id=project.id, model_version=model_version, show_collab_predictions=True))
    return PushResult(project.id, created, overlap, len(new), len(present), updated, stale)


def pull(url: str, api_key: str, title: str) -> list:
    """The project's raw JSON export (full annotations with every region and relation)."""
    client = _client(url, api_key)
    project = _project(client, url, title)
    if project is None:
        raise InvalidInput([Problem(url, "", "project", show(title), "the title of a project on the server (see --title)")])
    export = _server_call(url, lambda: client.projects.exports.as_json(project.id))
    emails = _server_call(url, lambda: {u.id: u.email for u in client.users.list()})
    for task in export:  # the export names annotators by user id; keep the id and add the e-mail
        task[PULLED_FROM] = {"server": url.rstrip("/"), "title": title}  # the provenance an import keeps
        for annotation in task.get("annotations") or []:
            who = annotation.get("completed_by")
            if isinstance(who, int):
                annotation["completed_by"] = {"id": who, "email": emails.get(who)}
    return export


def check_export(export, corpus: Corpus, label: str) -> None:
    """Refuse, in one line, an export that is not of a project ``push`` made from these seeds: every task
    holds a doc_id of the seeds and that document's text_sha256."""
    def ours(task) -> bool:
        data = task.get("data") if isinstance(task, dict) else None
        return isinstance(data, dict) and data.get("doc_id") in corpus.documents \
            and data.get("text_sha256") == corpus.documents[data["doc_id"]].sha256

    if not isinstance(export, list):
        raise InvalidInput([Problem(label, "", "", show(export), "a JSON list of tasks (Label Studio's JSON export)")])
    foreign = [t for t in export if not ours(t)]
    if foreign:
        first = foreign[0] if isinstance(foreign[0], dict) else {}
        raw_data = first.get("data")
        data = raw_data if isinstance(raw_data, dict) else {}
        raise InvalidInput([Problem(label, "", "", f"{len(foreign)} of {len(export)} tasks are no newsclaims task of these seeds "
                                    f"(task {first.get('id')}: doc_id {show(data.get('doc_id'))})",
                                    "an export of a project that newsclaims ls push made from these seeds (see --title, --seeds)")])


def status(export: list, corpus: Corpus, passes_dir: Path | None = None, label: str = "the export") -> str:
    """What a lead must know of a project: per annotator which documents are done (submitted), skipped
    (cancelled) and open; then each document one annotator submitted twice (the import refuses it),
    each draft never submitted, and each document a pass in ``passes_dir`` holds from a task the
    project no longer has. An export that is not of a newsclaims project of these seeds is refused
    (``check_export``)."""
    check_export(export, corpus, label)
    tasks = export
    tasks_by_doc: dict[str, list] = {}
    per: dict[str, dict[str, set]] = {}
    submitted: dict[tuple[str, str], list[str]] = {}
    drafts = []
    for task in tasks:
        doc_id = task["data"]["doc_id"]
        tasks_by_doc.setdefault(doc_id, []).append(task.get("id"))
        for annotation in task.get("annotations") or []:
            who = author(annotation)
            state = per.setdefault(who, {"done": set(), "skipped": set()})
            state["skipped" if annotation.get("was_cancelled") else "done"].add(doc_id)
            if not annotation.get("was_cancelled"):
                submitted.setdefault((who, doc_id), []).append(f"{annotation.get('id')} in task {task.get('id')}")
        for draft in task.get("drafts") or []:
            if isinstance(draft, dict):
                of = "a new annotation, never submitted" if draft.get("annotation") is None else \
                    f"changes to annotation {draft['annotation']} not submitted"
                drafts.append(f"draft {draft.get('id')} by {draft.get('user')} on task {task.get('id')} {doc_id}: {of}")
    docs = sorted(tasks_by_doc, key=lambda d: (corpus.documents[d].fold, d))
    lines = [f"{len(tasks)} tasks"]
    if not per:
        lines.append("no annotations yet: every document is open")
    for who in sorted(per):
        done, skipped = per[who]["done"], per[who]["skipped"] - per[who]["done"]
        open_ = [d for d in docs if d not in done and d not in skipped]

        def named(items) -> str:
            items = [d for d in docs if d in items]
            return f" ({', '.join(f'task {tasks_by_doc[d][0]} {d}' for d in items)})" if items else ""

        lines.append(f"{who}: {len(done)} done{named(done)}, {len(skipped)} skipped{named(skipped)}, {len(open_)} open{named(open_)}")
    for (who, doc_id), which in sorted(submitted.items()):
        if len(which) > 1:
            lines.append(f"{who}: {doc_id} has {len(which)} submitted annotations ({', '.join(which)}): ls import refuses "
                         "it until one is deleted in Label Studio")
    lines += drafts
    lines += vanished_task_notes(export_project(export), tasks_held(export), passes_dir)
    return "\n".join(lines)
