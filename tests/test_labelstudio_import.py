"""Label Studio import: nothing lost, nothing invented, every refusal one line naming the task
(its id and doc_id, as the UI shows them), the region and the field; the dry run says the same."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import MINI, read_tree
from newsclaims import labelstudio as ls
from newsclaims.corpus import load_annotation_set, load_corpus
from newsclaims.labelstudio.config import NEW

SEEDS, ANNOTATIONS = MINI / "seeds", MINI / "annotations"


@pytest.fixture
def mini():
    corpus = load_corpus(SEEDS)
    gold = load_annotation_set(ANNOTATIONS, corpus)
    return corpus, gold


def _tasks(mini, source="gold"):
    corpus, gold = mini
    return ls.tasks(corpus, gold.documents if source == "gold" else None, source, ls.Registry.of(gold))


def _annotation(task, annotation_id, email="ann@example.org", **extra):
    return {"id": annotation_id, "completed_by": {"id": 7, "email": email}, "result": task["predictions"][0]["result"], **extra}


def _export(tmp_path, tasks, name="export.json"):
    path = tmp_path / name
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


def _import(cli, path, passes, *more):
    return cli("ls", "import", path, "--seeds", SEEDS, "--annotations", ANNOTATIONS, "--passes", passes, *more)


def _result(task):
    return task["annotations"][0]["result"]


def _item(task, region, control):
    return next(r for r in _result(task) if r.get("id") == region and r.get("from_name") == control)


def _one_task_export(mini, edit=None):
    task = {**_tasks(mini)[0], "id": 12}
    task["annotations"] = [_annotation(task, 31)]
    task["annotations"][0]["result"] = json.loads(json.dumps(task["annotations"][0]["result"]))
    if edit:
        edit(task)
    return [task]


def test_import_merges_into_a_pass_and_keeps_documents_the_export_does_not_hold(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    shutil.copytree(ANNOTATIONS, passes / "ann_example.org")
    before = (passes / "ann_example.org" / "gold" / "mini_b.json").read_bytes()
    result = _import(cli, _export(tmp_path, _one_task_export(mini)), passes)
    assert result.code == 0, result.err
    merged = load_annotation_set(passes / "ann_example.org", mini[0])
    assert set(merged.documents) == {"mini_a", "mini_b"}
    assert (passes / "ann_example.org" / "gold" / "mini_b.json").read_bytes() == before


def test_a_skipped_annotation_is_reported_in_one_line_and_changes_nothing(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    shutil.copytree(ANNOTATIONS, passes / "ann_example.org")
    before = read_tree(passes)
    export = _one_task_export(mini, lambda t: t["annotations"][0].update(was_cancelled=True, result=[]))
    result = _import(cli, _export(tmp_path, export), passes)
    assert result.code == 0, result.err
    assert result.err_lines == ["%s: task 12 (mini_a): annotation 31 by ann@example.org was skipped in Label Studio; nothing "
                                "imported from it (the pass keeps what it had)" % (tmp_path / "export.json")]
    assert read_tree(passes) == before


def test_two_annotations_by_one_user_on_one_task_are_refused_naming_both(cli, tmp_path, mini):
    export = _one_task_export(mini, lambda t: t["annotations"].append(_annotation(t, 32)))
    result = _import(cli, _export(tmp_path, export), tmp_path / "passes")
    assert result.code == 2
    assert "task 12 (mini_a): annotations: found annotations 31 and 32 both by ann@example.org; expected one annotation per " \
           "annotator and task" in result.err
    assert not (tmp_path / "passes").exists()


def test_two_users_whose_names_collide_are_refused(cli, tmp_path, mini):
    export = _one_task_export(mini, lambda t: t["annotations"].append(_annotation(t, 32, email="ann example.org")))
    result = _import(cli, _export(tmp_path, export), tmp_path / "passes")
    assert result.code == 2
    assert "task 12 (mini_a), annotation 32: completed_by: found ann example.org, whose folder name ann_example.org is also " \
           "that of ann@example.org" in result.err


@pytest.mark.parametrize("email", ["gold", "label_studio"])
def test_an_annotator_name_never_maps_onto_gold_or_a_folder_that_is_no_pass(cli, tmp_path, mini, email):
    passes = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS, passes)
    before = read_tree(passes)
    export = _one_task_export(mini, lambda t: t["annotations"][0].update(completed_by={"id": 3, "email": email}))
    result = _import(cli, _export(tmp_path, export), passes)
    assert result.code == 2 and "completed_by" in result.err and "Traceback" not in result.err
    assert read_tree(passes) == before


def test_a_folder_that_is_no_pass_is_never_replaced(cli, tmp_path, mini):
    passes = tmp_path / "passes"
    (passes / "ann_example.org").mkdir(parents=True)
    (passes / "ann_example.org" / "notes.txt").write_text("mine")
    result = _import(cli, _export(tmp_path, _one_task_export(mini)), passes)
    assert result.code == 2 and "which is not an annotation pass" in result.err
    assert (passes / "ann_example.org" / "notes.txt").read_text() == "mine"


def test_a_textarea_given_as_a_string_is_read_whole(cli, tmp_path, mini):
    export = _one_task_export(mini, lambda t: _item(t, "num-n1", "unit")["value"].update(text="troop"))
    passes = tmp_path / "passes"
    assert _import(cli, _export(tmp_path, export), passes).code == 0
    (claim,) = load_annotation_set(passes / "ann_example.org", mini[0], require_complete=False).documents["mini_a"]["numeric_claims"]
    assert claim["unit"] == "troop"


UNKNOWN_IDS = [
    ("speaker_id", "quote-q1", {"taxonomy": [["joe_bidn"]]},
     'task 12 (mini_a), region quote-q1: speaker_id: found "joe_bidn"; expected an id from the knowledge base (closest: joe_biden)'),
    ("quote_group", "quote-q1", {"taxonomy": [["very_dangerus"]]},
     'task 12 (mini_a), region quote-q1: quote_group: found "very_dangerus"; expected an id from quote_groups (closest: very_dangerous)'),
    ("claim_group", "num-n1", {"taxonomy": [["troop_sent"]]},
     'task 12 (mini_a), region num-n1: claim_group: found "troop_sent"; expected an id from claim_groups (closest: troops_sent)'),
    ("source_id", "num-n1", {"taxonomy": [["pentagonn"]]},
     'task 12 (mini_a), region num-n1: source_id: found "pentagonn"; expected an id from the knowledge base (closest: pentagon)'),
]


@pytest.mark.parametrize("control,region,value,message", UNKNOWN_IDS, ids=[c[0] for c in UNKNOWN_IDS])
def test_unknown_ids_are_refused_by_name_with_the_closest_known_ones(cli, tmp_path, mini, control, region, value, message):
    export = _one_task_export(mini, lambda t: _item(t, region, control)["value"].update(value))
    path = _export(tmp_path, export)
    real = _import(cli, path, tmp_path / "passes")
    dry = _import(cli, path, tmp_path / "passes", "--dry-run")
    assert real.code == dry.code == 2
    assert message in real.err and real.err == dry.err  # the dry run runs exactly the import's checks
    assert not (tmp_path / "passes").exists()


def test_a_new_entity_and_a_new_group_are_explicit_and_written_whole(cli, tmp_path, mini):
    def edit(task):
        _item(task, "quote-q1", "speaker_id")["value"].update(taxonomy=[[NEW]])
        _item(task, "quote-q1", "quote_group")["value"].update(taxonomy=[[NEW]])
        base = {k: _item(task, "quote-q1", "speaker_id")["value"][k] for k in ("start", "end")}
        _result(task).append({"id": "quote-q1", "from_name": "new_speaker", "to_name": "text", "type": "textarea",
                              "value": {**base, "text": ["white_house | White House | ORG"]}})
        _result(task).append({"id": "quote-q1", "from_name": "new_group", "to_name": "text", "type": "textarea",
                              "value": {**base, "text": "dangerous_move | Biden: the move is very dangerous"}})

    passes = tmp_path / "passes"
    path = _export(tmp_path, _one_task_export(mini, edit))
    dry = _import(cli, path, passes, "--dry-run")
    assert dry.code == 0, dry.err
    assert "new: entity white_house, quote group dangerous_move" in dry.out
    assert "mini_a quotes quote_group: [41:56] \"very dangerous.\": very_dangerous → dangerous_move" in dry.out
    assert _import(cli, path, passes).code == 0
    ann = load_annotation_set(passes / "ann_example.org", mini[0], require_complete=False)
    assert ann.kb["white_house"] == {"id": "white_house", "name": "White House", "type": "ORG", "aliases": [], "wikidata": None}
    assert ann.quote_groups["dangerous_move"] == {"id": "dangerous_move", "cluster_id": "mini_cluster",
                                                  "description": "Biden: the move is very dangerous"}


def test_a_new_entity_without_a_name_and_type_is_refused(cli, tmp_path, mini):
    export = _one_task_export(mini, lambda t: _item(t, "quote-q1", "speaker_id")["value"].update(taxonomy=[[NEW]]))
    result = _import(cli, _export(tmp_path, export), tmp_path / "passes")
    assert result.code == 2
    assert "task 12 (mini_a), region quote-q1: new_speaker: found null; expected 'id | name | TYPE'" in result.err


def test_a_required_field_left_empty_is_named(cli, tmp_path, mini):
    def edit(task):
        task["annotations"][0]["result"] = [r for r in _result(task) if not (r.get("id") == "num-n1" and r.get("from_name") == "claim_group")]

    result = _import(cli, _export(tmp_path, _one_task_export(mini, edit)), tmp_path / "passes")
    assert result.code == 2
    assert result.err_lines[0].endswith("task 12 (mini_a), region num-n1: claim_group: found nothing; expected an answer "
                                        "(the field is required)")


def test_a_relation_without_a_label_to_an_entity_mention_is_the_speaker(cli, tmp_path, mini):
    def edit(task):
        for r in _result(task):
            if r["type"] == "relation":
                r.pop("labels", None)

    passes = tmp_path / "passes"
    assert _import(cli, _export(tmp_path, _one_task_export(mini, edit)), passes).code == 0
    ann = load_annotation_set(passes / "ann_example.org", mini[0], require_complete=False)
    gold = mini[1].documents["mini_a"]
    assert ann.documents["mini_a"]["quotes"] == gold["quotes"]


def test_a_type_that_contradicts_the_knowledge_base_names_the_region(cli, tmp_path, mini):
    export = _one_task_export(mini, lambda t: _item(t, "ent-e1", "entity")["value"].update(labels=["PERSON"]))
    result = _import(cli, _export(tmp_path, export), tmp_path / "passes")
    assert result.code == 2
    assert 'task 12 (mini_a), region ent-e1: label: found "PERSON"; expected GPE, the type of washington_dc in the knowledge base' \
        in result.err


def _move(task, region, start, end, text):
    for item in _result(task):
        if item.get("id") == region:
            item["value"].update(start=start, end=end, text=text)


def test_what_only_the_gold_validation_refuses_is_told_as_the_task_and_region(cli, tmp_path, mini):
    """The merged pass is validated as the gold is; its problems name the task and region they came from."""
    def edit(task):
        _move(task, "ent-e2", 11, 21, " Joe Biden")  # white space in the span: the gold's rule
        task["annotations"][0]["result"].append({"id": "-Xy z", "from_name": "time", "to_name": "text", "type": "labels",
                                                 "value": {"start": 1, "end": 5, "text": "ashi", "labels": ["DATE"]}})

    path = _export(tmp_path, _one_task_export(mini, edit))
    real, dry = _import(cli, path, tmp_path / "passes"), _import(cli, path, tmp_path / "passes", "--dry-run")
    assert real.code == dry.code == 2 and real.err == dry.err
    assert real.err_lines == [
        "annotator ann_example.org: task 12 (mini_a), region ent-e2: text: found \" Joe Biden\"; "
        "expected a span without leading or trailing white space",
        "annotator ann_example.org: task 12 (mini_a), region quote-q1: speaker.text: found \" Joe Biden\"; "
        "expected a span without leading or trailing white space",
        "annotator ann_example.org: task 12 (mini_a), region -Xy z: start: found 1, inside mention e1 [0:10]; "
        "expected entity mentions that do not overlap",
    ]
    assert not (tmp_path / "passes").exists()


def test_a_problem_of_the_pass_s_registry_names_the_file(cli, tmp_path, mini):
    def edit(task):
        _item(task, "ent-e2", "entity_id")["value"].update(taxonomy=[[NEW]])
        _result(task).append({"id": "ent-e2", "from_name": "new_entity", "to_name": "text", "type": "textarea",
                              "value": {"start": 12, "end": 21, "text": ["author | Joe Biden | PERSON"]}})

    result = _import(cli, _export(tmp_path, _one_task_export(mini, edit)), tmp_path / "passes")
    assert result.code == 2
    assert result.err_lines == ["annotator ann_example.org: the pass's entities.json: entities[0] (id author): id: found \"author\"; "
                                "expected an id other than 'author', which is reserved for the article itself"]


def test_model_pre_annotations_invent_no_ids_and_put_no_second_region_on_a_mention(cli, tmp_path):
    out = tmp_path / "tasks.json"
    assert cli("ls", "export", "--source", "model:rules", "--out", out).code == 0
    task_list = json.loads(out.read_text("utf-8"))
    known = {c["alias"] for lists in ("source_choices", "quote_group_choices", "claim_group_choices")  # every pick list
             for c in task_list[0]["data"][lists]}
    for task in task_list:
        result = task["predictions"][0]["result"]
        for r in result:
            if r["type"] == "taxonomy":
                assert r["value"]["taxonomy"][0][-1] in known, r
        mentions = {(r["value"]["start"], r["value"]["end"]) for r in result if r["type"] == "labels" and r["from_name"] in ("entity", "time")}
        speakers = [(r["value"]["start"], r["value"]["end"]) for r in result if r["type"] == "labels"
                    and r["value"]["labels"][0] in ("SPEAKER", "SOURCE")]
        assert not mentions & set(speakers) and len(speakers) == len(set(speakers))


def test_status_from_an_export_file(cli, tmp_path, mini):
    tasks = _tasks(mini)
    export = [{**tasks[0], "id": 1, "annotations": [_annotation(tasks[0], 5)]},
              {**tasks[1], "id": 2, "annotations": [_annotation(tasks[1], 6, was_cancelled=True)]}]
    result = cli("ls", "status", _export(tmp_path, export), "--seeds", SEEDS)
    assert result.code == 0, result.err
    assert "ann@example.org: 1 done (task 1 mini_a), 1 skipped (task 2 mini_b), 0 open" in result.out


@pytest.mark.parametrize("url,message", [
    ("127.0.0.1:8080", '--url: found "127.0.0.1:8080"; expected an address with its scheme, e.g. http://127.0.0.1:8080'),
    ("http://127.0.0.1:9", "http://127.0.0.1:9: found no answer"),
])
@pytest.mark.slow
@pytest.mark.parametrize("action", ["push", "pull", "status"])
def test_server_commands_fail_in_one_line(cli, monkeypatch, url, message, action):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "any-token")
    only_push = ("--annotations", ANNOTATIONS, "--source", "none") if action == "push" else ()  # options push alone takes
    result = cli("ls", action, "--url", url, "--seeds", SEEDS, *only_push)
    assert result.code == 2
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith(message), result.err


@pytest.mark.parametrize("region_id,record_id", [("-7CVxGN9GA", "r-7CVxGN9GA"), ("_a", "r_a"), ("Ab9-x", "Ab9-x"), ("ent-e3", "e3")])
def test_a_region_drawn_in_the_ui_gets_a_valid_record_id(region_id, record_id):
    """Label Studio's random region ids may start with "-" (seen in the browser test): never refused."""
    import re

    from newsclaims.labelstudio.reader import _record_id
    from newsclaims.schema import load_schema

    assert _record_id(region_id, "ent-") == record_id
    pattern = load_schema("common")["$defs"]["record_id"]["pattern"]
    assert re.fullmatch(pattern.strip("^$"), record_id)
