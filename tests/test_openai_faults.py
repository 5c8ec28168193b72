"""The OpenAI-compatible adapter against a local fake server that misbehaves on purpose.

The server (http.server on 127.0.0.1, a free port, in a thread) plays a script of faults, one per
request: 429 with Retry-After, 500, connection resets, slow and huge replies, 401. The adapter's
sleep is replaced by a recorder, so retries cost no time and their waits can be checked.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newsclaims.eval.adapters import openai_client
from newsclaims.eval.adapters.openai_client import ReplyCache, backoff_delay, public_url, run_openai
from newsclaims.problems import InvalidInput

SECRET = "sk-very-secret-4242"
TEXTS = {"d1": "Washington said hello.", "d2": "Seoul said 3 words.", "d3": "Moscow was quiet."}


def chat(content: str) -> bytes:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()


class FakeServer:
    """A chat endpoint whose next replies are scripted: each request takes the next action."""

    def __init__(self):
        self.script: list[str] = []
        self.requests: list[dict] = []  # {"doc": first word of the article, "auth": header}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - the http.server API
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                article = request["messages"][1]["content"].split("<<<\n", 1)[-1]
                with server.lock:
                    action = server.script.pop(0) if server.script else "ok"
                    server.requests.append({"doc": article.split()[0], "auth": self.headers.get("Authorization"),
                                            "action": action})
                getattr(self, "act_" + action.split(":")[0])(article, *action.split(":")[1:])

            def send(self, status: int, body: bytes, **headers):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def act_ok(self, article):
                self.send(200, chat(json.dumps({"entities": [{"text": article.split()[0], "label": "GPE"}]})))

            def act_429(self, article, seconds="7"):
                self.send(429, b'{"error": "slow down"}', Retry_After=seconds)

            def act_500(self, article):
                self.send(500, b'{"error": "boom"}')

            def act_401(self, article):
                self.send(401, b'{"error": "no key"}')

            def act_reset(self, article):
                # SO_LINGER 0: close() sends a TCP reset instead of a clean end
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True

            def act_slow(self, article):  # a byte every 0.2 s, far longer than the timeout
                self.send_response(200)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(200):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass

            def act_huge(self, article):  # no Content-Length: the limit must hold while reading
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for _ in range(64):
                        self.wfile.write(b" " * (1 << 20))
                except OSError:
                    pass
                self.close_connection = True

            def act_biglength(self, article):
                self.send_response(200)
                self.send_header("Content-Length", str(10 ** 12))
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def docs(self) -> list[str]:
        return [r["doc"] for r in self.requests]


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


@pytest.fixture
def waits(monkeypatch):
    recorded: list[float] = []
    monkeypatch.setattr(openai_client, "SLEEP", recorded.append)
    return recorded


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)


def test_backoff_is_exponential_capped_and_honours_retry_after():
    assert [backoff_delay(i, None) for i in range(5)] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(10, None) == 30.0
    assert backoff_delay(0, "7") == 7.0
    assert backoff_delay(0, "86400") == 30.0  # a server asking for a day gets the cap
    assert backoff_delay(0, "-3") == 0.0 and backoff_delay(0, "nan") == 0.5 and backoff_delay(1, "soon") == 1.0
    assert backoff_delay(0, "Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past


def test_429_500_and_resets_are_retried(server, waits, key):
    server.script = ["429:7", "500", "reset", "ok", "ok", "ok"]
    preds, replies = run_openai(server.url, "tiny", TEXTS)
    assert sorted(preds.by_doc) == ["d1", "d2", "d3"] and sorted(replies) == ["d1", "d2", "d3"]
    assert server.docs() == ["Washington"] * 4 + ["Seoul", "Moscow"]
    assert waits == [7.0, 1.0, 2.0]  # Retry-After, then the backoff of the 2nd and 3rd retry
    assert {r["auth"] for r in server.requests} == {f"Bearer {SECRET}"}


def test_retries_are_bounded_and_the_failure_names_the_document(server, waits, key):
    server.script = ["ok"] + ["500"] * 10
    with pytest.raises(InvalidInput) as err:
        run_openai(server.url, "tiny", TEXTS, retries=2)
    assert str(err.value) == (f"endpoint {server.url}/chat/completions: document d2: found HTTP 500 Internal Server Error after 3 tries; "
                              "expected HTTP 200 (1 of 3 documents answered; rerun with --cache DIR to resume)")
    assert server.docs() == ["Washington"] + ["Seoul"] * 3  # stopped at the first failed document
    assert waits == [0.5, 1.0]


def test_cache_resumes_a_partly_failed_run(server, waits, key, tmp_path):
    cache = tmp_path / "cache"
    server.script = ["ok", "401"]
    with pytest.raises(InvalidInput) as err:
        run_openai(server.url, "tiny", TEXTS, cache_dir=cache)
    assert f"(1 of 3 documents answered and kept in {cache}; rerun the same command to resume)" in str(err.value)
    assert len(list(cache.glob("*.json"))) == 1
    server.requests.clear()
    preds, replies = run_openai(server.url, "tiny", TEXTS, cache_dir=cache)
    assert server.docs() == ["Seoul", "Moscow"]  # only what was missing
    assert sorted(preds.by_doc) == ["d1", "d2", "d3"]
    server.requests.clear()
    run_openai(server.url, "tiny", TEXTS, cache_dir=cache)
    assert server.requests == []  # everything cached
    # Another model, prompt or text is another key.
    run_openai(server.url, "other-model", {"d1": TEXTS["d1"]}, cache_dir=cache)
    assert server.docs() == ["Washington"]
    written = "".join(p.read_text() for p in cache.iterdir())
    assert SECRET not in written
    entry = json.loads(next(cache.iterdir()).read_text())
    assert set(entry) == {"key", "content", "sha256"} and set(entry["key"]) == {"endpoint", "model", "prompt_sha256", "document_sha256"}


def test_a_corrupt_cache_entry_is_asked_again(server, waits, key, tmp_path, capsys):
    cache = tmp_path / "cache"
    run_openai(server.url, "tiny", {"d1": TEXTS["d1"]}, cache_dir=cache)
    entry = next(cache.iterdir())
    entry.write_text('{"key": 1, "key": 2}')
    server.requests.clear()
    run_openai(server.url, "tiny", {"d1": TEXTS["d1"]}, cache_dir=cache)
    assert server.docs() == ["Washington"]
    assert "unreadable cache entry" in capsys.readouterr().err


def test_the_timeout_covers_the_whole_reply(server, waits, key):
    server.script = ["slow"]
    started = time.monotonic()
    with pytest.raises(InvalidInput) as err:
        run_openai(server.url, "tiny", {"d1": TEXTS["d1"]}, timeout=0.6)
    elapsed = time.monotonic() - started
    assert "document d1: found no whole reply after 0.6 s" in str(err.value)
    assert elapsed < 30  # the server would drip for 40 s (a bound, not a timing assertion)


@pytest.mark.parametrize("action,found", [("huge", "found a reply of more than 100000 bytes"),
                                          ("biglength", "found a reply of 1000000000000 bytes")])
def test_replies_have_a_size_limit(server, waits, key, action, found):
    server.script = [action]
    with pytest.raises(InvalidInput) as err:
        run_openai(server.url, "tiny", {"d1": TEXTS["d1"]}, max_reply_bytes=100_000)
    assert found in str(err.value) and "expected at most 100000 bytes (--max-reply-bytes)" in str(err.value)


def test_userinfo_is_sent_but_never_shown(server, waits, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    secret_url = server.url.replace("http://", f"http://user:{SECRET}@")
    assert public_url(secret_url) == server.url
    server.script = ["500"] * 10
    with pytest.raises(InvalidInput) as err:
        run_openai(secret_url, "tiny", TEXTS, retries=0)
    assert SECRET not in str(err.value) and server.url in str(err.value)
    assert server.requests[0]["auth"].startswith("Basic ")


# --- through the command line ------------------------------------------------------------------



@pytest.mark.parametrize("variable_set", [False, True])
def test_401_names_the_missing_key_variable(cli, mini_data, server, waits, monkeypatch, variable_set):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    if variable_set:
        monkeypatch.setenv("MY_KEY", "")
    server.script = ["401"]
    result = cli("eval", "--data", mini_data, "--openai-base-url", server.url, "--openai-model", "tiny",
                 "--openai-api-key-env", "MY_KEY")
    assert result.code == 2 and len(result.err_lines) == 1, result.err
    state = "empty" if variable_set else "unset"
    assert f"found HTTP 401 Unauthorized, and the variable MY_KEY is {state}; expected the API key in MY_KEY" in result.err
    assert server.requests[0]["auth"] is None


def test_the_key_is_in_no_message(cli, mini_data, server, waits, key, tmp_path):
    server.script = ["429:1", "ok"] + ["500"] * 5
    secret_url = server.url.replace("http://", f"http://someone:{SECRET}@")
    out = tmp_path / "out"
    result = cli("eval", "--data", mini_data, "--openai-base-url", secret_url, "--openai-model", "tiny", "--output", out)
    assert result.code == 2 and len(result.err_lines) == 1, result.err
    assert "document mini_b: found HTTP 500 Internal Server Error after 5 tries" in result.err
    assert "1 of 2 documents answered; rerun with --cache DIR to resume" in result.err
    assert SECRET not in result.out + result.err and "someone" not in result.err
    assert waits == [1.0, 0.5, 1.0, 2.0, 4.0]
    assert not out.exists()  # no partial report


def test_the_key_is_in_no_file(cli, mini_data, server, waits, key, tmp_path):
    secret_url = server.url.replace("http://", f"http://someone:{SECRET}@")
    out = tmp_path / "out"
    result = cli("eval", "--data", mini_data, "--openai-base-url", secret_url, "--openai-model", "tiny", "--output", out)
    assert result.code == 0, result.err
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert SECRET not in written + result.out + result.err
    assert "someone" not in written


def test_a_cache_that_is_a_file_is_one_line(tmp_path):
    bad = tmp_path / "cache"
    bad.write_text("x")
    with pytest.raises(InvalidInput, match="is a file"):
        run_openai("http://127.0.0.1:9/v1", "tiny", TEXTS, cache_dir=bad)


def test_reply_cache_keys_differ_by_every_part(tmp_path):
    base = ReplyCache.key("http://h/v1", "m", "p", "d")
    paths = {ReplyCache(tmp_path).path(base)}
    for field in base:
        paths.add(ReplyCache(tmp_path).path({**base, field: "other"}))
    assert len(paths) == 5


def test_an_interrupted_run_resumes_from_the_cache(server, waits, key, tmp_path):
    """Ctrl-C while the second document waits: the first reply is kept; the rerun asks only for the rest."""
    import os
    import signal

    from newsclaims.eval.adapters.pool import Interrupted

    cache = tmp_path / "cache"
    server.script = ["ok", "slow"]
    stalled = threading.Event()

    def interrupt_when_stalled():
        while not any(r["action"] == "slow" for r in server.requests):
            time.sleep(0.02)
        stalled.set()
        os.kill(os.getpid(), signal.SIGINT)  # the main thread, where Ctrl-C lands

    threading.Thread(target=interrupt_when_stalled, daemon=True).start()
    with pytest.raises(Interrupted) as err:
        run_openai(server.url, "tiny", TEXTS, cache_dir=cache, timeout=600)
    assert stalled.is_set()
    assert str(err.value) == "interrupted after 1 of 3 documents"
    server.requests.clear()
    preds, _ = run_openai(server.url, "tiny", TEXTS, cache_dir=cache)
    assert server.docs() == ["Seoul", "Moscow"]
    assert sorted(preds.by_doc) == ["d1", "d2", "d3"]


def test_cli_cache_resumes_and_limits_apply(cli, mini_data, server, waits, key, tmp_path):
    cache = tmp_path / "cache"
    args = ["eval", "--data", mini_data, "--openai-base-url", server.url, "--openai-model", "tiny", "--cache", cache]
    server.script = ["ok", "500"]
    result = cli(*args, "--retries", "0")
    assert result.code == 2 and f"1 of 2 documents answered and kept in {cache}; rerun the same command to resume" in result.err
    server.requests.clear()
    assert cli(*args).code == 0
    assert len(server.requests) == 1
    server.script = ["huge"]
    result = cli("eval", "--data", mini_data, "--openai-base-url", server.url, "--openai-model", "tiny", "--max-reply-bytes", "1000")
    assert result.code == 2 and "more than 1000 bytes" in result.err


@pytest.mark.parametrize("value", [f"{SECRET}\nX-Injected: 1", f"{SECRET} extra", SECRET + "\u00e9"])
def test_a_malformed_key_is_refused_without_showing_it(server, waits, monkeypatch, value):
    monkeypatch.setenv("OPENAI_API_KEY", value)
    with pytest.raises(InvalidInput) as err:
        run_openai(server.url, "tiny", TEXTS)
    assert str(err.value).startswith("OPENAI_API_KEY: found a value with spaces") and SECRET not in str(err.value)
    assert server.requests == []


def test_a_key_read_from_a_file_with_its_newline_is_sent_without_it(server, waits, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET + "\n")
    run_openai(server.url, "tiny", {"d1": TEXTS["d1"]})
    assert server.requests[0]["auth"] == f"Bearer {SECRET}"
