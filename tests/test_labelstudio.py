"""Label Studio: the config, the pure round trip, bad exports, and the round trip through a real
server that this test starts and stops itself (label-studio 1.23.2 with label-studio-sdk 2.1.2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import MINI, REPO, read_tree
from ls_server import running_server
from newsclaims import labelstudio as ls
from newsclaims.corpus import load_annotation_set, load_corpus
from newsclaims.labels import ENTITY_LABELS, LAYERS


def _by_id(doc: dict) -> dict:
    return {layer: sorted(doc[layer], key=lambda r: r["id"]) for layer in LAYERS}


def _export_from_tasks(task_list: list[dict], annotator: str = "ann@example.org") -> list[dict]:
    """What Label Studio exports after an annotator accepts every pre-annotation."""
    return [{**t, "id": i + 1, "annotations": [{"id": 100 + i, "completed_by": {"id": 7, "email": annotator},
                                                 "result": t["predictions"][0]["result"]}]} for i, t in enumerate(task_list)]


def test_config_file_is_generated_from_the_schema_labels_and_valid():
    from label_studio_sdk.label_interface import LabelInterface

    config = (REPO / "annotations" / "label_studio" / "config.xml").read_text("utf-8")
    assert config == ls.label_config(), "run: newsclaims ls config --out annotations/label_studio/config.xml"
    interface = LabelInterface(config)
    entity = interface.get_control("entity")
    assert list(entity.labels) + list(interface.get_control("time").labels) == [
        label for label in ENTITY_LABELS if label not in ("DATE", "TIME")] + ["DATE", "TIME"]
    assert {c.name for c in interface.controls} >= {"entity", "time", "span", "entity_id", "quote_type", "speaker_id", "quote_group",
                                                    "value", "unit", "approx", "source_id", "claim_group", "new_entity",
                                                    "new_speaker", "new_group"}
    assert 'granularity="symbol"' in config


@pytest.mark.parametrize("root", [REPO / "annotations", MINI / "annotations"], ids=["gold", "mini"])
def test_pure_round_trip_gives_back_the_gold_exactly(root, tmp_path):
    seeds = root.parent / "seeds"
    corpus = load_corpus(seeds)
    gold = load_annotation_set(root, corpus)
    task_list = ls.tasks(corpus, gold.documents, "gold", ls.Registry.of(gold))
    assert all(t["data"]["text"] == corpus.documents[t["data"]["doc_id"]].text for t in task_list)
    for t in task_list:  # one region per span and control: a speaker on a mention is a relation to the mention
        spans = [(r["from_name"], r["value"]["start"], r["value"]["end"]) for r in t["predictions"][0]["result"] if r["type"] == "labels"]
        assert len(spans) == len(set(spans))
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_export_from_tasks(task_list), ensure_ascii=False), encoding="utf-8")
    plan = ls.read_export(export, corpus, gold, tmp_path / "passes")
    (written,) = ls.write_sets(plan, tmp_path / "passes", corpus, gold)
    imported = load_annotation_set(written, corpus)
    assert set(imported.documents) == set(gold.documents)
    for doc_id, doc in gold.documents.items():
        assert _by_id(imported.documents[doc_id]) == _by_id(doc), doc_id
    assert imported.kb == gold.kb and imported.claim_groups == gold.claim_groups and imported.quote_groups == gold.quote_groups


def _mini_export(tmp_path, edit) -> Path:
    corpus = load_corpus(MINI / "seeds")
    gold = load_annotation_set(MINI / "annotations", corpus)
    export = _export_from_tasks(ls.tasks(corpus, gold.documents, "gold", ls.Registry.of(gold)))
    edit(export)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    return path


def _region(export, region_id):
    return next(r for r in export[0]["annotations"][0]["result"] if r.get("id") == region_id and r["type"] == "labels")


BAD_EXPORTS = [
    ("unknown_label", lambda e: _region(e, "ent-e1")["value"].update(labels=["CITY"]),
     "task 1 (mini_a), region ent-e1: value.labels: found [\"CITY\"]; expected one of PERSON"),
    ("end_past_the_text", lambda e: _region(e, "ent-e1")["value"].update(end=999),
     "task 1 (mini_a), region ent-e1: value.end: found [0:999]; expected 0 <= start < end <= 118"),
    ("text_mismatch", lambda e: _region(e, "ent-e1")["value"].update(text="Washingtom"),
     'task 1 (mini_a), region ent-e1: value.text: found "Washingtom"; expected "Washington", the text at [0:10]'),
    ("relation_to_a_missing_region", lambda e: e[0]["annotations"][0]["result"].append(
        {"type": "relation", "from_id": "quote-q1", "to_id": "nowhere", "labels": ["speaker"]}),
     "task 1 (mini_a), relation quote-q1 -> nowhere: to_id: found \"nowhere\"; expected the id of a region in the same annotation"),
    ("wrong_relation", lambda e: e[0]["annotations"][0]["result"].append(
        {"type": "relation", "from_id": "quote-q1", "to_id": "num-n1", "labels": ["speaker"]}),
     "relation quote-q1 -> num-n1: labels: found speaker from QUOTE to NUMBER; expected speaker from QUOTE to SPEAKER"),
    ("missing_quote_type", lambda e: e[0]["annotations"][0]["result"].__setitem__(
        slice(None), [r for r in e[0]["annotations"][0]["result"] if r.get("from_name") != "quote_type"]),
     "task 1 (mini_a), region quote-q1: quote_type: found nothing; expected an answer"),
    ("older_task_set", lambda e: e[0]["data"].update(text=e[0]["data"]["text"] + " "),
     "task 1 (mini_a): data.text: found a text with sha256"),
    ("unknown_entity_id", lambda e: next(r for r in e[0]["annotations"][0]["result"]
                                         if r.get("from_name") == "entity_id")["value"].update(taxonomy=[["washington_d"]]),
     'task 1 (mini_a), region ent-e1: entity_id: found "washington_d"; expected an id from the knowledge base '
     "(closest: washington_dc)"),
]


@pytest.mark.parametrize("case,edit,message", BAD_EXPORTS, ids=[c[0] for c in BAD_EXPORTS])
def test_bad_exports_are_refused_and_nothing_is_written(cli, tmp_path, case, edit, message):
    passes = tmp_path / "passes"
    shutil.copytree(MINI / "annotations", passes / "ann_example.org")  # an earlier pass of this annotator
    before = read_tree(passes)
    path = _mini_export(tmp_path, edit)
    result = cli("ls", "import", path, "--seeds", MINI / "seeds", "--annotations", MINI / "annotations", "--passes", passes)
    assert result.code == 2, result.out
    assert message in result.err, result.err
    assert "Traceback" not in result.err
    assert read_tree(passes) == before


def test_dry_run_prints_the_differences_and_writes_nothing(cli, tmp_path):
    def edit(export):
        _region(export, "ent-e2")["value"].update(start=16, text="Biden")

    path = _mini_export(tmp_path, edit)
    result = cli("ls", "import", path, "--seeds", MINI / "seeds", "--annotations", MINI / "annotations",
                 "--passes", tmp_path / "passes", "--dry-run")
    assert result.code == 0, result.err
    assert "ann_example.org: 2 documents, 2 differences from the gold, 0 group changes" in result.out
    assert "mini_a entities boundary" in result.out
    assert not (tmp_path / "passes").exists()


def test_export_tasks_with_baseline_pre_annotations(cli, tmp_path):
    out = tmp_path / "tasks.json"
    assert cli("ls", "export", "--source", "model:rules", "--out", out).code == 0
    task_list = json.loads(out.read_text("utf-8"))
    assert len(task_list) == 5 and task_list[0]["predictions"][0]["model_version"] == "rules"
    assert all(r["value"]["text"] == t["data"]["text"][r["value"]["start"]:r["value"]["end"]]
               for t in task_list for r in t["predictions"][0]["result"] if r["type"] == "labels")


def test_push_needs_a_token(cli, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    result = cli("ls", "push", "--url", "http://127.0.0.1:9")
    assert result.code == 2 and "LABEL_STUDIO_API_KEY: found an unset variable" in result.err


# --- a real server --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("label-studio")) as found:
        yield found


@pytest.mark.slow
@pytest.mark.parametrize("root", [MINI / "annotations", REPO / "annotations"], ids=["mini-with-emoji", "gold"])
def test_round_trip_through_a_real_server(cli, server, tmp_path, monkeypatch, root):
    from label_studio_sdk import LabelStudio

    url, token = server
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    seeds = root.parent / "seeds"
    title = f"newsclaims-{root.parent.name}"
    pushed = cli("ls", "push", "--url", url, "--title", title, "--seeds", seeds, "--annotations", root, "--source", "gold")
    assert pushed.code == 0, pushed.err
    assert token not in pushed.out + pushed.err
    corpus = load_corpus(seeds)
    gold = load_annotation_set(root, corpus)
    client = LabelStudio(base_url=url, api_key=token)
    project = next(p for p in client.projects.list() if p.title == title)
    for task in client.tasks.list(project=project.id):  # an annotator accepts every pre-annotation
        client.annotations.create(id=task.id, result=ls.document_result(gold.documents[task.data["doc_id"]], ls.Registry.of(gold)))
    export = tmp_path / "export.json"
    pulled = cli("ls", "pull", "--url", url, "--title", title, "--seeds", seeds, "--out", export)
    assert pulled.code == 0, pulled.err
    imported = cli("ls", "import", export, "--seeds", seeds, "--annotations", root, "--passes", tmp_path / "passes")
    assert imported.code == 0, imported.err
    result = load_annotation_set(tmp_path / "passes" / "tester_example.org", corpus)
    for doc_id, doc in gold.documents.items():
        assert _by_id(result.documents[doc_id]) == _by_id(doc), doc_id
    if root == MINI / "annotations":  # a non-BMP character before the spans: offsets are code points on the server too
        quote = next(q for q in result.documents["mini_a"]["quotes"] if "\U0001F1F0" in q["text"])
        assert corpus.documents["mini_a"].text[quote["start"]:quote["end"]] == quote["text"]


@pytest.mark.slow
def test_server_commands_say_what_they_did_in_one_line(cli, server, tmp_path, monkeypatch):
    from label_studio_sdk import LabelStudio

    url, token = server
    seeds, annotations = MINI / "seeds", MINI / "annotations"
    common = ("--url", url, "--seeds", seeds, "--annotations", annotations)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-the-token")
    refused = cli("ls", "push", *common, "--title", "loop")
    assert refused.code == 2 and refused.err_lines == [
        "LABEL_STUDIO_API_KEY: found a token the server refuses (HTTP 401); expected the API token of a Label Studio user "
        "(Account & Settings)"], refused.err
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    first = cli("ls", "push", *common, "--title", "loop", "--source", "model:rules")
    assert first.code == 0 and "created: config set, 2 new tasks (pre-annotations: rules)" in first.out, first.err
    again = cli("ls", "push", *common, "--title", "loop", "--source", "gold")
    assert again.code == 0, again.err
    assert "0 new tasks (pre-annotations: gold), 2 tasks were already there" in again.out
    assert "2 of them keep other pre-annotations (add --update-predictions to replace them by gold)" in again.out
    replaced = cli("ls", "push", *common, "--title", "loop", "--source", "gold", "--update-predictions")
    assert replaced.code == 0 and "pre-annotations of 2 of them replaced by gold" in replaced.out, replaced.out
    client = LabelStudio(base_url=url, api_key=token)
    project = next(p for p in client.projects.list() if p.title == "loop")
    for task in client.tasks.list(project=project.id):
        assert [p.model_version for p in client.predictions.list(task=task.id)] == ["gold"]
    status = cli("ls", "status", "--url", url, "--title", "loop", "--seeds", seeds)
    assert status.code == 0 and "no annotations yet: every document is open" in status.out, status.out

    other = client.projects.create(title="someone else's")
    client.projects.import_tasks(id=other.id, request=[{"data": {"text": "an unrelated task"}}])
    taken = cli("ls", "push", *common, "--title", "someone else's")
    assert taken.code == 2 and len(taken.err_lines) == 1, taken.err
    assert "tasks: found 1 tasks that are not these documents" in taken.err and "give another --title" in taken.err
