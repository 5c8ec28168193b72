"""newsclaims eval: hand-computed cases on the mini fixture, properties, adapters, reports, compare."""

from __future__ import annotations

import json
import math
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MINI, REPO
from newsclaims.eval.gold import load_gold_data
from newsclaims.normalise import fold_unit
from newsclaims.eval.scoring import score as score_predictions
from newsclaims.eval.spans import occurrences

sys.path.insert(0, str(REPO / "tests"))




def score(data_dir, lines):
    gold = load_gold_data(data_dir)
    return score_predictions(gold, {line["doc_id"]: line for line in lines}, resamples=200).layers


ENTITY_CASE = [
    {"doc_id": "mini_a", "entities": [
        {"start": 0, "end": 10, "label": "GPE"},                  # exact, right type
        {"start": 16, "end": 21, "label": "PERSON"},              # "Biden": overlap, right type
        {"text": "Monday", "label": "TIME"},                      # exact bounds, wrong type
        {"start": 100, "end": 112, "label": "ORG"},               # "the Pentagon": overlap, right type
        {"start": 31, "end": 35, "label": "ORG"}]},               # "move": spurious
    {"doc_id": "mini_b", "entities": []},                         # four gold mentions missed
]


@pytest.mark.parametrize("scheme,counts,p,r,f1", [
    # (correct, incorrect, partial, missed, spurious); worked out by hand in the comments above
    ("strict", (1, 3, 0, 4, 1), 1 / 5, 1 / 8, 2 * (1 / 5) * (1 / 8) / (1 / 5 + 1 / 8)),
    ("exact", (2, 2, 0, 4, 1), 2 / 5, 2 / 8, 2 * 0.4 * 0.25 / 0.65),
    ("partial", (2, 0, 2, 4, 1), 3 / 5, 3 / 8, 2 * 0.6 * 0.375 / 0.975),
    ("type", (3, 1, 0, 4, 1), 3 / 5, 3 / 8, 2 * 0.6 * 0.375 / 0.975),
])
def test_entity_schemes_by_hand(mini_data, scheme, counts, p, r, f1):
    micro = score(mini_data, ENTITY_CASE)["entities"]["schemes"][scheme]["micro"]
    assert (micro["correct"], micro["incorrect"], micro["partial"], micro["missed"], micro["spurious"]) == counts
    assert micro["precision"] == pytest.approx(p) and micro["recall"] == pytest.approx(r) and micro["f1"] == pytest.approx(f1)


def test_entity_per_label_and_main_score(mini_data):
    result = score(mini_data, ENTITY_CASE)["entities"]
    per_label = result["schemes"]["strict"]["per_label"]
    # Within DATE: the gold Monday is missed (the prediction is TIME); within TIME: one spurious.
    assert (per_label["DATE"]["missed"], per_label["DATE"]["correct"]) == (1, 0)
    assert (per_label["TIME"]["spurious"], per_label["TIME"]["f1"]) == (1, 0.0)
    assert per_label["GPE"]["f1"] == 1.0
    assert result["main"]["value"] == pytest.approx(2 * (1 / 5) * (1 / 8) / (1 / 5 + 1 / 8))
    assert result["main"]["per_document"] == [{"doc_id": "mini_a", "tp": 1, "predicted": 5, "gold": 4},
                                              {"doc_id": "mini_b", "tp": 0, "predicted": 0, "gold": 4}]
    assert result["linking_matched_mentions"] == "not predicted"


@pytest.mark.parametrize("ids,bcubed_f1,ceaf_f1", [
    (["a", "b", "c", "b"], 1.0, 1.0),                    # other names, same clusters
    (["a", "b", "c", "d"], 2 * 0.75 / 1.75, 2 * (8 / 12) * (8 / 9) / (8 / 12 + 8 / 9)),  # Rutte split off
])
def test_linking_by_hand(mini_data, ids, bcubed_f1, ceaf_f1):
    gold = json.loads((MINI / "annotations" / "gold" / "mini_b.json").read_text("utf-8"))["entities"]
    preds = [{"start": g["start"], "end": g["end"], "label": g["label"], "entity_id": i} for g, i in zip(gold, ids)]
    linking = score(mini_data, [{"doc_id": "mini_b", "entities": preds}])["entities"]["linking_matched_mentions"]
    assert linking["mentions"] == 4
    assert linking["bcubed"]["f1"] == pytest.approx(bcubed_f1)
    assert linking["ceaf_e"]["f1"] == pytest.approx(ceaf_f1)


QUOTE_CASE = [
    {"doc_id": "mini_a", "quotes": [
        {"text": "very dangerous", "type": "direct", "speaker": "Joe Biden"},             # boundary off by one, speaker by alias
        {"text": "About 10,000 troops", "speaker": {"start": 104, "end": 112}}]},         # overlap, speaker by span, no type
    {"doc_id": "mini_b", "quotes": [
        {"text": "a significant escalation", "type": "indirect", "speaker_id": "mark_rutte"},  # exact, wrong type, speaker by id
        {"text": "NATO chief", "speaker": "NATO"}]},                                     # spurious
]


def test_quotes_by_hand(mini_data):
    q = score(mini_data, QUOTE_CASE)["quotes"]
    assert q["main"]["value"] == pytest.approx(0.75)  # 3 speakers right of 3 overlap pairs; 4 predicted, 4 gold
    strict = q["content"]["exact_span"]
    assert (strict["correct"], strict["incorrect"], strict["missed"], strict["spurious"]) == (1, 2, 1, 1)
    assert q["content"]["token_overlap"]["precision"] == pytest.approx(8 / 10)
    assert q["content"]["token_overlap"]["recall"] == pytest.approx(8 / 22)
    assert q["type_accuracy"] == {"right": 1, "total": 3, "accuracy": pytest.approx(1 / 3)}
    assert q["speaker_accuracy"]["accuracy"] == 1.0
    assert q["cue"] == "not predicted" and q["quote_group_bcubed"] == "not predicted"


CLAIM_CASE = [
    {"doc_id": "mini_a", "numeric_claims": [
        {"text": "10,000", "value": 10000, "unit": "Troops", "approx": "approximate", "source": "the Pentagon"},
        {"text": "10,000 troops"}]},                                                     # spurious (the span is taken)
    {"doc_id": "mini_b", "numeric_claims": [
        {"text": "600,000", "value": 600000.0000001, "unit": "russians", "approx": "exact", "source_id": "author"}]},
]


def test_numeric_claims_by_hand(mini_data):
    c = score(mini_data, CLAIM_CASE)["numeric_claims"]
    assert c["main"]["value"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))  # 1 right of 3 predicted, 2 gold
    assert c["value_accuracy"]["accuracy"] == 1.0 and c["unit_accuracy"]["accuracy"] == 1.0
    assert c["approx_accuracy"]["accuracy"] == 0.5 and c["source_accuracy"]["accuracy"] == 0.5
    assert c["span"]["exact_span"]["spurious"] == 1


def test_a_field_no_record_gives_is_not_predicted(mini_data):
    """Only the field's own metrics are "not predicted"; a main score that needs it counts it wrong."""
    lines = [{"doc_id": "mini_a", "entities": [{"start": 0, "end": 10}], "quotes": [{"text": "very dangerous."}]}]
    result = score(mini_data, lines)
    for scheme in ("strict", "type"):  # the schemes that judge the type have per-label views
        assert result["entities"]["schemes"][scheme]["per_label"] == "not predicted"
        assert result["entities"]["schemes"][scheme]["macro_f1"] == "not predicted"
    assert result["entities"]["schemes"]["strict"]["micro"]["correct"] == 0
    assert result["entities"]["schemes"]["exact"]["micro"]["correct"] == 1
    assert result["entities"]["main"]["value"] == 0.0
    assert result["quotes"]["main"]["value"] == 0.0  # the gold quote has a speaker; none was given
    assert result["quotes"]["speaker_accuracy"] == "not predicted"
    assert result["numeric_claims"] == "not predicted"


def test_unaligned_text_is_a_listed_false_positive(mini_data):
    lines = [{"doc_id": "mini_a", "entities": [{"text": "Kyiv", "label": "GPE"}, {"text": "Washington", "label": "GPE", "occurrence": 3}]}]
    ent = score(mini_data, lines)["entities"]
    assert ent["schemes"]["strict"]["micro"]["spurious"] == 2
    unplaced = [e for e in ent["errors"] if e["class"] == "unplaced"]
    assert sorted((u["predicted"]["text"], u["reason"]) for u in unplaced) == [
        ("Kyiv", "the text does not occur in the document"), ("Washington", "occurrence 3 of the text not found (1 occurrences)")]
    assert ent["error_summary"]["counts"]["unplaced"] == 2


def test_occurrence_rule():
    assert occurrences("Russia Russian Russia’s", "Russia") == [0, 15]
    assert occurrences("a-b a - b", "-") == [1, 6]  # punctuation continues no word
    assert occurrences("the U.S.A team and the U.S. team", "U.S.") == [23]  # a full stop does
    assert occurrences("Pentagon: troops", ":") == [8]


@pytest.mark.parametrize("unit,folded", [("Soldiers", "soldier"), ("casualties", "casualty"), ("troop", "troop"), ("loss", "loss"),
                                         ("boxes", "box"), ("series", "series"), ("churches", "church"), ("North Korean  Troops", "north korean troop"),
                                         (None, None)])
def test_unit_folding(unit, folded):
    assert fold_unit(unit) == folded


# --- properties ------------------------------------------------------------------------------------

def _gold_lines():
    lines = []
    for doc in sorted((MINI / "annotations" / "gold").glob("*.json")):
        g = json.loads(doc.read_text("utf-8"))
        lines.append({k: g[k] for k in ("doc_id", "entities", "quotes", "numeric_claims")})
    return lines


def _mains(result):
    return {layer: r["main"]["value"] for layer, r in result.items()}


def test_gold_scores_one_everywhere(mini_data):
    result = score(mini_data, _gold_lines())
    assert _mains(result) == {"entities": 1.0, "quotes": 1.0, "numeric_claims": 1.0}
    for scheme in ("strict", "exact", "partial", "type"):
        assert result["entities"]["schemes"][scheme]["micro"]["f1"] == 1.0
    assert result["entities"]["linking_matched_mentions"]["ceaf_e"]["f1"] == 1.0
    assert result["quotes"]["content"]["token_overlap"]["f1"] == 1.0


@st.composite
def perturbed(draw):
    """Gold records, some dropped, some shifted or relabelled, in a random order."""
    lines = _gold_lines()
    for line in lines:
        records = []
        for rec in line["entities"]:
            if draw(st.booleans()):
                rec = dict(rec)
                if draw(st.booleans()):
                    rec["label"] = draw(st.sampled_from(["PERSON", "ORG", "GPE", "DATE"]))
                if draw(st.booleans()) and rec["end"] - rec["start"] > 1:
                    rec["start"] += 1
                    rec.pop("text")
                records.append(rec)
        line["entities"] = draw(st.permutations(records))
        line["quotes"] = draw(st.permutations([q for q in line["quotes"] if draw(st.booleans())]))
    return lines


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True)
@given(perturbed(), st.randoms())
def test_reordering_changes_nothing(mini_data, lines, rnd):
    shuffled = [dict(line) for line in lines]
    for line in shuffled:
        for layer in ("entities", "quotes"):
            line[layer] = list(line[layer])
            rnd.shuffle(line[layer])
    rnd.shuffle(shuffled)
    a, b = score(mini_data, lines), score(mini_data, shuffled)
    assert a["entities"]["schemes"] == b["entities"]["schemes"]
    assert _mains(a) == _mains(b)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(perturbed())
def test_a_false_positive_never_raises_precision(mini_data, lines):
    before = score(mini_data, lines)["entities"]["schemes"]
    lines[0]["entities"] = list(lines[0]["entities"]) + [{"start": 31, "end": 35, "label": "ORG"}]  # "move"
    after = score(mini_data, lines)["entities"]["schemes"]
    for scheme in ("strict", "exact", "partial", "type"):
        assert (after[scheme]["micro"]["precision"] or 0) <= (before[scheme]["micro"]["precision"] or 0) + 1e-12


@settings(max_examples=40, deadline=None, derandomize=True)
@given(perturbed(), st.data())
def test_removing_a_prediction_never_raises_recall(mini_data, lines, data):
    candidates = [(i, j) for i, line in enumerate(lines) for j in range(len(line["entities"]))]
    if not candidates:
        return
    before = score(mini_data, lines)["entities"]["schemes"]
    i, j = data.draw(st.sampled_from(candidates))
    lines[i]["entities"] = [r for k, r in enumerate(lines[i]["entities"]) if k != j]
    after = score(mini_data, lines)["entities"]["schemes"]
    for scheme in ("strict", "exact", "partial", "type"):
        assert (after[scheme]["micro"]["recall"] or 0) <= (before[scheme]["micro"]["recall"] or 0) + 1e-12


# --- the command line, adapters and reports ---------------------------------------------------------

def _write(path: Path, lines) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def test_eval_writes_self_describing_reports(cli, mini_data, tmp_path):
    preds = _write(tmp_path / "p.jsonl", ENTITY_CASE)
    result = cli("eval", "--data", mini_data, "--predictions", preds, "--output", tmp_path / "out")
    assert result.code == 0, result.err
    assert "strict micro F1" in result.out
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert report["dataset"]["data_version"] == "1.0.0" and len(report["dataset"]["gold_sha256"]) == 64
    assert report["main_scores"]["entities"]["higher_is_better"] is True
    assert report["main_scores"]["entities"]["n_documents"] == 2
    assert report["main_scores"]["quotes"]["value"] == "not predicted"
    assert set(report["schemes"]) == {"strict", "exact", "partial", "type"}
    assert report["newsclaims_version"] and "elapsed_seconds" in report
    low, high = report["main_scores"]["entities"]["ci95"]
    assert 0 <= low <= report["main_scores"]["entities"]["value"] <= high <= 1
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert "Washington" in html and "<span class=\"both\">" in html
    assert "report.md" in [p.name for p in (tmp_path / "out").iterdir()]


def test_report_html_escapes_everything():
    from newsclaims.eval.report import format_html

    report = {"predictions": {"name": "<script>x</script>"}, "dataset": {"data_version": "1", "documents": 1},
              "newsclaims_version": "0", "main_scores": {"entities": {"name": "<x>", "value": 0.5, "ci95": [None, None], "tp": 1,
                                                                      "predicted": 2, "gold": 2}},
              "layers": {"entities": {"schemes": {"strict": {"per_label": "not predicted"}}}},
              "errors": {"entities": [{"class": "<u>spurious</u>", "doc_id": "d", "predicted": {"context": "<b>bold</b>"}},
                                      {"class": "unplaced", "doc_id": "d", "predicted": {"text": "<i>", "length": 3}, "reason": "&"}]},
              "error_summary": {"entities": {"counts": {"<u>spurious</u>": 1, "unplaced": 1}, "listed_per_class_at_most": 1000}}}
    out = format_html(report, {"d": "a <script>alert(1)</script> b"}, {"d": {"entities": ([(2, 10)], [])}})
    assert "<script>" not in out and "<b>bold" not in out and "&lt;script&gt;" in out


def test_bootstrap_interval_is_seeded(cli, mini_data, tmp_path):
    preds = _write(tmp_path / "p.jsonl", ENTITY_CASE)
    first = json.loads(cli("eval", "--data", mini_data, "--predictions", preds, "--json").out)
    second = json.loads(cli("eval", "--data", mini_data, "--predictions", preds, "--json").out)
    assert first["main_scores"] == second["main_scores"]


def test_missing_document_is_a_warning(cli, mini_data, tmp_path):
    preds = _write(tmp_path / "p.jsonl", [ENTITY_CASE[0]])
    result = cli("eval", "--data", mini_data, "--predictions", preds)
    assert result.code == 0
    assert f"{preds}: warning: no line for document mini_b; it scores as predicted-nothing" in result.err


@pytest.mark.parametrize("content,message", [
    (b"", "found an empty file"),
    (b'{"doc_id": "mini_a", "entities": [{"start": 3, "end": 1}]}\n', "1: entities[0]: end: found end 1 <= start 3"),
    (b'{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": NaN}]}\n', "numeric_claims[0].value: found NaN"),
    (b"\xff\n", "found the byte 0xff"),
])
def test_bad_predictions_exit_2_and_write_nothing(cli, mini_data, tmp_path, content, message):
    preds = tmp_path / "p.jsonl"
    preds.write_bytes(content)
    result = cli("eval", "--data", mini_data, "--predictions", preds, "--output", tmp_path / "out")
    assert result.code == 2 and message in result.err and "Traceback" not in result.err
    assert not (tmp_path / "out").exists()


def test_model_callable(cli, mini_data, tmp_path):
    result = cli("eval", "--data", mini_data, "--model", "fixtures.models:capitalised", "--workers", "2", "--output", tmp_path / "out")
    assert result.code == 0, result.err
    saved = [json.loads(l) for l in (tmp_path / "out" / "predictions.jsonl").read_text().splitlines()]
    assert [s["doc_id"] for s in saved] == ["mini_a", "mini_b"]
    again = cli("eval", "--data", mini_data, "--predictions", tmp_path / "out" / "predictions.jsonl", "--json")
    assert json.loads(again.out)["main_scores"]["entities"]["value"] == \
        json.loads((tmp_path / "out" / "report.json").read_text())["main_scores"]["entities"]["value"]


@pytest.mark.parametrize("spec,message", [
    ("fixtures.models:crashing", "model fixtures.models:crashing: document mini_a: found RuntimeError: model weights missing"),
    ("fixtures.models:malformed", "entities[0]: end: found end 2 <= start 5"),
    ("fixtures.models:nothing_here", "AttributeError"),
    ("no_such_baseline", "expected a shipped baseline"),
])
def test_model_failures_are_one_line(cli, mini_data, spec, message):
    result = cli("eval", "--data", mini_data, "--model", spec)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_command_adapter(cli, mini_data, tmp_path):
    script = tmp_path / "tagger.py"
    script.write_text("import json, sys\nfor line in sys.stdin:\n    d = json.loads(line)\n"
                      "    print(json.dumps({'doc_id': d['doc_id'], 'entities': [{'text': d['text'].split()[0].strip(':'), 'label': 'GPE'}]}))\n")
    result = cli("eval", "--data", mini_data, "--command", f"{sys.executable} {script}", "--workers", "2", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["layers"]["entities"]["schemes"]["strict"]["micro"]["correct"] == 1  # Washington


@pytest.mark.parametrize("body,message", [
    ("import sys; sys.exit(3)", "exit status 3"),
    ("import time; time.sleep(30)", "no answer after 0.4 s (1 documents)"),
    ("print('not json')", "invalid JSON"),
])
def test_command_failures_are_one_line(cli, mini_data, tmp_path, body, message):
    script = tmp_path / "bad.py"
    script.write_text(body + "\n")
    result = cli("eval", "--data", mini_data, "--command", f"{sys.executable} {script}", "--workers", "2", "--timeout", "0.4")
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


class _Endpoint(BaseHTTPRequestHandler):
    reply = ""
    status = 200
    seen_auth: list = []

    def do_POST(self):  # noqa: N802 - the http.server API
        length = int(self.headers["Content-Length"])
        request = json.loads(self.rfile.read(length))
        _Endpoint.seen_auth.append(self.headers.get("Authorization"))
        text = request["messages"][1]["content"]
        body = _Endpoint.reply(text) if callable(_Endpoint.reply) else _Endpoint.reply
        self.send_response(_Endpoint.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    server = HTTPServer(("127.0.0.1", 0), _Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Endpoint.seen_auth = []
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def _chat(content: str) -> str:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})


def test_openai_endpoint_with_lenient_reply(cli, mini_data, endpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123")
    _Endpoint.status = 200
    _Endpoint.reply = lambda text: _chat(
        "Here you go:\n```json\n" + json.dumps({"entities": [{"text": "Washington", "label": "gpe"}] if "Washington" in text else [],
                                               "quotes": [{"text": "very dangerous.", "speaker": "Joe Biden", "type": "Direct"}]
                                               if "dangerous" in text else []}) + "\n```\nDone.")
    result = cli("eval", "--data", mini_data, "--openai-base-url", endpoint, "--openai-model", "tiny", "--output", tmp_path / "out")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["layers"]["entities"]["schemes"]["strict"]["micro"]["correct"] == 1
    assert report["layers"]["quotes"]["speaker_accuracy"]["right"] == 1
    assert _Endpoint.seen_auth == ["Bearer sk-test-secret-123"] * 2
    written = "".join(p.read_text() for p in (tmp_path / "out").iterdir())
    assert "sk-test-secret-123" not in written + result.out + result.err


@pytest.mark.parametrize("status,body,message", [
    (200, "<html>oops</html>", "found a body that is not a chat completion"),
    (200, _chat("I cannot help with that."), "found \"I cannot help with that.\"; expected a JSON object"),
    (500, "{}", "found HTTP 500"),
])
def test_endpoint_garbage_is_one_line(cli, mini_data, endpoint, status, body, message, monkeypatch):
    from newsclaims.eval.adapters import openai_client

    monkeypatch.setattr(openai_client, "SLEEP", lambda seconds: None)  # a 500 is retried: no real waiting here
    _Endpoint.status, _Endpoint.reply = status, body
    result = cli("eval", "--data", mini_data, "--openai-base-url", endpoint, "--openai-model", "tiny")
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_compare_is_a_leaderboard_with_paired_tests(cli, mini_data, tmp_path):
    good = _write(tmp_path / "good.jsonl", _gold_lines())
    weak = _write(tmp_path / "weak.jsonl", ENTITY_CASE)
    for name, preds in (("good", good), ("weak", weak)):
        assert cli("eval", "--data", mini_data, "--predictions", preds, "--output", tmp_path / name).code == 0
    result = cli("compare", tmp_path / "weak" / "report.json", tmp_path / "good" / "report.json")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "## entities" and "good.jsonl" in lines[2] and "weak.jsonl" in lines[3]  # best first
    assert "paired permutation p =" in result.out and "p = 0.000" not in result.out


def test_not_json_report_is_refused(cli, tmp_path):
    bad = tmp_path / "report.json"
    bad.write_text("{}")
    result = cli("compare", bad)
    assert result.code == 2 and "main_scores: found nothing; expected a report.json written by newsclaims eval --output" in result.err


def test_packaged_gold_scores_itself(cli, tmp_path):
    gold = load_gold_data()
    lines = [{"doc_id": d, **{layer: [{k: v for k, v in r.items() if k not in ("doc_id", "fold")} for r in gold.layers[layer][d]]
                              for layer in ("entities", "quotes", "numeric_claims")}} for d in gold.texts]
    preds = _write(tmp_path / "gold.jsonl", lines)
    report = json.loads(cli("eval", "--predictions", preds, "--json").out)
    assert {k: v["value"] for k, v in report["main_scores"].items()} == {"entities": 1.0, "quotes": 1.0, "numeric_claims": 1.0}
    assert not math.isnan(report["elapsed_seconds"])


def test_layers_option_restricts_scoring(cli, mini_data, tmp_path):
    preds = _write(tmp_path / "p.jsonl", _gold_lines())
    report = json.loads(cli("eval", "--data", mini_data, "--predictions", preds, "--layers", "quotes", "--json").out)
    assert list(report["main_scores"]) == ["quotes"]
    bad = cli("eval", "--data", mini_data, "--predictions", preds, "--layers", "quotes,claims")
    assert bad.code == 2 and "--layers: found \"quotes,claims\"; expected a comma-separated list" in bad.err


def test_per_label_views_of_quotes_and_claims(mini_data):
    result = score(mini_data, _gold_lines())
    assert set(result["quotes"]["content"]["per_type_exact_span"]) == {"direct", "indirect"}
    assert set(result["numeric_claims"]["span"]["per_approx_exact_span"]) == {"approximate", "at_least"}
    assert result["numeric_claims"]["span"]["macro_f1_over_approx"] == 1.0


def test_eval_on_a_predictions_file_imports_nothing_heavy(tmp_path):
    import subprocess

    preds = _write(tmp_path / "p.jsonl", [{"doc_id": "000_956b89daf0f4f269", "entities": []}])
    code = ("import sys; from newsclaims.cli import main; main(['eval', '--predictions', sys.argv[1]]); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'datasets', 'pandas', 'sklearn', 'scipy', 'pyarrow'}))")
    run = subprocess.run([sys.executable, "-c", code, str(preds)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_benchmark_script_runs_and_agrees_with_nervaluate(tmp_path):
    """The benchmark at a small size: it exits 0 only when the counts equal nervaluate's."""
    import subprocess

    run = subprocess.run([sys.executable, "-m", "newsclaims.eval.bench", "--docs", "40", "--spans", "10", "--large-spans", "500",
                          "--repeats", "1"], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "| newsclaims |" in run.stdout and "| newsclaims eval |" in run.stdout
    assert run.stdout.count("identical") == 2 and "DIFFERENT" not in run.stdout


@pytest.mark.parametrize("reply,value", [("1.5 million", 1_500_000), ("10,000", 10_000), ("about 3,000 troops", 3_000),
                                         ("3 thousand", 3_000), ("2.5", 2.5), (7, 7), ("none", None), (True, None)])
def test_endpoint_values_in_words_read_whole(reply, value):
    """An LLM writes "1.5 million": that is 1,500,000, not 1.5."""
    from newsclaims.eval.adapters.openai_client import _number

    assert _number(reply) == value
