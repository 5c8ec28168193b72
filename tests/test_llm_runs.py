"""An LLM behind an OpenAI-compatible server as a first-class run (issue 22 items 2, 3, 5, 7; issue 24
item 5): structured output with a probe, prompts as versioned data, worked examples from the other
documents' gold, what report.json records, keep-alive connections, the reply cache and --show-prompt.

Every server here is ``newsclaims.eval.bench.fake_chat.FakeChat`` on loopback, of one of three
kinds: it accepts response_format and follows the schema, refuses it with HTTP 400, or ignores it.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from newsclaims.eval.adapters import chat_prompt
from newsclaims.eval.bench.fake_chat import FakeChat
from newsclaims.labels import LAYERS

from conftest import REPO

DOCS = [d["doc_id"] for d in json.loads((REPO / "seeds" / "MANIFEST.json").read_text("utf-8"))["documents"]]


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-llm-runs-0000")  # a key sent: no "no API key" warning line


def endpoint_run(cli, fake: FakeChat, *extra, output=None):
    args = ["eval", "--openai-base-url", fake.url, "--openai-model", "tiny", *extra]
    if output is not None:
        args += ["--output", output]
    return cli(*args)


def report_of(folder) -> dict:
    return json.loads((folder / "report.json").read_text("utf-8"))


# --- the answer schema ---------------------------------------------------------------------------------

def _objects(node):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_the_answer_schema_is_the_predictions_schema_in_strict_text_span_form():
    schema = chat_prompt.answer_schema()
    line = json.loads((REPO / "src/newsclaims/schemas/predictions_line.schema.json").read_text("utf-8"))
    assert list(schema["properties"]) == list(LAYERS) and "doc_id" not in schema["properties"]
    for layer in LAYERS:
        fields = schema["properties"][layer]["items"]["properties"]
        declared = line["properties"][layer]["items"]["properties"]
        # every field of the predictions schema is kept or left out by a stated rule
        assert set(fields) == set(declared) - set(chat_prompt.OFFSET_FIELDS) - set(chat_prompt.REGISTRY_FIELDS)
        assert fields["text"] == {"type": "string"} and "occurrence" in fields
        for name, spec in fields.items():
            if name != "text":
                assert "null" in spec["type"], (layer, name)  # strict mode: optional is a union with null
            if "enum" in spec:
                assert spec["enum"][-1] is None
    # OpenAI strict mode: every object lists all its properties as required and allows no others
    for obj in _objects(schema):
        assert obj["additionalProperties"] is False and obj["required"] == list(obj["properties"])
    text = json.dumps(schema)
    for keyword in ("$ref", "allOf", "anyOf", "minimum", "minLength", "pattern", "dependentRequired"):
        assert f'"{keyword}"' not in text
    assert chat_prompt.response_format() == {"type": "json_schema", "json_schema": {
        "name": "newsclaims_predictions", "schema": schema, "strict": True}}


def test_every_gold_document_as_an_answer_follows_the_schema_and_scores_like_the_gold(cli, tmp_path):
    from newsclaims.eval.adapters.openai_client import lenient_prediction
    from newsclaims.eval.gold import load_gold_data

    gold = load_gold_data()
    lines = []
    for doc_id, text in gold.texts.items():
        answer = chat_prompt.gold_answer(text, {layer: gold.layers[layer][doc_id] for layer in LAYERS})
        assert chat_prompt.follows_schema(json.dumps(answer))
        lines.append(json.dumps(lenient_prediction(doc_id, answer), ensure_ascii=False))  # as a reply is read
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("eval", "--predictions", path, "--layers", "entities", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["main_scores"]["entities"]["value"] == 1.0


# --- structured output: a probe, recorded -----------------------------------------------------------------

def test_a_server_that_accepts_the_schema_gets_it_with_every_request(cli, tmp_path):
    with FakeChat("accepts") as fake:
        result = endpoint_run(cli, fake, output=tmp_path / "out")
    assert result.code == 0, result.err
    assert fake.requests == len(DOCS) and all("response_format" in b for b in fake.bodies)
    assert fake.bodies[0]["response_format"] == chat_prompt.response_format()
    structured = report_of(tmp_path / "out")["predictions"]["structured"]
    assert structured == {"mode": "auto", "sent": True, "probe": {"doc_id": DOCS[0], "outcome": "followed", "from_cache": False},
                          "replies_following_schema": len(DOCS), "replies": len(DOCS)}
    assert f"JSON Schema sent, followed by {len(DOCS)} of {len(DOCS)} replies" in result.out


def test_a_server_that_refuses_the_schema_gets_prompt_only_json(cli, tmp_path):
    with FakeChat("refuses") as fake:
        result = endpoint_run(cli, fake, output=tmp_path / "out")
    assert result.code == 0, result.err
    # one probe: the first document with the schema (HTTP 400), then every document without it
    assert fake.requests == len(DOCS) + 1
    assert "response_format" in fake.bodies[0] and not any("response_format" in b for b in fake.bodies[1:])
    report = report_of(tmp_path / "out")
    structured = report["predictions"]["structured"]
    assert structured["sent"] is False and structured["probe"]["outcome"] == "refused"
    assert structured["probe"]["found"].startswith("HTTP 400 Bad Request: ") and "not supported" in structured["probe"]["found"]
    assert report["main_scores"]["entities"]["value"] > 0  # the answers inside prose were read
    assert "the server refused the JSON Schema" in result.out


def test_a_server_that_ignores_the_schema_is_recorded_as_such(cli, tmp_path):
    with FakeChat("ignores") as fake:
        result = endpoint_run(cli, fake, output=tmp_path / "out")
    assert result.code == 0, result.err
    assert fake.requests == len(DOCS)
    structured = report_of(tmp_path / "out")["predictions"]["structured"]
    assert structured["probe"]["outcome"] == "ignored" and structured["replies_following_schema"] == 0
    assert report_of(tmp_path / "out")["main_scores"]["entities"]["value"] > 0


@pytest.mark.parametrize("kind,found", [("refuses", "found HTTP 400 Bad Request: "),
                                        ("ignores", "found a reply that does not follow the JSON Schema")])
def test_structured_on_refuses_a_server_without_it_in_one_line(cli, tmp_path, kind, found):
    with FakeChat(kind) as fake:
        result = endpoint_run(cli, fake, "--structured", "on", output=tmp_path / "out")
    assert result.code == 2 and len(result.err_lines) == 1, result.err
    assert f"document {DOCS[0]}: response_format: {found}" in result.err and "--structured on" in result.err
    assert "Traceback" not in result.err and fake.requests == 1 and not (tmp_path / "out").exists()


def test_structured_off_sends_no_schema_and_no_probe(cli, tmp_path):
    with FakeChat("refuses") as fake:
        result = endpoint_run(cli, fake, "--structured", "off", output=tmp_path / "out")
    assert result.code == 0, result.err
    assert fake.requests == len(DOCS) and not any("response_format" in b for b in fake.bodies)
    assert report_of(tmp_path / "out")["predictions"]["structured"] == {"mode": "off", "sent": False, "probe": None}


# --- the reply cache: a second run sends nothing ----------------------------------------------------------

@pytest.mark.parametrize("kind", ["accepts", "refuses"])
def test_a_second_run_with_the_cache_sends_no_request(cli, tmp_path, kind):
    cache = tmp_path / "cache"
    with FakeChat(kind) as fake:
        first = endpoint_run(cli, fake, "--cache", cache, output=tmp_path / "one")
        sent = fake.requests
        second = endpoint_run(cli, fake, "--cache", cache, output=tmp_path / "two")
        assert first.code == 0 and second.code == 0, first.err + second.err
        assert fake.requests == sent  # nothing, not even the probe
    one, two = report_of(tmp_path / "one"), report_of(tmp_path / "two")
    assert two["predictions"]["usage"]["requests_sent"] == 0 and two["predictions"]["usage"]["replies_from_cache"] == len(DOCS)
    assert one["main_scores"] == two["main_scores"]
    assert two["predictions"]["structured"]["sent"] == one["predictions"]["structured"]["sent"]
    assert two["predictions"]["structured"]["probe"]["from_cache"] is True


def test_a_refusal_kept_in_the_cache_still_refuses_structured_on(cli, tmp_path):
    cache = tmp_path / "cache"
    with FakeChat("refuses") as fake:
        assert endpoint_run(cli, fake, "--cache", cache).code == 0
        sent = fake.requests
        result = endpoint_run(cli, fake, "--cache", cache, "--structured", "on")
        assert fake.requests == sent  # the verdict came from the cache
    assert result.code == 2 and "response_format: found HTTP 400 Bad Request" in result.err


@pytest.mark.parametrize("change", [("--temperature", "0.7"), ("--openai-seed", "7"), ("--max-tokens", "100"), ("--shots", "1"),
                                    ("--structured", "off"), ("--prompt", "PROMPT")])
def test_whatever_changes_the_request_changes_the_cache_key(cli, tmp_path, change):
    cache = tmp_path / "cache"
    prompt = tmp_path / "prompt.json"
    default = json.loads(chat_prompt.DEFAULT_PROMPT.read_text("utf-8"))
    prompt.write_text(json.dumps({**default, "version": "2", "system": default["system"] + " Be brief."}), encoding="utf-8")
    option, value = change
    with FakeChat("accepts") as fake:
        assert endpoint_run(cli, fake, "--cache", cache).code == 0
        sent = fake.requests
        result = endpoint_run(cli, fake, "--cache", cache, option, str(prompt) if value == "PROMPT" else value)
        assert result.code == 0, result.err
        assert fake.requests == sent + len(DOCS)


# --- prompts as versioned data, shots, what the report records -----------------------------------------

def test_the_report_records_prompt_options_usage_and_latency(cli, tmp_path):
    with FakeChat("accepts") as fake:
        result = endpoint_run(cli, fake, "--temperature", "0.2", "--openai-seed", "3", "--max-tokens", "2000", output=tmp_path / "out")
    assert result.code == 0, result.err
    source = report_of(tmp_path / "out")["predictions"]
    assert source["kind"] == "openai endpoint" and source["model"] == "tiny" and source["models_reported"] == ["fake/tiny"]
    assert source["prompt"] == {"id": "newsclaims-extract", "version": "1", "file": "(packaged) eval/prompts/extract.json",
                                "sha256": hashlib.sha256(chat_prompt.DEFAULT_PROMPT.read_bytes()).hexdigest()}
    assert source["request"] == {"temperature": 0.2, "seed": 3, "max_tokens": 2000}
    assert all(b["temperature"] == 0.2 and b["seed"] == 3 and b["max_tokens"] == 2000 for b in fake.bodies)
    rows = source["per_document"]
    assert [r["doc_id"] for r in rows] == DOCS
    by_article = {b["messages"][-1]["content"]: b for b in fake.bodies}
    assert len(by_article) == len(DOCS)
    expected = sorted(sum(len(m["content"]) for m in b["messages"]) // 4 for b in fake.bodies)
    assert sorted(r["prompt_tokens"] for r in rows) == expected
    usage = source["usage"]
    assert usage["prompt_tokens"] == sum(expected) and usage["completion_tokens"] == sum(r["completion_tokens"] for r in rows)
    assert usage["requests_sent"] == len(DOCS) and usage["replies_from_cache"] == 0
    assert all(r["seconds"] >= 0 and r["finish_reason"] == "stop" and r["cached"] is False for r in rows)
    assert usage["latency_seconds"]["max"] == max(r["seconds"] for r in rows)
    assert re.search(r"prompt newsclaims-extract v1 \(sha256 [0-9a-f]{12}\), 0 shots", result.out)
    assert "server model fake/tiny" in result.out and f"{usage['prompt_tokens']:,} prompt + " in result.out
    assert "- endpoint run: prompt newsclaims-extract v1" in (tmp_path / "out" / "report.md").read_text("utf-8")


def test_a_prompt_file_of_ones_own_is_used_and_recorded(cli, tmp_path):
    prompt = tmp_path / "mine.json"
    prompt.write_text(json.dumps({"id": "terse", "version": "2025-01", "system": "Extract.", "user": "<<<\n{text}\n>>>"}), encoding="utf-8")
    with FakeChat("accepts") as fake:
        result = endpoint_run(cli, fake, "--prompt", prompt, output=tmp_path / "out")
    assert result.code == 0, result.err
    assert {b["messages"][0]["content"] for b in fake.bodies} == {"Extract."}
    recorded = report_of(tmp_path / "out")["predictions"]["prompt"]
    assert recorded == {"id": "terse", "version": "2025-01", "sha256": hashlib.sha256(prompt.read_bytes()).hexdigest(), "file": str(prompt)}


@pytest.mark.parametrize("content,found", [
    ('{"id": "x", "version": "1", "system": "s"}', "user: found nothing"),
    ('{"id": "x", "version": "1", "system": "s", "user": "no slot"}', "user: found a template holding {text} 0 times"),
    ('{"id": "x", "version": 1, "system": "s", "user": "{text}"}', "version: found 1"),
    ('{"id": "x", "version": "1", "system": "s", "user": "{text}", "shots": 2}', "shots: found a field a prompt does not have"),
    ("not json", "found invalid JSON"),
])
def test_a_bad_prompt_file_is_one_line_before_any_request(cli, tmp_path, content, found):
    prompt = tmp_path / "bad.json"
    prompt.write_text(content, encoding="utf-8")
    with FakeChat("accepts") as fake:
        result = endpoint_run(cli, fake, "--prompt", prompt)
    assert result.code == 2 and len(result.err_lines) == 1 and found in result.err, result.err
    assert "Traceback" not in result.err and fake.requests == 0


def test_shots_are_the_following_documents_gold_never_the_scored_one(cli, tmp_path):
    from newsclaims.eval.gold import load_gold_data

    gold = load_gold_data()
    with FakeChat("accepts") as fake:
        result = endpoint_run(cli, fake, "--shots", "2", output=tmp_path / "out")
    assert result.code == 0, result.err
    shots = report_of(tmp_path / "out")["predictions"]["shots"]
    order = sorted(DOCS)
    assert shots["count"] == 2 and "doc_id order, wrapping around" in shots["rule"]
    for i, doc_id in enumerate(order):
        assert shots["by_document"][doc_id] == [order[(i + 1) % len(order)], order[(i + 2) % len(order)]]
    for body in fake.bodies:
        roles = [m["role"] for m in body["messages"]]
        assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
        article = body["messages"][-1]["content"]
        doc_id = next(d for d in DOCS if gold.texts[d] in article)
        for user, assistant in zip(body["messages"][1:-1:2], body["messages"][2:-1:2]):
            assert gold.texts[doc_id][:200] not in user["content"]  # never the scored document
            assert len(user["content"]) < chat_prompt.SHOT_MAX_CHARS + 100  # shortened
            answer = json.loads(assistant["content"])
            assert chat_prompt.follows_schema(assistant["content"]) and all(r["text"] in user["content"] for r in answer["entities"])
    too_many = endpoint_run(cli, FakeChat("accepts"), "--shots", str(len(DOCS)))
    assert too_many.code == 2 and f"--shots: found {len(DOCS)} with {len(DOCS)} documents; expected at most {len(DOCS) - 1}" in too_many.err


def test_show_prompt_prints_exactly_what_is_sent_and_sends_nothing(cli, tmp_path):
    with FakeChat("accepts") as fake:
        shown = endpoint_run(cli, fake, "--shots", "1", "--show-prompt", DOCS[2])
        assert shown.code == 0, shown.err
        assert fake.requests == 0
        assert endpoint_run(cli, fake, "--shots", "1").code == 0
    body = json.loads(shown.out)
    assert body in fake.bodies  # the very request sent for that document
    assert list(body) == ["model", "messages", "temperature", "seed", "max_tokens", "response_format"]
    missing = endpoint_run(cli, fake, "--show-prompt", "no_such_doc")
    assert missing.code == 2 and "--show-prompt: found \"no_such_doc\"; expected a doc_id of the data" in missing.err
    idle = cli("eval", "--show-prompt", DOCS[0])
    assert idle.code == 2 and "--show-prompt only with --openai-base-url" in idle.err


# --- throughput: keep-alive connections, a default a served model can take ------------------------------

def test_each_worker_keeps_its_connection_open(cli, tmp_path):
    with FakeChat("accepts") as fake:
        result = endpoint_run(cli, fake, "--workers", "2", output=tmp_path / "out")
    assert result.code == 0, result.err
    assert fake.requests == len(DOCS) and fake.connections <= 2
    assert report_of(tmp_path / "out")["predictions"]["usage"]["connections_opened"] == fake.connections


def test_an_endpoint_runs_several_documents_at_once_by_default(cli, capsys, monkeypatch):
    from newsclaims.eval.pipeline import OpenAIEndpoint

    assert OpenAIEndpoint.default_workers == 8
    with FakeChat("accepts", delay=0.3) as fake:
        assert endpoint_run(cli, fake).code == 0
    assert fake.most_in_flight > 1  # after the probe, the other documents went together
    from newsclaims.cli import build_parser

    monkeypatch.setenv("COLUMNS", "200")
    help_text = build_parser()._subparsers._group_actions[0].choices["eval"].format_help()
    assert "8 for an endpoint: a served model answers concurrent requests in one batch" in " ".join(help_text.split())


def test_the_readme_states_the_measured_throughput_table():
    readme = (REPO / "README.md").read_text("utf-8")
    block = re.search(r"<!-- bench-llm -->\n(.*?)<!-- /bench-llm -->", readme, re.S).group(1)
    rows = re.findall(r"^\| (\d+) \| ([\d.]+) s \| ([\d.]+) s \|", block, re.M)
    assert [int(r[0]) for r in rows] == [1, 4, 16, 64]
    assert "a second run with `--cache` sent 0 requests" in block
