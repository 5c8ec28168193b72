"""report_version 3: one word, one meaning; one shape for per_document; errors that say which number
they explain; end-to-end coreference beside linking; compare's exact paired permutation test with the
smallest p its design can reach; intervals from few documents flagged wherever printed."""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path

import pytest

from conftest import MINI
from newsclaims.eval.compare import format_leaderboards, leaderboards
from newsclaims.eval.gold import load_gold_data
from newsclaims.eval.metrics import METRIC_INFO, coreference_scores
from newsclaims.eval.pipeline import Model, evaluate
from newsclaims.eval.report import REPORT_VERSION
from newsclaims.eval.scoring import NOT_PREDICTED, score

# Entities (strict) per document, (tp, predicted, gold), of the rules and sklearn baselines (as in test_significance)
RULES = {"000_956b89daf0f4f269": [42, 48, 51], "001_67ea46896210dce6": [51, 68, 74], "002_eebf9108032eaeec": [59, 72, 74],
         "003_8d866300cc861dbc": [39, 55, 59], "004_d0ac60c4e534b1bf": [60, 77, 86]}
SKLEARN = {"000_956b89daf0f4f269": [42, 54, 51], "001_67ea46896210dce6": [66, 74, 74], "002_eebf9108032eaeec": [68, 75, 74],
           "003_8d866300cc861dbc": [54, 59, 59], "004_d0ac60c4e534b1bf": [76, 84, 86]}
FEW = "from 5 documents: unreliable (fewer than 10)"


@pytest.fixture(scope="module")
def rules_report():
    return evaluate(Model("rules"), load_gold_data()).report


def _walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield f"{path}.{k}", k, v
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def test_one_word_one_meaning(rules_report):
    report = rules_report
    assert report["report_version"] == REPORT_VERSION == 3
    layers = report["layers"]
    assert "strict" not in layers["quotes"]["content"] and "exact_span" in layers["quotes"]["content"]
    assert "strict" not in layers["numeric_claims"]["span"] and "exact_span" in layers["numeric_claims"]["span"]
    assert "per_type_exact_span" in layers["quotes"]["content"] and "per_approx_exact_span" in layers["numeric_claims"]["span"]
    # "strict" is the entity scheme (boundaries and type) and is used nowhere else
    for path, key, _ in _walk(layers):
        if "strict" in key:
            assert path.startswith(".entities.schemes.strict"), path
    # per label and macro F1 only for the schemes that judge the type: exact per label would be strict per label
    schemes = layers["entities"]["schemes"]
    assert {k for k, s in schemes.items() if "macro_f1" in s} == {k for k, s in schemes.items() if "per_label" in s} == {"strict", "type"}
    assert set(schemes["exact"]) == set(schemes["partial"]) == {"micro"}


def test_per_document_is_rows_of_named_columns_everywhere(rules_report):
    found = [(path, value) for path, key, value in _walk(rules_report) if key == "per_document"]
    assert {p for p, _ in found} == {".main_scores.entities.per_document", ".main_scores.quotes.per_document",
                                     ".main_scores.numeric_claims.per_document", ".layers.entities.schemes.strict.per_document"}
    doc_ids = sorted(load_gold_data().texts)
    for path, rows in found:
        assert isinstance(rows, list) and [r["doc_id"] for r in rows] == doc_ids, path
        for row in rows:
            assert all(isinstance(v, (int, float)) for k, v in row.items() if k != "doc_id"), path
    for layer, main in rules_report["main_scores"].items():
        assert all(set(r) == {"doc_id", "tp", "predicted", "gold"} for r in main["per_document"])
        assert sum(r["tp"] for r in main["per_document"]) == main["tp"] and sum(r["gold"] for r in main["per_document"]) == main["gold"]
    strict = rules_report["layers"]["entities"]["schemes"]["strict"]
    assert all(set(r) == {"doc_id", "correct", "incorrect", "partial", "missed", "spurious"} for r in strict["per_document"])
    assert sum(r["correct"] for r in strict["per_document"]) == strict["micro"]["correct"]


def test_each_error_class_says_which_number_it_explains(rules_report):
    report = rules_report
    for layer, summary in report["error_summary"].items():
        assert set(summary["explains"]) == set(summary["counts"]), layer
        main, counts = report["main_scores"][layer], summary["counts"]
        of_main = {k: n for k, n in counts.items() if summary["explains"][k] == "main_score"}
        paired = sum(n for k, n in of_main.items() if k not in ("missed", "spurious", "unplaced"))
        # every gold record and every prediction the main score did not credit is in exactly one main-score class
        assert main["gold"] - main["tp"] == paired + of_main.get("missed", 0), layer
        assert main["predicted"] - main["tp"] == paired + of_main.get("spurious", 0) + of_main.get("unplaced", 0), layer
        for kind, metric in summary["explains"].items():  # an attribute class names a metric of its layer
            assert metric == "main_score" or metric in report["layers"][layer], (layer, kind, metric)
    quotes = report["error_summary"]["quotes"]
    assert quotes["explains"]["wrong speaker"] == "main_score" and quotes["explains"]["wrong cue"] == "cue"
    # speaker accuracy is taken on every overlap-matched pair; "wrong speaker" lists the main score's uncredited pairs
    accuracy = report["layers"]["quotes"]["speaker_accuracy"]
    assert accuracy["total"] == report["layers"]["quotes"]["content"]["overlap"]["tp"]
    from newsclaims.eval.report import detail_rows

    titles = [title for layer, title, _ in detail_rows(report) if layer == "quotes" and title.startswith("errors")]
    main = report["main_scores"]["quotes"]
    assert any(f"gold {main['gold']:g} = {main['tp']:g} credited + {quotes['counts']['wrong speaker']} paired" in t for t in titles)
    assert "errors of cue (on overlap-matched pairs)" in titles


def test_entity_errors_carry_label_and_entity_id(mini_data):
    gold = load_gold_data(mini_data)
    line = {"doc_id": "mini_b", "entities": [{"start": 0, "end": 4, "label": "GPE", "entity_id": "nato"},          # wrong type
                                             {"start": 11, "end": 17, "label": "PERSON", "entity_id": "mark_rutte"},  # boundary
                                             {"text": "Nowhere", "label": "GPE", "entity_id": "x"}]}                # unplaced
    result = score(gold, {"mini_b": line}, resamples=50).layers["entities"]
    by_class = {}
    for entry in result["errors"]:
        by_class.setdefault(entry["class"], []).append(entry)
    wrong_type = by_class["wrong type"][0]
    assert (wrong_type["gold"]["label"], wrong_type["predicted"]["label"]) == ("ORG", "GPE")
    assert wrong_type["gold"]["entity_id"] == wrong_type["predicted"]["entity_id"] == "nato"
    boundary = by_class["boundary"][0]
    assert boundary["gold"]["label"] == boundary["predicted"]["label"] == "PERSON"
    assert all("label" in e["gold"] and "entity_id" in e["gold"] for e in by_class["missed"])
    assert by_class["unplaced"][0]["predicted"]["label"] == "GPE" and by_class["unplaced"][0]["predicted"]["entity_id"] == "x"


def test_report_html_shows_both_types_of_a_wrong_type(cli, mini_data, tmp_path):
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"doc_id": "mini_b", "entities": [{"start": 0, "end": 4, "label": "GPE", "entity_id": "nato"}]}) + "\n")
    assert cli("eval", "--data", mini_data, "--predictions", preds, "--output", tmp_path / "out").code == 0
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    item = re.search(r"<h3>wrong type \(1\)</h3><ul>\s*<li>(.*?)</li>", html, re.S).group(1)
    assert "(ORG, nato)" in item and "(GPE, nato)" in item
    assert "<th>explains</th>" in html


# --- coreference beside linking -------------------------------------------------------------------

def _gold_entities(gold) -> dict:
    return {d: {"doc_id": d, "entities": [{k: m[k] for k in ("start", "end", "label", "entity_id")} for m in gold.layers["entities"][d]]}
            for d in gold.texts}


def test_coreference_over_all_mentions_beside_linking_over_matched_ones(mini_data):
    gold = load_gold_data(mini_data)
    right = _gold_entities(gold)
    full = score(gold, right, resamples=50).layers["entities"]
    coref = full["coreference_all_mentions"]
    assert coref["conll_f1"] == 1.0 and coref["twin_mentions"] == coref["gold_mentions"] == coref["predicted_mentions"]
    assert "CoNLL-2012" in coref["computed_over"] and "exactly the same boundaries" in full["linking_matched_mentions"]["computed_over"]
    # one mention given another span: linking leaves it out, coreference counts a twinless mention on each side
    off = copy.deepcopy(right)
    moved = next(m for m in off["mini_b"]["entities"] if m["start"] == 78)  # the second "Rutte"
    moved["start"] += 1
    result = score(gold, off, resamples=50).layers["entities"]
    linking, coref = result["linking_matched_mentions"], result["coreference_all_mentions"]
    assert linking["mentions"] == full["linking_matched_mentions"]["mentions"] - 1 and linking["bcubed"]["f1"] == 1.0
    assert coref["conll_f1"] < 1.0 and coref["twin_mentions"] == coref["gold_mentions"] - 1
    assert coref["predicted_mentions"] == coref["gold_mentions"]
    # the same numbers as coreference_scores on the mentions named by span
    spans = lambda lines: {(d, m["start"], m["end"]): m["entity_id"] for d, line in lines.items() for m in line["entities"]}
    expected = coreference_scores(spans(right), spans(off))
    assert coref == expected


def test_a_span_given_two_ids_has_no_twin_and_unplaced_mentions_none(mini_data):
    """A hedge of ids has no twin (which id would be the twin is decided by nothing but the id strings),
    so both its predictions are twinless: recall and precision fall, never rise."""
    gold = load_gold_data(mini_data)
    lines = _gold_entities(gold)
    n = sum(1 for line in lines.values() for m in line["entities"] if m["entity_id"] is not None)
    first = lines["mini_b"]["entities"][0]
    lines["mini_b"]["entities"] += [{**first, "entity_id": "another"}, {"text": "Nowhere", "label": "ORG", "entity_id": "nato"}]
    coref = score(gold, lines, resamples=50).layers["entities"]["coreference_all_mentions"]
    assert (coref["gold_mentions"], coref["predicted_mentions"], coref["twin_mentions"]) == (n, n + 2, n - 1)
    assert coref["bcubed_recall"] < 1.0 and coref["bcubed_precision"] < 1.0
    without_ids = {d: {"doc_id": d, "entities": [{k: v for k, v in m.items() if k != "entity_id"} for m in line["entities"]]}
                   for d, line in _gold_entities(gold).items()}
    result = score(gold, without_ids, resamples=50).layers["entities"]
    assert result["coreference_all_mentions"] == result["linking_matched_mentions"] == NOT_PREDICTED


# --- significance and intervals as printed ------------------------------------------------------------

def _report_with(per_document: dict, template: dict, name: str) -> dict:
    report = copy.deepcopy(template)
    report["predictions"]["name"] = name
    rows = [{"doc_id": d, "tp": c[0], "predicted": c[1], "gold": c[2]} for d, c in sorted(per_document.items())]
    main = report["main_scores"]["entities"]
    main["per_document"] = rows
    main["value"] = 2 * sum(r["tp"] for r in rows) / sum(r["predicted"] + r["gold"] for r in rows)
    return report


def test_compare_uses_the_exact_permutation_test_and_says_its_floor(rules_report):
    a = _report_with(SKLEARN, rules_report, "sklearn")
    b = _report_with(RULES, rules_report, "rules")
    boards = leaderboards([("runs/sklearn/report.json", a), ("runs/rules/report.json", b)])
    test = boards["entities"]["tests"][0]
    assert test["p_value"] == 0.125 and test["method"] == "exact" and test["smallest_p"] == 0.0625
    assert test["smallest_p_note"] == "with 5 documents no difference can reach p < 0.0625"
    assert test["ci95_note"] == FEW and test["ci95"][0] < test["difference"] < test["ci95"][1]
    text = format_leaderboards(boards)
    assert "paired permutation p = 0.125 (exact; with 5 documents no difference can reach p < 0.0625)" in text
    assert "bootstrap" not in text.split("paired permutation p")[1].split("\n")[0]  # no bootstrap p-value any more
    for line in text.splitlines():
        if re.search(r"\[[-+]?\d\.\d{3}, [-+]?\d\.\d{3}\]", line):
            assert FEW in line, line  # every interval printed from 5 documents is flagged


def test_compare_refuses_per_document_of_report_version_2(cli, rules_report, tmp_path):
    old = copy.deepcopy(rules_report)
    old["main_scores"]["entities"]["per_document"] = RULES
    (tmp_path / "old.json").write_text(json.dumps(old))
    result = cli("compare", tmp_path / "old.json")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1 and "report_version 3" in result.err


def test_few_documents_are_flagged_in_terminal_markdown_and_html(rules_report):
    from newsclaims.eval.report import format_html, format_markdown, format_terminal

    assert rules_report["main_scores"]["entities"]["ci95_note"] == FEW
    assert rules_report["bootstrap"]["unreliable_below_documents"] == 10
    terminal, markdown = format_terminal(rules_report), format_markdown(rules_report)
    html = format_html(rules_report, {}, {})
    for text in (terminal, markdown, html):
        assert text.count(FEW) == 3  # the interval of each layer's main score


def test_metric_info_describes_the_permutation_test():
    info = METRIC_INFO["p_value"]["aggregation"]
    assert "permutation" in info and "bootstrap" not in info and "smallest p" in info


def test_baselines_readme_reads_per_document_rows():
    from newsclaims.baselines.refresh import render_readme

    rows = [{"doc_id": d, "tp": c[0], "predicted": c[1], "gold": c[2]} for d, c in sorted(SKLEARN.items())]
    scores = {"entities": {"value": 0.887, "ci95": [0.85, 0.91], "per_document": rows},
              "quotes": {"value": NOT_PREDICTED, "ci95": [None, None], "per_document": []},
              "numeric_claims": {"value": NOT_PREDICTED, "ci95": [None, None], "per_document": []}}
    text = render_readme({"data_version": "x", "baselines": {"sklearn": {"spec": "sklearn", "seconds": 1.0, "main_scores": scores}}})
    assert "| 0 | 000_956b89daf0f4f269 | 42 | 54 | 51 | 0.800 |" in text


# --- the rules as written match the code ----------------------------------------------------------------

def test_docstrings_say_what_the_code_does():
    from newsclaims.eval import schemes, scoring

    assert "Jaccard" not in scoring.__doc__ and "smallest summed union" in scoring.__doc__
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    assert "counts equal nervaluate 1.2.1's wherever its greedy matching is" not in readme
    assert "counts equal nervaluate's\nwherever greedy matching is optimal" not in scoring.__doc__
    assert "exact per label" in scoring.__doc__ and schemes.LABELLED_SCHEMES == ("strict", "type")


nervaluate = pytest.importorskip("nervaluate")


def _spans(rnd: random.Random, n: int, length: int = 60) -> list[dict]:
    out = {}
    for _ in range(n):
        start = rnd.randint(0, length - 1)
        out[(start, min(length, start + rnd.randint(1, 8)))] = rnd.choice(["PER", "ORG", "LOC"])
    return [{"start": s, "end": e, "label": label} for (s, e), label in sorted(out.items())]


def test_what_holds_against_nervaluate_on_any_input():
    """README: the denominators are nervaluate's, the credit is never below its greedy credit, and so P,
    R and F1 equal nervaluate's wherever its greedy matching reaches the best credit (the five counts
    need not)."""
    from newsclaims.eval.scoring import scheme_scores

    rnd = random.Random(19)
    names = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
    optimal = counts_differ = 0
    for _ in range(300):
        gold = [_spans(rnd, rnd.randint(1, 6)) for _ in range(3)]
        pred = [_spans(rnd, rnd.randint(1, 6)) for _ in range(3)]
        inclusive = [[[{**s, "end": s["end"] - 1} for s in doc] for doc in docs] for docs in (gold, pred)]
        theirs = nervaluate.Evaluator(*inclusive, tags=["PER", "ORG", "LOC"]).evaluate()
        ours = scheme_scores(gold, pred, ["PER", "ORG", "LOC"])
        for scheme, name in names.items():
            ref, mine = theirs["overall"][name], ours[scheme]["overall"]
            assert (mine.actual, mine.possible) == (ref.actual, ref.possible)
            credit, greedy = mine.correct + 0.5 * mine.partial, ref.correct + 0.5 * ref.partial
            assert credit >= greedy
            if credit == greedy:
                optimal += 1
                assert (mine.prf.f1 or 0) == pytest.approx(ref.f1)
                counts_differ += mine.astuple() != (ref.correct, ref.incorrect, ref.partial, ref.missed, ref.spurious)
    assert optimal > 900 and counts_differ > 0  # the five counts do differ somewhere F1 agrees
