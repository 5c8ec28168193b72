"""The catalogue of hostile sources for ``newsclaims eval`` (issue 25; issue 20's optional extras), as a table.

Each case runs ``newsclaims eval`` in-process against a loopback fake endpoint that plays a script
of replies (one action per request, like tests/test_openai_faults.py), or with a ``--model`` or
``--command`` source. A refused case (exit 2) prints one line holding ``expect``, no traceback, and
writes no file; an accepted one (exit 0) prints ``expect`` somewhere on stderr. In every case the
API key (and any ``Bearer``/``sk-`` token) appears in no output and no file under the case's
folder, the run ends within ``within`` seconds, and the endpoint got ``requests`` requests when
given. Retries do not wait (the adapter's sleep is replaced).

After the table: SIGKILL of ``eval`` ends its ``--command`` children and theirs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsclaims.cli import main
from newsclaims.eval.adapters import openai_client

SECRET = "sk-hostile-0123456789abcdef"
PY = sys.executable


def chat(content: str) -> bytes:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()


class FakeEndpoint:
    """A chat endpoint on 127.0.0.1 whose replies are scripted: each request takes the next action."""

    def __init__(self):
        self.script: list[str] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - the http.server API
                self.rfile.read(int(self.headers["Content-Length"]))
                with endpoint.lock:
                    action = endpoint.script.pop(0) if endpoint.script else "ok"
                    endpoint.requests.append({"auth": self.headers.get("Authorization"), "action": action})
                try:
                    getattr(self, "act_" + action)()
                except OSError:  # the client gave up: that is what some cases are about
                    self.close_connection = True

            def send(self, status: int, body: bytes, reason: str | None = None):
                self.send_response(status, reason)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def act_ok(self):
                self.send(200, chat('{"entities": []}'))

            def act_echo_auth_body(self):  # a 200 that is no chat completion and quotes the header
                self.send(200, json.dumps({"auth": self.headers.get("Authorization")}).encode())

            def act_echo_auth_content(self):  # a model repeating the header in its answer
                auth = self.headers.get("Authorization")
                self.send(200, chat(f'Your header was {auth}. {{"entities": [], "note": "{auth}"}}'))

            def act_auth_in_reason(self):
                self.send(500, b"{}", reason=f"Bad {self.headers.get('Authorization')}")

            def act_drip_headers(self):  # a status line and headers a byte at a time, for about 12 s
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * 60:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
                self.close_connection = True

            def act_deep(self):  # 20,000 nested objects: only the innermost are readable
                self.send(200, chat('{"a": ' * 20_000 + "1" + "}" * 20_000))

            def act_braces(self):  # 200,000 opening braces and nothing else
                self.send(200, chat("{" * 200_000))

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]  # after "eval --data {data}"; {url}: the fake endpoint, {tmp}: the case's folder
    expect: str  # a substring of the one line (exit 2) or of stderr (exit 0)
    script: tuple[str, ...] = ()  # the endpoint's actions, one per request (then "ok")
    code: int = 2
    env: dict[str, str | None] = field(default_factory=lambda: {"OPENAI_API_KEY": SECRET})  # None: unset
    files: dict[str, bytes] = field(default_factory=dict)  # written under {tmp} first
    prepare: Callable[[Path, str, Path], None] | None = None  # (tmp, url, data), run before the case
    requests: int | None = None  # how many requests the endpoint must have had
    within: float = 20.0  # seconds the run may take
    absent: tuple[str, ...] = ()  # substrings that must not be on stderr
    hide_modules: tuple[str, ...] = ()  # importing these fails, as when the extra is not installed


def _endpoint(*extra: str) -> tuple[str, ...]:
    return ("--openai-base-url", "{url}", "--openai-model", "tiny", *extra)


def _cache_entries(tmp: Path) -> list[Path]:
    return sorted((tmp / "cache").glob("*.json"))


def _filled_cache(then: Callable[[list[Path]], None]):
    """A prepare step: one run fills {tmp}/cache (both documents), then ``then`` spoils its entries."""

    def prepare(tmp: Path, url: str, data: Path) -> None:
        assert main(["eval", "--data", str(data), "--openai-base-url", url, "--openai-model", "tiny", "--cache", str(tmp / "cache")]) == 0
        then(_cache_entries(tmp))

    return prepare


def _folder_in_place(entries: list[Path]) -> None:
    entries[0].unlink()
    entries[0].mkdir()


def _edited(entries: list[Path]) -> None:
    entry = json.loads(entries[0].read_text("utf-8"))
    entry["content"] = '{"entities": [{"text": "an answer the endpoint never gave"}]}'
    entries[0].write_text(json.dumps(entry), "utf-8")


CASES = [
    # 3: the key quoted back is redacted from every message and file
    Case("secret_in_a_refused_body", _endpoint(), "found a body that is not a chat completion", ("echo_auth_body",)),
    Case("secret_in_the_status_reason", _endpoint("--retries", "0"), "found HTTP 500 Bad [redacted]", ("auth_in_reason",)),
    Case("secret_echoed_in_the_content", _endpoint("--output", "{tmp}/out", "--cache", "{tmp}/cache"), "wrote:",
         ("echo_auth_content", "echo_auth_content"), code=0),
    # 4: no key, no Authorization header: said in one warning
    Case("key_variable_unset", _endpoint(), "warning: no API key sent (OPENAI_API_KEY is unset)", code=0,
         env={"OPENAI_API_KEY": None}),
    Case("named_key_variable_unset", _endpoint("--openai-api-key-env", "MY_KEY"), "warning: no API key sent (MY_KEY is unset)",
         code=0, env={"MY_KEY": None}),
    # 5: the deadline covers the status line and headers
    Case("headers_dripped", _endpoint("--timeout", "2"), "document mini_a: found no whole reply after 2 s", ("drip_headers",),
         within=6, requests=1),
    # 6: the search for the JSON object is linear and bounded
    Case("content_20000_deep", _endpoint("--timeout", "10"), "", ("deep", "deep"), code=0, within=10),
    Case("content_200000_braces", _endpoint("--timeout", "10"), "expected a JSON object with entities, quotes and numeric_claims",
         ("braces",), within=10),
    # 9: the reply cache
    Case("cache_cannot_be_written", _endpoint("--cache", "/sys/newsclaims-cache"),
         "--cache: found /sys/newsclaims-cache, which cannot be written in", requests=0),
    Case("cache_is_a_file", _endpoint("--cache", "{tmp}/cache"), "--cache: found", files={"cache": b"x"}, requests=0),
    Case("cache_entry_is_a_folder", _endpoint("--cache", "{tmp}/cache"), "warning: a folder, not a cache entry; asking the endpoint again",
         code=0, prepare=_filled_cache(_folder_in_place), requests=1),
    Case("cache_entry_edited", _endpoint("--cache", "{tmp}/cache"), "warning: a cache entry that does not match its sha256", code=0,
         prepare=_filled_cache(_edited), requests=1),
    # 12: a malformed base URL, before any request
    Case("url_with_crlf", ("--openai-base-url", "{url}\r\nX-Injected: 1", "--openai-model", "tiny"),
         "(a line break at character", requests=0),
    Case("url_with_a_space", ("--openai-base-url", "{url} x", "--openai-model", "tiny"), "(a space at character", requests=0),
    Case("url_bad_ipv6", ("--openai-base-url", "http://[::1/v1", "--openai-model", "tiny"), "(Invalid IPv6 URL)"),
    Case("url_bad_port", ("--openai-base-url", "http://127.0.0.1:99999/v1", "--openai-model", "tiny"), "(Port out of range"),
    Case("url_no_host", ("--openai-base-url", "http:///v1", "--openai-model", "tiny"), "(no host)"),
    Case("url_ftp", ("--openai-base-url", "ftp://127.0.0.1/v1", "--openai-model", "tiny"), "(not http or https)"),
    Case("url_with_query", ("--openai-base-url", "{url}?x=1", "--openai-model", "tiny"), "a ?query or #fragment", requests=0),
    Case("url_empty", ("--openai-base-url", "", "--openai-model", "tiny"), "--openai-base-url: found \"\" (no scheme)"),
    Case("url_password_not_shown", ("--openai-base-url", f"http://user:{SECRET}@[::1/v1", "--openai-model", "tiny"),
         "--openai-base-url: found"),
    # 10: a --model module that cannot be imported
    Case("model_syntax_error", ("--model", "hostile_syntax:predict"),
         "--model: found module hostile_syntax with a syntax error (", files={"hostile_syntax.py": b"def predict(:\n"}),
    Case("model_raises_on_import", ("--model", "hostile_raising:predict"),
         "--model: found module hostile_raising raising RuntimeError on import (no weights here)",
         files={"hostile_raising.py": b"raise RuntimeError('no weights here')\n"}),
    Case("model_exits_on_import", ("--model", "hostile_exiting:predict"), "raising SystemExit on import",
         files={"hostile_exiting.py": b"import sys\nsys.exit(4)\n"}),
    Case("model_no_callable", ("--model", "hostile_empty:"), "--model: found \"hostile_empty:\" (no callable name)",
         files={"hostile_empty.py": b""}),
    Case("model_no_module", ("--model", ":predict"), "(no module name)"),
    Case("model_relative", ("--model", ".hostile_relative:predict"), "(a relative module name)"),
    # 13: empty sources are refused, not the default baseline
    Case("model_empty", ("--model", ""), "--model: found nothing; expected a shipped baseline"),
    Case("command_empty", ("--command", ""), "--command: found an empty command; expected a program to run"),
    Case("command_blank", ("--command", "  "), "--command: found an empty command"),
    # issue 20 item 4: a missing extra is one line naming it
    Case("sklearn_missing", ("--model", "sklearn"),
         "--model sklearn: found no module 'sklearn'; expected the sklearn extra installed: pip install 'newsclaims[sklearn]'",
         hide_modules=("sklearn", "threadpoolctl")),
    Case("threadpoolctl_missing", ("--model", "sklearn"), "pip install 'newsclaims[sklearn]'", hide_modules=("threadpoolctl",)),
    Case("spacy_missing", ("--model", "spacy"),
         "--model spacy: found no module 'spacy'; expected the spacy extra installed: pip install 'newsclaims[spacy]'",
         hide_modules=("spacy",)),
]
if importlib.util.find_spec("spacy") is not None and importlib.util.find_spec("en_core_web_sm") is None:
    CASES.append(Case("spacy_default_pipeline_missing", ("--model", "spacy"),
                      "--model spacy: found 'en_core_web_sm', which is not an installed spaCy pipeline; expected an installed "
                      "pipeline (python -m spacy download en_core_web_sm", env={"NEWSCLAIMS_SPACY_MODEL": None},
                      absent=("NEWSCLAIMS_SPACY_MODEL:",)))


@pytest.fixture
def endpoint():
    fake = FakeEndpoint()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_catalogue_has_unique_names():
    assert len({c.id for c in CASES}) == len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_source(case, endpoint, mini_data, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(openai_client, "SLEEP", lambda seconds: None)
    for name, value in case.env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    for rel, content in case.files.items():
        (tmp_path / rel).write_bytes(content)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # --model adds the current folder
    for module in [m for m in sys.modules if m.split(".")[0].startswith("hostile_")]:
        monkeypatch.delitem(sys.modules, module)
    if case.prepare is not None:
        case.prepare(tmp_path, endpoint.url, mini_data)
        endpoint.requests.clear()
    for hidden in case.hide_modules:
        for module in [m for m in sys.modules if m.startswith(hidden + ".")]:
            monkeypatch.delitem(sys.modules, module)
        monkeypatch.setitem(sys.modules, hidden, None)
    endpoint.script = list(case.script)
    argv = ["eval", "--data", str(mini_data)] + [a.format(url=endpoint.url, tmp=tmp_path) for a in case.args]
    before = _files(tmp_path)
    capsys.readouterr()
    started = time.monotonic()
    code = main(argv)
    elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert code == case.code, captured.err
    if case.code == 2:
        lines = [line for line in captured.err.splitlines() if line.strip() and ": warning: " not in line]
        assert len(lines) == 1 and case.expect in lines[0], captured.err
        assert _files(tmp_path) == before, "a refused run wrote a file"
    else:
        assert case.expect in captured.err, captured.err
    assert elapsed < case.within, f"{elapsed:.1f} s"
    if case.requests is not None:
        assert len(endpoint.requests) == case.requests, endpoint.requests
    for text in case.absent:
        assert text not in captured.err, captured.err
    written = "".join(content.decode("utf-8", "replace") for content in _files(tmp_path).values())
    for leak in (SECRET, "Bearer sk-"):
        assert leak not in captured.out + captured.err + written


# --- 8: children die with their parent ---------------------------------------------------------------
CHILD = """
import os, subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
with open(sys.argv[1] + ".tmp", "w") as handle:
    handle.write(f"{os.getpid()} {grandchild.pid}")
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie waiting for init is gone
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")
def test_sigkill_of_eval_ends_its_command_and_the_command_s_children(mini_data, tmp_path):
    script, pids_file = tmp_path / "child.py", tmp_path / "pids"
    script.write_text(CHILD, "utf-8")
    run = subprocess.Popen([PY, "-m", "newsclaims.cli", "eval", "--data", str(mini_data), "--command", f"{PY} {script} {pids_file}",
                            "--timeout", "300"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not pids_file.exists() and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
        assert pids_file.exists(), "the command never started"
        pids = [int(x) for x in pids_file.read_text().split()]
        assert all(_alive(pid) for pid in pids)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in pids if _alive(pid)], "a child outlived eval"
    finally:
        run.kill()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
