"""Label Studio for a real annotation project: an import never loses or silently replaces newer work
(provenance per document), annotators work independently on N-fold overlapping tasks, the project is
set up for a first-timer, and ``ls status`` says what a lead must know. Server tests start their own
label-studio 1.23.2 (tests/ls_server.py); the rest read exports made here."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from conftest import MINI, REPO, read_tree
from ls_server import running_server
from newsclaims import labelstudio as ls
from newsclaims.corpus import load_annotation_set, load_corpus
from newsclaims.pass_provenance import PROVENANCE_FILE

SEEDS, ANNOTATIONS = MINI / "seeds", MINI / "annotations"
EMAIL = "ann@example.org"
PASS = "ann_example.org"


@pytest.fixture(scope="module")
def mini():
    corpus = load_corpus(SEEDS)
    return corpus, load_annotation_set(ANNOTATIONS, corpus)


def _task(mini, doc_id="mini_a", task_id=12, project=3, annotation_id=31, updated_at="2026-01-02T10:00:00.000000Z",
          email=EMAIL, edit=None):
    corpus, gold = mini
    (task,) = [t for t in ls.tasks(corpus, gold.documents, "gold", ls.Registry.of(gold)) if t["data"]["doc_id"] == doc_id]
    result = json.loads(json.dumps(task["predictions"][0]["result"]))
    if edit:
        edit(result)
    return {**task, "id": task_id, "project": project,
            "annotations": [{"id": annotation_id, "completed_by": {"id": 7, "email": email}, "result": result,
                             "updated_at": updated_at, "project": project}]}


def _write(tmp_path, tasks, name="export.json"):
    path = tmp_path / name
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


def _import(cli, path, passes, *more):
    return cli("ls", "import", path, "--seeds", SEEDS, "--annotations", ANNOTATIONS, "--passes", passes, *more)


def _quote_type(value):
    def edit(result):
        next(r for r in result if r["id"] == "quote-q1" and r["from_name"] == "quote_type")["value"]["choices"] = [value]
    return edit


def _pass_doc(tmp_path, mini, doc_id="mini_a"):
    return load_annotation_set(tmp_path / "passes" / PASS, mini[0], require_complete=False).documents[doc_id]


# --- 1, 2: never lose or silently replace work ------------------------------------------------

def test_the_pass_keeps_where_each_document_came_from(cli, tmp_path, mini):
    assert _import(cli, _write(tmp_path, [_task(mini)]), tmp_path / "passes").code == 0
    provenance = json.loads((tmp_path / "passes" / PASS / PROVENANCE_FILE).read_text("utf-8"))
    assert provenance["label_studio"]["mini_a"] == {"server": None, "project": 3, "title": None, "task": 12, "annotation": 31,
                                                    "annotator": EMAIL, "updated_at": "2026-01-02T10:00:00.000000Z"}


def test_a_stale_export_is_refused_naming_what_would_be_lost(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    stale = _write(tmp_path, [_task(mini)], "first.json")
    newer = _write(tmp_path, [_task(mini, updated_at="2026-01-02T11:00:00Z", edit=_quote_type("indirect"))], "second.json")
    assert _import(cli, stale, passes).code == 0
    assert _import(cli, newer, passes).code == 0
    before = read_tree(passes)
    for more in ((), ("--dry-run",)):
        again = _import(cli, stale, passes, *more)
        assert again.code == 2 and len(again.err_lines) == 1, again.err
        assert again.err_lines[0] == (
            f"{passes / PASS}/gold/mini_a.json: found annotation 31 by {EMAIL} (task 12 of project 3, updated 2026-01-02T11:00:00Z), "
            "newer than this export's annotation 31 (updated 2026-01-02T10:00:00.000000Z): importing would lose 1 difference "
            "(quotes type); expected a newer annotation of the same project (pull a fresh export), or --replace to replace the document")
    assert read_tree(passes) == before
    assert _pass_doc(tmp_path, mini)["quotes"][0]["type"] == "indirect"
    replaced = _import(cli, stale, passes, "--replace")
    assert replaced.code == 0, replaced.err
    assert _pass_doc(tmp_path, mini)["quotes"][0]["type"] == "direct"


def test_the_same_annotation_again_or_a_newer_one_is_imported(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    export = _write(tmp_path, [_task(mini)])
    assert _import(cli, export, passes).code == 0
    assert _import(cli, export, passes).code == 0  # nothing changes: no refusal
    newer = _write(tmp_path, [_task(mini, updated_at="2026-01-03T00:00:00Z", edit=_quote_type("indirect"))], "newer.json")
    assert _import(cli, newer, passes).code == 0
    assert _pass_doc(tmp_path, mini)["quotes"][0]["type"] == "indirect"


def test_an_export_of_another_project_is_refused_and_leaves_no_dangling_group(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    assert _import(cli, _write(tmp_path, [_task(mini)]), passes).code == 0

    def new_group(result):
        item = next(r for r in result if r["id"] == "quote-q1" and r["from_name"] == "quote_group")
        item["value"]["taxonomy"] = [["+new"]]
        result.append({"id": "quote-q1", "from_name": "new_group", "to_name": "text", "type": "textarea",
                       "value": {"start": item["value"]["start"], "end": item["value"]["end"], "text": ["other_group | other"]}})

    foreign = _write(tmp_path, [_task(mini, project=9, task_id=40, annotation_id=77, edit=new_group)], "foreign.json")
    refused = _import(cli, foreign, passes)
    assert refused.code == 2 and len(refused.err_lines) == 1, refused.err
    assert ("found annotation 31 by ann@example.org (task 12 of project 3, updated 2026-01-02T10:00:00.000000Z), and this "
            "export is of project 9: importing would lose 1 difference (quotes quote_group)") in refused.err
    assert _import(cli, foreign, passes, "--replace").code == 0
    assert "other_group" in json.loads((passes / PASS / "quote_groups.json").read_text())["quote_groups"][0]["id"]
    assert _import(cli, _write(tmp_path, [_task(mini)], "back.json"), passes, "--replace").code == 0  # restored
    groups = [g["id"] for g in json.loads((passes / PASS / "quote_groups.json").read_text())["quote_groups"]]
    assert groups == ["very_dangerous"]  # the foreign group went with the document that used it


def test_a_document_that_did_not_come_from_label_studio_is_not_replaced_silently(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    shutil.copytree(ANNOTATIONS, passes / PASS)  # a pass made by hand
    refused = _import(cli, _write(tmp_path, [_task(mini, edit=_quote_type("indirect"))]), passes)
    assert refused.code == 2 and f"found a document that did not come from Label Studio (no entry in {PROVENANCE_FILE})" in refused.err


def test_the_dry_run_shows_the_differences_from_the_pass_and_from_the_gold_separately(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    assert _import(cli, _write(tmp_path, [_task(mini, edit=_quote_type("indirect"))]), passes).code == 0
    newer = _write(tmp_path, [_task(mini, updated_at="2026-02-01T00:00:00Z", edit=_quote_type("direct")),
                              _task(mini, "mini_b", task_id=13, annotation_id=32)], "newer.json")
    dry = _import(cli, newer, passes, "--dry-run")
    assert dry.code == 0, dry.err
    lines = dry.out.splitlines()
    assert lines[0] == f"{PASS}: against the pass {passes / PASS}: 1 new, 1 changed, 0 unchanged documents, 1 differences"
    assert lines[1].startswith("  mini_a quotes type: pass ") and "→ \"indirect\" | import" in lines[1]
    assert f"{PASS}: 2 documents, 0 differences from the gold, 0 group changes" in lines


# --- 3: a region across a line break ------------------------------------------------------------

def test_a_region_across_a_line_break_is_read_from_the_offsets_with_one_note(cli, tmp_path):
    corpus = load_corpus(REPO / "seeds")
    gold = load_annotation_set(REPO / "annotations", corpus)
    doc_id, doc = next((d, doc) for d, doc in corpus.documents.items() if "\n" in doc.text)
    at = doc.text.index("\n")
    start, end = doc.text.rindex(" ", 0, at) + 1, doc.text.index(" ", at + 1)
    (task,) = [t for t in ls.tasks(corpus, None, "none", ls.Registry.of(gold)) if t["data"]["doc_id"] == doc_id]
    region = {"id": "x1", "from_name": "time", "to_name": "text", "type": "labels",
              "value": {"start": start, "end": end, "text": doc.text[start:end].replace("\n", "\\n"), "labels": ["DATE"]}}
    export = _write(tmp_path, [{**task, "id": 5, "annotations": [{"id": 9, "completed_by": {"id": 1, "email": EMAIL},
                                                                   "result": [region]}]}])
    result = cli("ls", "import", export, "--passes", tmp_path / "passes")
    assert result.code == 0, result.err
    assert result.err_lines == [f"{export}: task 5 ({doc_id}): annotation 9 by {EMAIL}: region x1 crosses a line break, which "
                                "Label Studio stores as \\n in the region's text; the text was read from the seed at its offsets"]
    (mention,) = load_annotation_set(tmp_path / "passes" / PASS, corpus, require_complete=False).documents[doc_id]["entities"]
    assert mention["text"] == doc.text[start:end]
    region["value"]["text"] = "something else"
    wrong = cli("ls", "import", _write(tmp_path, [{**task, "id": 5, "annotations": [
        {"id": 9, "completed_by": {"id": 1, "email": EMAIL}, "result": [region]}]}], "wrong.json"), "--passes", tmp_path / "other")
    assert wrong.code == 2 and "value.text: found \"something else\"" in wrong.err


# --- 4: a task deleted in Label Studio ---------------------------------------------------------

def test_a_document_whose_task_was_deleted_is_named_by_import_and_status(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    assert _import(cli, _write(tmp_path, [_task(mini), _task(mini, "mini_b", task_id=13, annotation_id=32)]), passes).code == 0
    recreated = {**_task(mini, "mini_b", task_id=20), "annotations": []}  # task 13 deleted; push made task 20, open
    later = _write(tmp_path, [_task(mini), recreated], "later.json")
    result = _import(cli, later, passes)
    assert result.code == 0, result.err
    note = (f"{passes / PASS}: mini_b came from annotation 32 by {EMAIL} (task 13 of project 3, updated 2026-01-02T10:00:00.000000Z), "
            "a task this export does not have (deleted in Label Studio?); mini_b is task 20 now: the pass keeps the document as it was")
    assert note in result.err_lines
    status = cli("ls", "status", later, "--seeds", SEEDS, "--passes", passes)
    assert status.code == 0 and note in status.out, status.out


# --- 6, issue 25: refusals name the annotator; one document twice; a name too long --------------

def test_a_refusal_names_the_annotation_and_its_annotator(cli, tmp_path, mini):
    def bad(result):
        next(r for r in result if r["id"] == "quote-q1" and r["from_name"] == "speaker_id")["value"]["taxonomy"] = [["joe_bidn"]]

    two = _task(mini, edit=bad)
    two["annotations"].append({**_task(mini)["annotations"][0], "id": 33, "completed_by": {"id": 8, "email": "two@example.org"}})
    result = _import(cli, _write(tmp_path, [two]), tmp_path / "passes")
    assert result.code == 2 and len(result.err_lines) == 1
    assert result.err_lines[0].startswith(f"{tmp_path / 'export.json'}, annotation 31 by {EMAIL}: task 12 (mini_a), region quote-q1: "
                                          'speaker_id: found "joe_bidn"')


def test_one_document_in_two_tasks_by_one_annotator_is_refused(cli, tmp_path, mini):
    empty = _task(mini, task_id=14, annotation_id=35, edit=lambda result: result.clear())
    result = _import(cli, _write(tmp_path, [_task(mini), empty]), tmp_path / "passes")
    assert result.code == 2 and result.err_lines == [
        f"{tmp_path / 'export.json'}: task 14 (mini_a): annotations: found annotation 35 by {EMAIL}, who also annotated mini_a in "
        "task 12 (annotation 31): this document is in the export twice; expected one task per document (delete the duplicate "
        "task in Label Studio, then pull again)"]
    assert not (tmp_path / "passes").exists()


def test_an_annotator_name_longer_than_a_folder_name_may_be_is_one_line(cli, tmp_path, mini):
    email = "a" * 300 + "@example.org"
    result = _import(cli, _write(tmp_path, [_task(mini, email=email)]), tmp_path / "passes")
    assert result.code == 2 and len(result.err_lines) == 1 and "Traceback" not in result.err
    assert "more than the 239 a pass folder's name may have" in result.err


def test_passes_pointing_at_a_file_is_one_line(cli, tmp_path, mini):
    target = tmp_path / "passes"
    target.write_text("a file")
    result = _import(cli, _write(tmp_path, [_task(mini)]), target)
    assert result.code == 2 and len(result.err_lines) == 1 and "Traceback" not in result.err, result.err


# --- a real server: 1, 2, 5, 12 -------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("label-studio-project")) as found:
        yield found


def _client(server):
    from label_studio_sdk import LabelStudio

    url, token = server
    return LabelStudio(base_url=url, api_key=token)


def _push(cli, server, title, *more):
    url, _ = server
    return cli("ls", "push", "--url", url, "--title", title, "--seeds", SEEDS, "--annotations", ANNOTATIONS, *more)


@pytest.mark.slow
def test_push_sets_up_independent_double_annotation_with_the_instructions(cli, server, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", server[1])
    pushed = _push(cli, server, "double", "--source", "model:rules")
    assert pushed.code == 0, pushed.err
    assert "2 new tasks (pre-annotations: rules), 2 annotators per task, each on their own" in pushed.out
    project = next(p for p in _client(server).projects.list() if p.title == "double")
    assert (project.maximum_annotations, project.overlap_cohort_percentage, project.show_collab_predictions,
            project.model_version, project.reveal_preannotations_interactively, project.show_annotation_history,
            project.show_skip_button, project.show_instruction) == (2, 100, True, "rules", False, False, True, True)
    assert "<h3>1. Entities</h3>" in project.expert_instruction and "5. Process" not in project.expert_instruction
    assert "annotations/" not in project.label_config  # no message points to a repository path
    three = _push(cli, server, "double", "--source", "model:rules", "--overlap", "3")
    assert three.code == 0 and "3 annotators per task" in three.out
    assert next(p for p in _client(server).projects.list() if p.title == "double").maximum_annotations == 3


@pytest.mark.slow
def test_stale_and_foreign_exports_from_a_real_server_are_refused(cli, server, tmp_path, monkeypatch, mini):
    """ann edits task mini_a after a first export; the older export is refused; so is another project's."""
    url, token = server
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    corpus, gold = mini
    client = _client(server)
    passes = tmp_path / "passes"
    counts = {}
    for title in ("first", "other"):
        assert _push(cli, server, title, "--source", "gold").code == 0
    projects = {p.title: p for p in client.projects.list()}
    result = ls.document_result(gold.documents["mini_a"], ls.Registry.of(gold))
    tasks = {title: next(t for t in client.tasks.list(project=projects[title].id) if t.data["doc_id"] == "mini_a")
             for title in ("first", "other")}
    annotation = client.annotations.create(id=tasks["first"].id, result=result)
    client.annotations.create(id=tasks["other"].id, result=result)

    def pull(title, name):
        path = tmp_path / name
        assert cli("ls", "pull", "--url", url, "--title", title, "--seeds", SEEDS, "--out", path).code == 0
        return path

    old = pull("first", "old.json")
    edited = json.loads(json.dumps(result))
    next(r for r in edited if r.get("from_name") == "quote_type")["value"]["choices"] = ["indirect"]
    client.annotations.update(id=annotation.id, result=edited)
    new = pull("first", "new.json")
    assert _import(cli, new, passes).code == 0
    provenance = json.loads((passes / "tester_example.org" / PROVENANCE_FILE).read_text())["label_studio"]["mini_a"]
    assert (provenance["server"], provenance["project"], provenance["title"], provenance["annotation"]) == \
        (url, projects["first"].id, "first", annotation.id)
    before = read_tree(passes)
    stale = _import(cli, old, passes)
    counts["stale"] = (stale.code, len(stale.err_lines))
    assert stale.code == 2 and "newer than this export's annotation" in stale.err and "would lose 1 difference (quotes type)" in stale.err
    foreign = _import(cli, pull("other", "other.json"), passes)
    counts["foreign"] = (foreign.code, len(foreign.err_lines))
    assert foreign.code == 2 and f"and this export is of project {projects['other'].id} ('other') on {url}" in foreign.err
    assert read_tree(passes) == before
    assert load_annotation_set(passes / "tester_example.org", corpus, require_complete=False).documents["mini_a"]["quotes"][0]["type"] \
        == "indirect"
    print("stale/foreign import results:", counts)


# --- 7, 8: agree, validate and stats on partial passes; who made them --------------------------------

def test_agree_validate_and_stats_work_on_imported_passes_and_say_who_made_them(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    one = _task(mini)
    one["annotations"].append({**_task(mini, edit=_quote_type("indirect"))["annotations"][0], "id": 32,
                               "completed_by": {"id": 8, "email": "two@example.org"}, "updated_at": "2026-01-04T09:00:00Z"})
    assert _import(cli, _write(tmp_path, [one]), passes).code == 0
    a, b = passes / PASS, passes / "two_example.org"
    agreed = cli("agree", a, b, "--seeds", SEEDS)
    assert agreed.code == 0, agreed.err
    assert "Agreement over the 1 documents both passes hold (pass a holds 1, pass b 1)." in agreed.out
    assert (f"Pass a (ann_example.org): made by 1 documents annotated in Label Studio by {EMAIL} (project 3, annotations "
            "last changed 2026-01-02).") in agreed.out
    assert "Pass b (two_example.org): made by 1 documents annotated in Label Studio by two@example.org" in agreed.out
    assert "AI model" not in agreed.out
    validated = cli("validate", a, "--seeds", SEEDS)
    assert validated.code == 0 and validated.out.strip().endswith("(holds 1 of 2 seed documents)"), validated.out + validated.err
    stats = cli("stats", "--annotations", a, "--seeds", SEEDS)
    assert stats.code == 0 and "holds 1 of 2 seed documents" in stats.out and "mini_a" in stats.out, stats.err


def test_agree_refuses_two_passes_with_no_document_in_common_in_one_line(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    assert _import(cli, _write(tmp_path, [_task(mini)]), passes).code == 0
    assert _import(cli, _write(tmp_path, [_task(mini, "mini_b", email="two@example.org")], "b.json"), passes).code == 0
    result = cli("agree", passes / PASS, passes / "two_example.org", "--seeds", SEEDS)
    assert result.code == 2 and len(result.err_lines) == 1 and "no document that" in result.err, result.err


# --- 14: status says what a lead must know -----------------------------------------------------------

def test_status_flags_duplicates_and_unsubmitted_drafts(cli, tmp_path, mini):
    twice = _task(mini)
    twice["annotations"].append({**twice["annotations"][0], "id": 40})
    draft = {**_task(mini, "mini_b", task_id=13), "annotations": [],
             "drafts": [{"id": 5, "user": "two@example.org", "annotation": None, "result": []}]}
    result = cli("ls", "status", _write(tmp_path, [twice, draft]), "--seeds", SEEDS, "--passes", tmp_path / "none")
    assert result.code == 0, result.err
    assert f"{EMAIL}: mini_a has 2 submitted annotations (31 in task 12, 40 in task 12): ls import refuses it until one is " \
           "deleted in Label Studio" in result.out
    assert "draft 5 by two@example.org on task 13 mini_b: a new annotation, never submitted" in result.out


def test_status_refuses_an_export_that_is_not_of_a_newsclaims_project(cli, tmp_path):
    foreign = [{"id": 6, "data": {"text": "an unrelated task"}, "annotations": [{"id": 1, "completed_by": 1, "result": []}]}]
    path = _write(tmp_path, foreign)
    result = cli("ls", "status", path, "--seeds", SEEDS)
    assert result.code == 2 and result.err_lines == [
        f"{path}: found 1 of 1 tasks are no newsclaims task of these seeds (task 6: doc_id null); expected an export of a project "
        "that newsclaims ls push made from these seeds (see --title, --seeds)"]


# --- issue 20: per-action options and help; the optional SDK ------------------------------------------

@pytest.mark.parametrize("argv,refused", [
    (("config", "--dry-run", "--title", "x", "--passes", "y"), "newsclaims ls config: unrecognized arguments: --dry-run --title x --passes y"),
    (("pull", "--source", "none"), "newsclaims ls pull: unrecognized arguments: --source none"),
    (("import", "export.json", "--url", "http://127.0.0.1:9"), "newsclaims ls import: unrecognized arguments: --url http://127.0.0.1:9"),
])
def test_an_option_another_action_takes_is_refused_in_one_line(capsys, argv, refused):
    from newsclaims.cli import main

    with pytest.raises(SystemExit) as stop:  # a usage error, raised by argparse
        main(["ls", *argv])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines() == [f"{refused} (see {refused.split(':')[0]} --help)"]


def test_every_ls_action_has_a_help_line(capsys):
    from newsclaims.cli import main

    with pytest.raises(SystemExit):
        main(["ls", "--help"])
    shown = capsys.readouterr().out
    for name in ("config", "export", "push", "pull", "status", "import"):
        line = next(line for line in shown.splitlines() if line.strip().startswith(name + " "))
        assert len(line.split(None, 1)[1]) > 20, line


@pytest.mark.parametrize("action", ["push", "pull", "status"])
def test_server_actions_without_the_sdk_name_the_extra_in_one_line(cli, monkeypatch, action):
    import sys

    monkeypatch.setitem(sys.modules, "label_studio_sdk", None)  # as if not installed: importing it raises ModuleNotFoundError
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "any-token")
    more = ("--annotations", ANNOTATIONS, "--source", "none") if action == "push" else ()
    result = cli("ls", action, "--url", "http://127.0.0.1:9", "--seeds", SEEDS, *more)
    assert result.code == 2 and result.err_lines == [
        "newsclaims ls: found no module 'label_studio_sdk'; expected the labelstudio extra installed: pip install 'newsclaims[labelstudio]'"]


# --- 9, 10, 12, 13: a UI a first-timer can finish -----------------------------------------------------

def test_rules_pre_annotations_fill_what_the_registries_can_and_say_what_is_left(cli, tmp_path):
    from newsclaims.labelstudio.tasks import empty_required

    out = tmp_path / "tasks.json"
    assert cli("ls", "export", "--source", "model:rules", "--out", out).code == 0
    left = {}
    for task in json.loads(out.read_text("utf-8")):
        empty = empty_required(task["predictions"][0]["result"])
        left[task["data"]["doc_id"]] = len(empty)
        fields = {name for _, name in empty}
        assert "quote_group" not in fields  # "- none" where nothing fits
        assert task["data"]["todo"].startswith(f"To fill before Submit: {len(empty)} required field")
    # 49, 69, 68, 56 and 89 empty required fields before pre-annotations were completed from the registries
    assert left == {"000_956b89daf0f4f269": 8, "001_67ea46896210dce6": 24, "002_eebf9108032eaeec": 20,
                    "003_8d866300cc861dbc": 20, "004_d0ac60c4e534b1bf": 25}, left


def test_gold_pre_annotations_leave_nothing_to_fill(mini):
    from newsclaims.labelstudio.tasks import empty_required

    corpus, gold = mini
    for task in ls.tasks(corpus, gold.documents, "gold", ls.Registry.of(gold)):
        assert not empty_required(task["predictions"][0]["result"]) and task["data"]["todo"] == ""


def test_every_pick_list_shows_aliases_and_descriptions_for_the_search():
    from newsclaims.labelstudio.config import choice_lists

    corpus = load_corpus(REPO / "seeds")
    lists = choice_lists(ls.Registry.of(load_annotation_set(REPO / "annotations", corpus)))
    shown = {entry["alias"]: entry["value"] for entry in lists["kb_choices"]}
    for query, entity in (("pentagon", "us_department_of_defense"), ("nsc", "us_national_security_council"), ("dprk", "north_korea")):
        assert query in shown[entity].casefold(), shown[entity]
    groups = {entry["alias"]: entry["value"] for entry in lists["quote_group_choices"] + lists["claim_group_choices"]}
    assert groups["very_dangerous"] == "very_dangerous · Biden: the North Korean deployment is 'very dangerous'"
    config = ls.label_config()
    for name in ("entity_id", "speaker_id", "source_id", "quote_group", "claim_group"):
        assert f'<Taxonomy name="{name}"' in config  # every list is searchable


def test_every_label_has_its_own_hotkey_and_a_hint_and_no_message_names_a_repository_path():
    from label_studio_sdk.label_interface import LabelInterface

    interface = LabelInterface(ls.label_config())
    labels = [label for name in ("entity", "time", "span") for label in interface.get_control(name).labels]
    config = ls.label_config()
    hotkeys = re.findall(r'<Label value="[^"]+" hotkey="([^"]+)" hint="[^"]+"/>', config)
    assert len(hotkeys) == len(labels) == len(set(hotkeys)) and "u" not in hotkeys  # u: Label Studio's "unselect"
    assert "annotations/" not in config and "GUIDELINES.md" not in config
    html = ls.instructions_html((REPO / "annotations" / "GUIDELINES.md").read_text("utf-8"))
    assert "<h3>6. What a pass must have (Label Studio)</h3>" in html and "5. Process" not in html and "<table>" in html
