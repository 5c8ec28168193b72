"""Baselines: regression files, honesty (no gold of the tagged document, no article strings in the
rules), the spaCy adapter on a blank pipeline, and the generated results table."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from conftest import REPO
from newsclaims.baselines import refresh, rules
from newsclaims.eval.gold import load_gold_data

BASELINES = REPO / "baselines"
RESULTS = json.loads((BASELINES / "results.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def gold():
    return load_gold_data()


def _committed(name: str) -> list[dict]:
    path = BASELINES / "predictions" / refresh.file_name(name)
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


RULE_RUNS = [(n, s) for n, s in refresh.MAIN + refresh.ABLATIONS if n.startswith("rules")]


@pytest.mark.parametrize("name,spec", RULE_RUNS, ids=[n for n, _ in RULE_RUNS])
def test_rules_output_matches_its_regression_file(gold, name, spec):
    from newsclaims.eval.adapters.callables import run_callable

    preds = run_callable(spec, gold.texts)
    fresh = [json.loads(json.dumps(preds.by_doc[d])) for d in gold.texts]
    assert fresh == _committed(name), "rules output changed: run `newsclaims baselines refresh`"


@pytest.mark.slow
def test_sklearn_output_matches_its_regression_file(gold):
    from newsclaims.eval.adapters.callables import run_callable

    preds = run_callable("sklearn", gold.texts)
    assert [json.loads(json.dumps(preds.by_doc[d])) for d in gold.texts] == _committed("sklearn")


@pytest.mark.parametrize("name", [n for n, r in RESULTS["baselines"].items() if "not_run" not in r])
def test_recorded_scores_are_the_scores_of_the_regression_files(gold, name):
    from newsclaims.eval.pipeline import PredictionsFile, evaluate

    recorded = RESULTS["baselines"][name]["main_scores"]
    run = evaluate(PredictionsFile(BASELINES / "predictions" / refresh.file_name(name)), gold)
    assert refresh.main_scores(run.scores) == json.loads(json.dumps(recorded))


def test_readme_is_generated_from_results():
    assert (BASELINES / "README.md").read_text("utf-8") == refresh.render_readme(RESULTS)
    assert RESULTS["gold_sha256"] == json.loads((REPO / "dataset" / "build_info.json").read_text())["gold_sha256"]


def test_sklearn_never_sees_the_gold_of_the_document_it_tags(gold):
    """Each fold's training data excludes its document, and corrupting that document's gold changes
    nothing in its predictions."""
    from newsclaims.baselines.sklearn_tagger import Tagger, training_set

    held_out = next(iter(gold.texts))
    assert all(text != gold.texts[held_out] for text, _ in training_set(gold, held_out))
    original = Tagger(training_set(gold, held_out)).entities(gold.texts[held_out])
    entities = gold.layers["entities"]
    gold.layers["entities"] = {**{d: entities[d] for d in gold.texts}, held_out: [{"start": 0, "end": 5, "label": "LAW"}]}
    try:
        corrupted = Tagger(training_set(gold, held_out)).entities(gold.texts[held_out])
    finally:
        gold.layers["entities"] = entities
    assert corrupted == original


def test_rules_contain_no_phrase_from_the_articles():
    """No string literal of three or more words in the rules occurs in a seed article."""
    seeds = [p.read_text("utf-8").lower() for p in (REPO / "seeds").glob("*.txt")]
    tree = ast.parse(Path(rules.__file__).read_text("utf-8"))
    literals = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    offending = [lit for lit in literals if len(lit.split()) >= 3 and any(lit.lower() in text for text in seeds)]
    assert offending == []


def test_rules_read_no_gold():
    tree = ast.parse(Path(rules.__file__).read_text("utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
               {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not imported & {"newsclaims.eval.gold", "newsclaims.corpus", "newsclaims.paths", "datasets"}


@pytest.mark.parametrize("expression,value", [("10,000", 10000), ("half a million", 500000), ("two-and-a-half", 2.5),
                                              ("3 million", 3e6), ("twelve", 12), ("1.5", 1.5)])
def test_rules_parse_values(expression, value):
    assert rules.parse_value(expression) == value


def test_rules_on_invented_text():
    text = "Officials said about 2,500 workers joined the strike. “We will not stop,” Maria Lopez told reporters on Friday."
    out = rules.predict({"doc_id": "x", "text": text})
    claim = out["numeric_claims"][0]
    assert (text[claim["start"]:claim["end"]], claim["value"], claim["unit"], claim["approx"]) == ("2,500", 2500.0, "worker", "approximate")
    direct = next(q for q in out["quotes"] if q["type"] == "direct")
    assert text[direct["start"]:direct["end"]] == "We will not stop,"
    assert text[direct["speaker"]["start"]:direct["speaker"]["end"]] == "Maria Lopez"
    assert {(text[e["start"]:e["end"]], e["label"]) for e in out["entities"]} >= {("Maria Lopez", "PERSON"), ("Friday", "DATE")}


def test_spacy_adapter_on_a_blank_pipeline_with_an_entity_ruler():
    spacy = pytest.importorskip("spacy")
    from newsclaims.baselines.spacy_adapter import from_doc

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "GPE", "pattern": "Russia"}, {"label": "PERSON", "pattern": "Mark Rutte"},
                        {"label": "CARDINAL", "pattern": [{"LIKE_NUM": True}]}])
    text = "Mark Rutte said more than 600,000 soldiers left Russia."
    out = from_doc(nlp(text), "d")
    assert [(text[e["start"]:e["end"]], e["label"], e["entity_id"]) for e in out["entities"]] == \
        [("Mark Rutte", "PERSON", "mark_rutte"), ("Russia", "GPE", "russia")]
    (claim,) = out["numeric_claims"]
    assert (claim["value"], claim["unit"], claim["approx"], claim["source_id"]) == (600000.0, "soldier", "at_least", "author")


def test_spacy_model_from_a_pipeline_folder(cli, tmp_path, monkeypatch):
    spacy = pytest.importorskip("spacy")
    from newsclaims.baselines import spacy_adapter

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "GPE", "pattern": "Russia"}])
    nlp.to_disk(tmp_path / "pipeline")
    spacy_adapter.load_pipeline.cache_clear()
    monkeypatch.setenv("NEWSCLAIMS_SPACY_MODEL", str(tmp_path / "pipeline"))
    report = json.loads(cli("eval", "--model", "spacy", "--json").out)
    assert report["layers"]["entities"]["schemes"]["exact"]["micro"]["correct"] > 0
    assert report["main_scores"]["quotes"]["value"] == "not predicted"


def test_missing_spacy_pipeline_is_named(cli, monkeypatch):
    pytest.importorskip("spacy")
    from newsclaims.baselines import spacy_adapter

    spacy_adapter.load_pipeline.cache_clear()
    monkeypatch.setenv("NEWSCLAIMS_SPACY_MODEL", "xx_no_such_pipeline")
    result = cli("eval", "--model", "spacy")
    assert result.code == 2 and "Traceback" not in result.err
    assert "found 'xx_no_such_pipeline', which is not an installed spaCy pipeline" in result.err


def test_default_eval_runs_the_rules_baseline(cli):
    result = cli("eval", "--json")
    assert result.code == 0
    report = json.loads(result.out)
    assert report["predictions"] == {"kind": "model", "name": "rules"}
    assert report["main_scores"]["entities"]["value"] == RESULTS["baselines"]["rules"]["main_scores"]["entities"]["value"]


def test_sklearn_trains_once_for_documents_outside_the_packaged_gold():
    """Documents the packaged gold does not hold share one training set, so one model (it used to train one per document)."""
    pytest.importorskip("sklearn")
    from newsclaims.baselines import sklearn_tagger

    sklearn_tagger._fold_tagger.cache_clear()
    for i in range(3):
        sklearn_tagger.predict({"doc_id": f"outside_{i}", "text": "Joe Biden met Mark Rutte in Washington on Monday."})
    assert sklearn_tagger._fold_tagger.cache_info().currsize == 1
