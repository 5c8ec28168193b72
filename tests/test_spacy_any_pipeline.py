"""``--model spacy:NAME_OR_PATH``: any spaCy pipeline, here one the test builds (blank English plus an
entity ruler saved with ``nlp.to_disk``), so the real spaCy path runs without a download."""

import json

import pytest

spacy = pytest.importorskip("spacy")

from newsclaims.baselines import spacy_adapter  # noqa: E402
from newsclaims.eval.pipeline import Model, evaluate  # noqa: E402

PATTERNS = [{"label": "GPE", "pattern": "Russia"}, {"label": "GPE", "pattern": "Ukraine"}, {"label": "GPE", "pattern": "North Korea"},
            {"label": "PERSON", "pattern": "Mark Rutte"}, {"label": "CARDINAL", "pattern": [{"LIKE_NUM": True}]},
            {"label": "ORDINAL", "pattern": "first"}, {"label": "MISC", "pattern": "NATO"}]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    nlp = spacy.blank("en")
    nlp.meta.update({"name": "test_ruler", "version": "1.2.3"})
    nlp.add_pipe("entity_ruler").add_patterns(PATTERNS)
    folder = tmp_path_factory.mktemp("spacy") / "pipeline"
    nlp.to_disk(folder)
    return folder


@pytest.fixture(autouse=True)
def fresh_pipelines(monkeypatch):
    monkeypatch.delenv(spacy_adapter.PIPELINE_ENV, raising=False)
    spacy_adapter.load_pipeline.cache_clear()


def test_cli_scores_a_pipeline_folder_and_names_it(cli, pipeline):
    result = cli("eval", "--model", f"spacy:{pipeline}", "--layers", "entities", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["predictions"] == {"kind": "model", "name": f"spacy:{pipeline}",
                                     "pipeline": {"name": "en_test_ruler", "version": "1.2.3", "spacy_version": spacy.__version__,
                                                  "labels_dropped": ["MISC", "ORDINAL"]}}
    assert report["layers_scored"] == ["entities"]
    assert report["layers"]["entities"]["schemes"]["exact"]["micro"]["correct"] > 0


def test_evaluate_runs_the_same_pipeline(pipeline):
    run = evaluate(Model(f"spacy:{pipeline}"), layers=("entities", "numeric_claims"))
    assert run.report["predictions"]["pipeline"]["name"] == "en_test_ruler"
    assert run.report["layers"]["entities"]["schemes"]["exact"]["micro"]["correct"] > 0
    labels = {e["label"] for line in run.model_lines for e in line["entities"]}
    assert labels and labels <= {"GPE", "PERSON"}  # ORDINAL and MISC are dropped, never renamed
    assert any(line["numeric_claims"] for line in run.model_lines)  # CARDINAL became numeric claims


def test_label_map(pipeline):
    predict = spacy_adapter.predictor(str(pipeline))
    text = "Mark Rutte said the first 600,000 soldiers left Russia for NATO drills."
    out = predict({"doc_id": "d", "text": text})
    assert [(text[e["start"]:e["end"]], e["label"], e["entity_id"]) for e in out["entities"]] == \
        [("Mark Rutte", "PERSON", "mark_rutte"), ("Russia", "GPE", "russia")]
    assert [(text[c["start"]:c["end"]], c["value"], c["unit"]) for c in out["numeric_claims"]] == [("600,000", 600000.0, "soldier")]


def test_bare_spacy_still_reads_the_environment_variable(cli, pipeline, monkeypatch):
    monkeypatch.setenv(spacy_adapter.PIPELINE_ENV, str(pipeline))
    report = json.loads(cli("eval", "--model", "spacy", "--layers", "entities", "--json").out)
    assert report["predictions"]["name"] == "spacy" and report["predictions"]["pipeline"]["version"] == "1.2.3"


@pytest.mark.parametrize("given, found", [
    ("xx_no_such_pipeline", "found 'xx_no_such_pipeline', which is not an installed spaCy pipeline; "
                            "expected an installed pipeline (python -m spacy download xx_no_such_pipeline"),
    ("{tmp}/nowhere", "found '{tmp}/nowhere', a path that does not exist; expected"),
    ("{tmp}", "found '{tmp}', which spaCy cannot load ([E053]"),
])
def test_a_missing_pipeline_is_one_line_naming_what_was_given(cli, tmp_path, given, found):
    given, found = given.format(tmp=tmp_path), found.format(tmp=tmp_path)
    result = cli("eval", "--model", f"spacy:{given}")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith(f"--model spacy:{given}: found") and found in result.err
    assert "nlp.to_disk" in result.err and spacy_adapter.PIPELINE_ENV not in result.err


def test_the_default_pipeline_missing_does_not_blame_the_environment_variable(cli, monkeypatch):
    monkeypatch.setattr(spacy_adapter, "DEFAULT_PIPELINE", "xx_default_not_installed")
    result = cli("eval", "--model", "spacy")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1, result.err
    assert "'xx_default_not_installed', which is not an installed spaCy pipeline" in result.err
    assert spacy_adapter.PIPELINE_ENV not in result.err
    monkeypatch.setenv(spacy_adapter.PIPELINE_ENV, "xx_from_the_environment")
    assert f"--model spacy: {spacy_adapter.PIPELINE_ENV}: found 'xx_from_the_environment'" in cli("eval", "--model", "spacy").err
