"""Growing the benchmark end to end (docs/GROWING.md): a benchmark of one's own, from raw articles to a scored release.

init -> add -> ls export with rules pre-annotations (documents without gold only) -> two Label Studio exports by
two annotators (built from the real export format, with real disagreements) -> ls import -> agree -> adjudication
export / reviewed import -> validate -> diff --write -> build -> diff -> eval --data -> load_dataset -> compare.
The two articles were written for this test. Every command of docs/GROWING.md is one of the commands run here
(``test_growing_md_commands_are_the_ones_tested``).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO
from newsclaims import labelstudio as ls
from newsclaims.labelstudio.config import NEW, NONE

ARTICLE_1 = ("Riverton Mayor Lena Park said on Monday that the river rose 3 metres overnight. "
             "\u201cWe are ready,\u201d Park told reporters.\n")
ARTICLE_2 = "Officials in Riverton said about 200 homes were flooded. Lena Park said the water would fall by Friday.\n"
CLUSTER = "riverton_floods_test"
ANN1, ANN2, REVIEWER = "ann1@example.org", "ann2@example.org", "reviewer@example.org"
COMMANDS: list[tuple[str, ...]] = []  # every command run, as GROWING.md writes it


def _span(text: str, part: str, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return {"start": start, "end": start + len(part), "text": part}


def _pass(doc_id: str, text: str, second: bool) -> dict:
    """One annotator's gold-format document; the second annotator disagrees on purpose (see the test)."""
    ents, quotes, claims = [], [], []

    def ent(eid, part, label, entity_id, nth=0):
        ents.append({"id": eid, **_span(text, part, nth), "label": label, "entity_id": entity_id})

    if text == ARTICLE_1:
        ent("e1", "Riverton", "LOC" if second else "GPE", "riverton")  # disagreement: label
        ent("e2", "Lena Park", "PERSON", "lena_park")
        if not second:
            ent("e3", "Monday", "DATE", None)  # disagreement: only pass a
        ent("e4", "Park", "PERSON", "lena_park", 1)
        content = "We are ready" if second else "We are ready,"  # disagreement: boundary
        quotes.append({"id": "q1", **_span(text, content), "type": "direct", "speaker": _span(text, "Park", 1),
                       "speaker_id": "lena_park", "cue": _span(text, "told"), "quote_group": None})
        claims.append({"id": "n1", **_span(text, "3"), "value": 3, "unit": "metre", "approx": "approximate" if second else "exact",
                       "source": _span(text, "Lena Park"), "source_id": "lena_park", "claim_group": "river_level"})
    else:
        ent("e1", "Riverton", "LOC" if second else "GPE", "riverton")
        ent("e2", "Lena Park", "PERSON", "lena_park")
        ent("e3", "Friday", "DATE", None)
        claims.append({"id": "n1", **_span(text, "200"), "value": 200, "unit": "home", "approx": "approximate",
                       "source": None, "source_id": "author" if second else "author", "claim_group": "homes_flooded"})
    return {"doc_id": doc_id, "entities": ents, "quotes": quotes, "numeric_claims": claims}


NEW_ENTITIES = {"riverton": "Riverton", "lena_park": "Lena Park"}
NEW_GROUPS = {"river_level": "how high the river rose", "homes_flooded": "homes flooded"}


def _as_label_studio(doc: dict) -> list[dict]:
    """The result list Label Studio exports for an annotator who made ``doc`` in the UI of a new benchmark: every
    entity and group is picked as + new (its id typed in), a null quote group as - none."""
    result = ls.document_result(doc)
    out = []
    for item in result:
        name = item.get("from_name")
        value = item.get("value")
        if name in ("entity_id", "speaker_id", "source_id") and value["taxonomy"][0][0] != "author":
            eid = value["taxonomy"][0][0]
            types = {e["entity_id"]: e["label"] for e in doc["entities"] if e["entity_id"]}
            field = "new_entity" if name == "entity_id" else "new_speaker"
            out.append({**item, "value": {**value, "taxonomy": [[NEW]]}})
            out.append({"id": item["id"], "from_name": field, "to_name": "text", "type": "textarea",
                        "value": {"start": value["start"], "end": value["end"], "text": [f"{eid} | {NEW_ENTITIES[eid]} | {types[eid]}"]}})
        elif name == "claim_group":
            gid = value["taxonomy"][0][0]  # the group lists are searchable taxonomies
            out.append({**item, "value": {**value, "taxonomy": [[NEW]]}})
            out.append({"id": item["id"], "from_name": "new_group", "to_name": "text", "type": "textarea",
                        "value": {"start": value["start"], "end": value["end"], "text": [f"{gid} | {NEW_GROUPS[gid]}"]}})
        else:
            out.append(item)
    for quote in doc["quotes"]:
        if quote["quote_group"] is None:
            out.append({"id": "quote-" + quote["id"], "from_name": "quote_group", "to_name": "text", "type": "taxonomy",
                        "value": {"start": quote["start"], "end": quote["end"], "taxonomy": [[NONE]]}})
    return out


def _export(tasks: list[dict], email: str, second: bool, user_id: int) -> list[dict]:
    """A Label Studio JSON export of the tasks, each annotated by one user."""
    exported = []
    for n, task in enumerate(tasks):
        data = task["data"]
        doc = _pass(data["doc_id"], data["text"], second)
        doc["text_sha256"] = data["text_sha256"]
        exported.append({**task, "id": 100 + n, "annotations": [
            {"id": 500 + 10 * user_id + n, "completed_by": {"id": user_id, "email": email}, "was_cancelled": False,
             "result": _as_label_studio(doc), "created_at": "2026-12-09T10:00:00Z"}]})
    return exported


def _run(cli, *args):
    COMMANDS.append(tuple(str(a) for a in args))
    result = cli(*args)
    assert result.code == 0, (args, result.err)
    return result


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "riverton-1.txt").write_text(ARTICLE_1, encoding="utf-8")
    (tmp_path / "riverton-2.txt").write_text(ARTICLE_2, encoding="utf-8")
    return tmp_path


def test_growing_loop_end_to_end(cli, workspace):
    import newsclaims

    COMMANDS.clear()
    # 1. A benchmark of one's own: empty, built (data 0.0.0).
    out = _run(cli, "init", "my-bench").out
    bench = workspace / "my-bench"
    assert out.startswith("wrote: my-bench (a new benchmark:")
    assert json.loads((bench / "seeds" / "MANIFEST.json").read_text()) == {"clusters": [], "documents": []}
    info = json.loads((bench / "dataset" / "build_info.json").read_text())
    assert info["data_version"] == "0.0.0" and set(info["rows"].values()) == {0}
    assert (bench / "annotations" / "GUIDELINES.md").read_bytes() == (REPO / "annotations" / "GUIDELINES.md").read_bytes()
    released = workspace / "release-0.0.0"
    shutil.copytree(bench / "dataset", released)

    # 2. Two articles into a new cluster, byte for byte.
    out = _run(cli, "add", "riverton-1.txt", "riverton-2.txt", "--cluster", CLUSTER, "--description", "Riverton river floods (test)",
               "--outlet", "Test Gazette", "--received-as", "written for the test suite", "--root", "my-bench").out
    manifest = json.loads((bench / "seeds" / "MANIFEST.json").read_text())
    doc_ids = [d["doc_id"] for d in manifest["documents"]]
    assert len(doc_ids) == 2 and doc_ids[0].startswith("000_") and doc_ids[1].startswith("001_")
    assert out.count("added: ") == 2 and "(2 documents added)" in out
    assert (bench / "seeds" / f"{doc_ids[0]}.txt").read_bytes() == ARTICLE_1.encode()
    assert manifest["documents"][0]["provenance"]["outlet"] == "Test Gazette"
    assert manifest["clusters"] == [{"id": CLUSTER, "description": "Riverton river floods (test)", "period": "not stated"}]

    # 3. Tasks for the documents without gold, pre-annotated by the rules baseline.
    out = _run(cli, "ls", "export", "--source", "model:rules", "--new-only", "--root", "my-bench", "--out", "tasks.json").out
    assert "(2 tasks, pre-annotations: rules)" in out
    tasks = json.loads((workspace / "tasks.json").read_text())
    assert [t["data"]["doc_id"] for t in tasks] == doc_ids
    assert all(t["predictions"][0]["result"] for t in tasks)  # rules found something in each

    # 4. Two annotators, two exports, imported one after the other into their passes.
    (workspace / "export-ann1.json").write_text(json.dumps(_export(tasks, ANN1, False, 1)))
    (workspace / "export-ann2.json").write_text(json.dumps(_export(tasks, ANN2, True, 2)))
    for name in ("export-ann1.json", "export-ann2.json"):
        out = _run(cli, "ls", "import", name, "--root", "my-bench").out
        assert "(2 documents from this export merged into the pass)" in out
    pass_a, pass_b = "my-bench/annotations/passes/ann1_example.org", "my-bench/annotations/passes/ann2_example.org"
    kb_a = json.loads((workspace / pass_a / "entities.json").read_text())["entities"]
    assert [(e["id"], e["type"]) for e in kb_a] == [("lena_park", "PERSON"), ("riverton", "GPE")]

    # 5. Agreement on the documents both hold.
    report = json.loads(_run(cli, "agree", pass_a, pass_b, "--root", "my-bench", "--json").out)
    assert report["documents"] == doc_ids
    assert report["layers"]["entities"]["count_a"] == 7 and report["layers"]["entities"]["count_b"] == 6
    assert report["layers"]["entities"]["strict_matched"] == 4  # two Riverton labels differ, Monday is pass a's alone
    assert report["layers"]["quotes"]["strict_matched"] == 0 and report["layers"]["quotes"]["overlap_matched"] == 1
    assert report["layers"]["numeric_claims"]["approx_accuracy"] == 0.5

    # 6. Adjudication: the reviewer sees each disagreement as a choice of two versions.
    out = _run(cli, "adjudicate", pass_a, pass_b, "--root", "my-bench", "--export", "review.json", "--label-config", "review.xml").out
    assert "(2 review tasks, 5 disagreements)" in out
    review = json.loads((workspace / "review.json").read_text())
    assert [t["data"]["disagreements"] for t in review] == [4, 1]
    assert "<Choices name=\"keep\"" in (workspace / "review.xml").read_text()
    kinds = [c["alias"].split(" => ")[0].split(":")[:2] for c in review[0]["data"]["choices"][::2]]
    assert kinds == [["entities", "label"], ["entities", "only_a"], ["quotes", "boundary"], ["numeric_claims", "approx"]]
    assert [c["value"] for c in review[0]["data"]["choices"][:2]] == [
        '1. entities label: pass a says [0:8] "Riverton" label "GPE"', '1. entities label: pass b says [0:8] "Riverton" label "LOC"']

    def decide(task: dict) -> list[str]:
        """Keep pass a's GPE and Monday, pass b's quote boundary (no comma) and pass a's exact claim."""
        picks = []
        for choice in task["data"]["choices"][::2]:
            key = choice["alias"].split(" => ")[0]
            side = "b" if key.startswith("quotes:boundary") else "a"
            picks.append(f"{key} => {side}")
        return picks

    reviewed = [{**task, "id": 900 + n, "annotations": [{"id": 990 + n, "completed_by": {"id": 9, "email": REVIEWER},
                                                          "updated_at": "2026-12-10T09:00:00Z",
                                                          "result": [{"id": "k", "from_name": "keep", "to_name": "text", "type": "choices",
                                                                      "value": {"choices": decide(task)}}]}]}
                for n, task in enumerate(review)]
    (workspace / "reviewed.json").write_text(json.dumps(reviewed))
    out = _run(cli, "adjudicate", pass_a, pass_b, "--root", "my-bench", "--import", "reviewed.json").out
    assert f"wrote: gold {doc_ids[0]} (4 entities, 1 quotes, 1 numeric_claims; 4 disagreements decided by {REVIEWER})" in out
    gold = json.loads((bench / "annotations" / "gold" / f"{doc_ids[0]}.json").read_text())
    assert [e["label"] for e in gold["entities"]] == ["GPE", "PERSON", "DATE", "PERSON"]
    assert gold["quotes"][0]["text"] == "We are ready" and gold["numeric_claims"][0]["approx"] == "exact"
    log = (bench / "annotations" / "ADJUDICATION.md").read_text()
    assert log.count("<!-- review:") == 2 and f"reviewed by {REVIEWER} (2026-12-10)" in log
    assert "| quotes | boundary |" in log and "| pass b |" in log
    kb = json.loads((bench / "annotations" / "entities.json").read_text())["entities"]
    assert [(e["id"], e["aliases"]) for e in kb] == [("lena_park", ["Lena Park", "Park"]), ("riverton", ["Riverton"])]
    assert "ok: 2 seed documents" in _run(cli, "validate", "--root", "my-bench").out

    # A second import finds the documents gold now: refused, nothing touched.
    again = cli("adjudicate", pass_a, pass_b, "--root", "my-bench", "--import", "reviewed.json")
    assert again.code == 2 and "which has gold; expected a document without gold (or --replace)" in again.err

    # 7. The release: the diff writes the CHANGELOG entry build needs; build regenerates card, Croissant, DATASHEET.
    assert cli("build", "--root", "my-bench").code == 2  # the gold changed and no entry records it yet
    out = _run(cli, "diff", "my-bench/dataset", "my-bench", "--root", "my-bench", "--write", "--date", "2026-12-10").out
    assert "| documents | 2 | 0 | 0 |" in out and "| entities | 7 | 0 | 0 |" in out and "| kb | 2 | 0 | 0 |" in out
    assert "bump: minor (additions only) -> data 0.1.0" in out
    changelog = (bench / "CHANGELOG.md").read_text()
    assert re.search(r"^## data 0\.1\.0 \(2026-12-10\)\ngold-sha256: [0-9a-f]{64}\n- 2 documents added \(cluster riverton_floods_test\)",
                     changelog, re.M)
    out = _run(cli, "build", "--root", "my-bench").out
    assert "(data 0.1.0, " in out
    info = json.loads((bench / "dataset" / "build_info.json").read_text())
    assert info["rows"] == {"documents": 2, "entities": 7, "quotes": 1, "numeric_claims": 2, "ner_tokens": 2, "kb": 2,
                            "claim_groups": 2, "quote_groups": 0}
    croissant = json.loads((bench / "dataset" / "croissant.json").read_text())
    assert croissant["version"] == "0.1.0" and croissant["datePublished"] == "2026-12-10"
    card = (bench / "dataset" / "README.md").read_text()
    assert "Data version: **0.1.0**" in card and "`fold` (0-1) for leave-one-document-out" in card
    assert "Two passes (`annotations/passes/ann1_example.org`, `annotations/passes/ann2_example.org`)" in card
    datasheet = (bench / "DATASHEET.md").read_text()
    assert f"| {doc_ids[0]} | {len(ARTICLE_1):,} | 4 | 1 (1 / 0) | 1 |" in datasheet
    assert _run(cli, "build", "--root", "my-bench", "--check").out.startswith("ok: ")

    # 8. The diff of the two releases says the same.
    out = _run(cli, "diff", "release-0.0.0", "my-bench/dataset").out
    assert "(data 0.0.0," in out and "(data 0.1.0," in out and "| quotes | 1 | 0 | 0 |" in out
    assert "bump: minor (additions only) -> data 0.1.0" in out

    # 9. Scored on the new release, and loaded by its digest.
    out = _run(cli, "eval", "--data", "my-bench/dataset", "--output", "runs/rules").out
    scored = json.loads((workspace / "runs" / "rules" / "report.json").read_text())
    assert scored["dataset"]["data_version"] == "0.1.0" and scored["dataset"]["gold_sha256"] == info["gold_sha256"]
    assert [row["doc_id"] for row in scored["main_scores"]["entities"]["per_document"]] == doc_ids
    entities = newsclaims.load_dataset("entities", data_dir=bench / "dataset", split="test")
    assert len(entities) == 7 and entities[0]["doc_id"] == doc_ids[0]
    assert any(info["gold_sha256"] in str(f["filename"]) for f in entities.cache_files)
    # A run on another data version is not ranked beside it.
    _run(cli, "eval", "--output", "runs/packaged")
    refused = cli("compare", "runs/rules/report.json", "runs/packaged/report.json")
    assert refused.code == 2 and "dataset.data_version: found \"0.2.0\"; expected the same data version" in refused.err

    # 10. A changed released record is a major version.
    gold["numeric_claims"][0]["approx"] = "approximate"
    (bench / "annotations" / "gold" / f"{doc_ids[0]}.json").write_text(json.dumps(gold, indent=2, ensure_ascii=False) + "\n")
    out = _run(cli, "diff", "my-bench/dataset", "my-bench").out
    assert f"numeric_claims changed: {doc_ids[0]}:n1" in out and "bump: major" in out and "-> data 1.0.0" in out


def test_a_second_cluster_gets_folds_that_keep_clusters_together(cli, workspace):
    _run(cli, "init", "b")
    _run(cli, "add", "riverton-1.txt", "riverton-2.txt", "--cluster", "one", "--description", "first", "--root", "b")
    (workspace / "other.txt").write_text("Another story entirely.\n")
    _run(cli, "add", "other.txt", "--cluster", "two", "--description", "second", "--root", "b")
    from newsclaims.corpus import load_corpus

    corpus = load_corpus(workspace / "b" / "seeds")
    assert [d.fold for d in corpus.documents.values()] == [0, 0, 1]


def test_growing_md_commands_are_the_ones_tested(cli, workspace):
    """Every `newsclaims ...` command of docs/GROWING.md is run, with its arguments, by the end-to-end test."""
    import shlex

    text = (REPO / "docs" / "GROWING.md").read_text("utf-8")
    documented = [tuple(shlex.split(line)[1:]) for line in re.findall(r"^ {4}(newsclaims .+)$", text, re.M)]
    assert len(documented) >= 14
    test_growing_loop_end_to_end(cli, workspace)
    missing = [" ".join(cmd) for cmd in documented if cmd not in COMMANDS]
    assert not missing, missing
