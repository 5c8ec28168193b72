"""The catalogue of issue 25 (a hostile sweep of 0.5.0): what each break does now, one case per item here.

Items kept elsewhere: 2 (a kill during ls import's swap) is ``test_safe_writes.py``'s
``test_sigkill_during_the_pass_swap_loses_nothing`` (a real SIGKILL at each rename) plus the case below;
the others belong to other files of the same issue.

Refusals are a table, as in ``test_bad_inputs.py``: each case writes its files into a fresh folder
(on a copy of the mini fixture), runs one command in-process and expects exit code 2, one line with
the given substring, no traceback, and every file as it was. A warning case expects exit code 0 and
the warning line. The other cases (``eval --output`` into a user's folder, a long line) are functions.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import MINI, read_tree
from newsclaims.cli import main

SEEDS = MINI / "seeds"
GOLD_A = json.loads((MINI / "annotations" / "gold" / "mini_a.json").read_text("utf-8"))
KB = json.loads((MINI / "annotations" / "entities.json").read_text("utf-8"))
GOLD_FILE = "mini/annotations/gold/mini_a.json"
KB_FILE = "mini/annotations/entities.json"
VALIDATE_SET = ("validate", "--seeds", "{tmp}/mini/seeds", "{tmp}/mini/annotations")
VALIDATE_GOLD = ("validate", "--seeds", "{tmp}/mini/seeds", "{tmp}/" + GOLD_FILE)
BUILD = ("build", "--seeds", "{tmp}/mini/seeds", "--annotations", "{tmp}/mini/annotations", "--changelog",
         "{tmp}/mini/CHANGELOG.md", "--out", "{tmp}/built")
VALIDATE_PREDICTIONS = ("validate", "--seeds", str(SEEDS), "{tmp}/p.jsonl")


@dataclass(frozen=True)
class Case:
    id: str
    command: tuple[str, ...]  # {tmp}: the case's folder
    expect: str  # a substring of the one line (for code 0: of the warning line)
    files: dict[str, bytes] = field(default_factory=dict)  # written under {tmp} (after the mini copy)
    code: int = 2


def _gold(edit) -> bytes:
    doc = json.loads(json.dumps(GOLD_A))
    edit(doc)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _kb(edit) -> bytes:
    kb = json.loads(json.dumps(KB))
    edit({e["id"]: e for e in kb["entities"]})
    return json.dumps(kb, ensure_ascii=False).encode("utf-8")


def _line(**fields) -> bytes:
    return (json.dumps({"doc_id": "mini_a", **fields}, ensure_ascii=False) + "\n").encode()


def _author_with_a_source_span(doc):
    doc["numeric_claims"][0]["source_id"] = "author"  # the source span "Pentagon" stays


def _speaker_is_the_quote(doc):
    quote = doc["quotes"][0]
    quote["speaker"] = {"start": quote["start"], "end": quote["end"], "text": quote["text"]}


def _source_is_the_claim(doc):
    claim = doc["numeric_claims"][0]
    claim["source"], claim["source_id"] = {"start": claim["start"], "end": claim["end"], "text": claim["text"]}, "pentagon"


def _shared_alias(kb):
    kb["mark_rutte"]["aliases"].append("Joe Biden")


CASES = [
    # item 13: occurrence beside start/end was ignored (the offsets won)
    Case("occurrence_beside_offsets", VALIDATE_PREDICTIONS,
         "p.jsonl:1: entities[0]: occurrence: found 1 beside start and end; expected occurrence only for a span given by text alone",
         {"p.jsonl": _line(entities=[{"start": 0, "end": 10, "label": "GPE", "occurrence": 1}])}),
    Case("occurrence_beside_offsets_in_a_speaker", VALIDATE_PREDICTIONS, "quotes[0]: speaker.occurrence: found 0 beside start and end",
         {"p.jsonl": _line(quotes=[{"text": "very dangerous.", "speaker": {"start": 12, "end": 21, "occurrence": 0}}])}),
    Case("occurrence_beside_offsets_in_eval", ("eval", "--data", "{data}", "--predictions", "{tmp}/p.jsonl"),
         "occurrence: found 2 beside start and end",
         {"p.jsonl": _line(numeric_claims=[{"start": 64, "end": 70, "value": 10000, "occurrence": 2}])}),
    # item 13: source_id author with a source span
    Case("author_with_a_source_span_validate", VALIDATE_GOLD,
         "numeric_claims[0] (id n1): source: found a span (\"Pentagon\") beside source_id 'author'; expected null",
         {GOLD_FILE: _gold(_author_with_a_source_span)}),
    Case("author_with_a_source_span_build", BUILD, "source: found a span (\"Pentagon\") beside source_id 'author'",
         {GOLD_FILE: _gold(_author_with_a_source_span)}),
    # item 13: a speaker span that is the quote itself (and the same for a claim's source)
    Case("speaker_is_the_quote_validate", VALIDATE_SET,
         "quotes[0] (id q1): speaker.start: found the record's own span [41:56]; expected a speaker span other than the record's own",
         {GOLD_FILE: _gold(_speaker_is_the_quote)}),
    Case("speaker_is_the_quote_build", BUILD, "speaker.start: found the record's own span [41:56]",
         {GOLD_FILE: _gold(_speaker_is_the_quote)}),
    Case("source_is_the_claim", VALIDATE_GOLD, "numeric_claims[0] (id n1): source.start: found the record's own span [64:70]",
         {GOLD_FILE: _gold(_source_is_the_claim)}),
    # item 13: two KB entities sharing a name: legitimate (one surname, two people), so a warning, in validate and build
    Case("shared_alias_validate", VALIDATE_SET, 'entities.json: warning: entities[1] (id mark_rutte): the name "joe biden" is '
         'also a name of joe_biden; a bare-name speaker or source "joe biden" is judged right for either',
         {KB_FILE: _kb(_shared_alias)}, code=0),
    Case("shared_alias_registry", ("validate", "--seeds", "{tmp}/mini/seeds", "{tmp}/" + KB_FILE),
         '(id mark_rutte): the name "joe biden" is also a name of joe_biden', {KB_FILE: _kb(_shared_alias)}, code=0),
]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() if p.is_file() else b"/" for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case, tmp_path, mini_data, capsys, monkeypatch):
    shutil.copytree(MINI, tmp_path / "mini")
    for rel, content in case.files.items():
        (tmp_path / rel).write_bytes(content)
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = main([part.format(tmp=tmp_path, data=mini_data) for part in case.command])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code == case.code, err
    if case.code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and case.expect in lines[0], err
        assert _snapshot(tmp_path) == before, "a refusal changed or wrote a file"
    else:
        assert [line for line in err.splitlines() if case.expect in line], err


def test_build_warns_of_a_shared_name_and_builds(cli, tmp_path):
    from newsclaims.build import gold_digest

    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    old_digest = gold_digest(root / "annotations", root / "seeds")
    (root / KB_FILE.removeprefix("mini/")).write_bytes(_kb(_shared_alias))
    changelog = root / "CHANGELOG.md"
    changelog.write_text(changelog.read_text("utf-8").replace(old_digest, gold_digest(root / "annotations", root / "seeds")))
    result = cli("build", "--seeds", root / "seeds", "--annotations", root / "annotations", "--changelog", changelog,
                 "--out", tmp_path / "built")
    assert result.code == 0, result.err
    assert [line for line in result.err_lines if ": warning: " in line] == [
        f"{root / KB_FILE.removeprefix('mini/')}: warning: entities[1] (id mark_rutte): the name \"joe biden\" is also a name of "
        "joe_biden; a bare-name speaker or source \"joe biden\" is judged right for either"]


def test_the_packaged_gold_keeps_every_new_rule(cli):
    """The new gold checks hold for the packaged gold and both passes (no refusal, no warning)."""
    for target in ([], ["annotations/passes/a"], ["annotations/passes/b"]):
        result = cli("validate", *target)
        assert result.code == 0 and result.err == "", result.err


# --- item 1: eval --output deleted a user's files ----------------------------------------------

PREDICTIONS = _line(entities=[{"start": 0, "end": 10, "label": "GPE", "entity_id": "washington_dc"}])


def _eval(cli, data: Path, tmp_path: Path, out: Path):
    predictions = tmp_path / "p.jsonl"
    predictions.write_bytes(PREDICTIONS)
    return cli("eval", "--data", data, "--predictions", predictions, "--output", out, "--resamples", "10")


def test_a_folder_with_a_file_named_report_json_is_not_evals(cli, mini_data, tmp_path):
    """0.5.0: exit 0 and thesis.tex gone, because a file named report.json made the folder eval's."""
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "thesis.tex").write_text("\\documentclass{article}\n")
    (out / "report.json").write_text('{"title": "my own report"}\n')
    before = read_tree(out)
    result = _eval(cli, mini_data, tmp_path, out)
    assert result.code == 2 and len(result.err_lines) == 1, result.err
    assert result.err_lines[0] == (f"--output: found {out} is a folder with other files in it; expected a new path, an empty "
                                   "folder or a folder newsclaims eval wrote (its report.json)")
    assert read_tree(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl", "thesis"]


def test_a_rerun_keeps_what_the_user_added_and_says_so(cli, mini_data, tmp_path):
    """0.5.0: the rerun deleted notes.md and plots/ without a word. Now eval's own files are replaced as a
    set, the user's entries are carried into the new set, and stderr names them."""
    out = tmp_path / "run"
    assert _eval(cli, mini_data, tmp_path, out).code == 0
    (out / "notes.md").write_text("my notes\n")
    (out / "plots").mkdir()
    (out / "plots" / "f1.svg").write_text("<svg/>\n")
    (out / "report.md").write_text("edited\n")  # eval's own file: replaced
    result = _eval(cli, mini_data, tmp_path, out)
    assert result.code == 0, result.err
    assert f"kept: notes.md, plots in {out} (not written by newsclaims eval)" in result.err_lines
    tree = read_tree(out)
    assert tree["notes.md"] == b"my notes\n" and tree["plots/f1.svg"] == b"<svg/>\n"
    assert sorted(tree) == ["notes.md", "plots/f1.svg", "report.html", "report.json", "report.md"]
    assert tree["report.md"].startswith(b"# newsclaims evaluation")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl", "run"]  # no staging or old folder left


def test_a_report_folder_of_an_older_version_is_recognised(tmp_path):
    """A report.json eval wrote (report_version, newsclaims_version) is what makes a folder eval's."""
    from newsclaims.safewrite import is_report_folder, write_report_folder

    out = tmp_path / "run"
    out.mkdir()
    (out / "report.json").write_text(json.dumps({"report_version": 2, "newsclaims_version": "0.5.0", "main_scores": {}}))
    (out / "predictions.jsonl").write_text("{}\n")
    assert is_report_folder(out)
    for content in ("{}", "[]", "not json", '{"report_version": 2}'):
        (tmp_path / "other").mkdir(exist_ok=True)
        (tmp_path / "other" / "report.json").write_text(content)
        assert not is_report_folder(tmp_path / "other")
    assert write_report_folder(out, {"report.json": json.dumps({"report_version": 2, "newsclaims_version": "x"})}) == []
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]  # an old predictions.jsonl is eval's: gone


# --- item 2: the pass an interrupted ls import moved aside comes back whole ----------------------

def test_an_import_after_a_kill_between_the_renames_keeps_every_document(cli, tmp_path):
    """0.5.0 moved the pass into .import-X/.old-NAME, where nothing looked again: the next one-task import
    wrote a pass of one document. Now the pass moved aside is ``.NAME.old-*`` beside it and comes back."""
    from newsclaims import labelstudio as ls
    from newsclaims.corpus import load_annotation_set, load_corpus

    passes = tmp_path / "passes"
    shutil.copytree(MINI / "annotations", passes / ".ann_example.org.old-1a2b3c4d")  # what the kill left
    (passes / ".ann_example.org.build-5e6f7a8b" / "gold").mkdir(parents=True)
    corpus = load_corpus(SEEDS)
    gold = load_annotation_set(MINI / "annotations", corpus)
    task = {**ls.tasks(corpus, gold.documents, "gold", ls.Registry.of(gold))[0], "id": 12}
    task["annotations"] = [{"id": 31, "completed_by": {"id": 7, "email": "ann@example.org"}, "result": task["predictions"][0]["result"]}]
    export = tmp_path / "export.json"
    export.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    result = cli("ls", "import", export, "--seeds", SEEDS, "--annotations", MINI / "annotations", "--passes", passes)
    assert result.code == 0, result.err
    assert sorted(p.name for p in passes.iterdir()) == ["ann_example.org"]
    assert sorted(p.name for p in (passes / "ann_example.org" / "gold").iterdir()) == ["mini_a.json", "mini_b.json"]


# --- item 7: a schema error in one very long line ----------------------------------------------

RECORDS = 100_000  # about 6 MB on one line; 0.5.0 explained every record through jsonschema (~20 s here)


def _schema_walks(monkeypatch) -> list:
    """Counts jsonschema's steps (every descent into a part of an instance): a bound on the work of
    explaining that holds on any machine, where a time limit would not."""
    from newsclaims.schema import validator

    cls = type(validator("predictions_line"))
    walks, real = [], cls.descend

    def counting(self, *args, **kwargs):
        walks.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, "descend", counting)
    return walks


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["last", "every"])
def test_a_long_predictions_line_is_explained_at_once(cli, tmp_path, monkeypatch, bad):
    records = [{"start": 0, "end": 10, "label": "GPE", "entity_id": "washington_dc"} for _ in range(RECORDS)]
    for record in records if bad == "every" else records[-1:]:
        record["label"] = "CITY"
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"doc_id": "mini_a", "entities": records}) + "\n")
    walks = _schema_walks(monkeypatch)
    result = cli("validate", "--seeds", SEEDS, path)
    assert result.code == 2 and "Traceback" not in result.err
    first = RECORDS - 1 if bad == "last" else 0
    assert result.err_lines[0].startswith(f"{path}:1: entities[{first}]: label: found \"CITY\"; expected one of PERSON")
    if bad == "every":  # the catalogue's bound: the first 20 problems, then one line saying reading stopped
        assert len(result.err_lines) == 21 and result.err_lines[-1].endswith("expected a valid file (stopped reading here)")
        assert result.err_lines[19].startswith(f"{path}:1: entities[19]: label:")
    assert len(walks) < RECORDS // 100, f"{len(walks)} jsonschema steps for {RECORDS} records"


@pytest.mark.slow
def test_a_long_gold_document_is_explained_at_once(cli, tmp_path, monkeypatch):
    doc = json.loads(json.dumps(GOLD_A))
    doc["entities"] = [dict(doc["entities"][0], id=f"e{i}") for i in range(RECORDS)]
    doc["entities"][-1]["start"] = -1
    shutil.copytree(MINI, tmp_path / "mini")
    path = tmp_path / GOLD_FILE
    path.write_text(json.dumps(doc))
    walks = _schema_walks(monkeypatch)
    result = cli("validate", "--seeds", tmp_path / "mini" / "seeds", path)
    assert result.code == 2 and len(result.err_lines) == 1, result.err
    assert f"entities[{RECORDS - 1}] (id e{RECORDS - 1}): start: found -1; expected a number >= 0" in result.err_lines[0]
    assert len(walks) < RECORDS // 100, f"{len(walks)} jsonschema steps for {RECORDS} records"


def test_explanations_are_those_of_a_whole_walk():
    """Explaining only the refused records says what jsonschema says walking the whole instance."""
    from newsclaims.schema import _errors, explain, validator

    line = {"doc_id": "mini_a", "x": 1, "entities": [{"start": 0, "end": 1}, {"start": "a", "end": 2, "label": "CITY"},
                                                    {"text": 3}, {"start": 1}],
            "quotes": [{"text": "q", "type": "odd", "speaker": {"start": 0}}]}
    whole = sorted((tuple(map(str, e.absolute_path)), e.message) for e in validator("predictions_line").iter_errors(line))
    assert sorted((tuple(map(str, path)), e.message) for path, e in _errors("predictions_line", line, 20)) == whole
    assert [str(p) for p in explain("predictions_line", line, "p.jsonl", 1, limit=3)] == [
        str(p) for p in explain("predictions_line", line, "p.jsonl", 1)][:3]
