"""Ctrl-C and SIGTERM stop model runs cleanly; a model's own exit or crash is one line.

The runs are real processes (``python -m newsclaims.cli eval``); a signal is sent once the model
has started (it writes a file). Waits are bounded (a hung run fails the test instead of hanging
it); nothing asserts how fast a run is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


pytestmark = pytest.mark.slow
BOUND = 60  # seconds a run may take before the test gives up on it




def start_eval(mini_data, tmp_path, *args, env=None):
    return subprocess.Popen([sys.executable, "-m", "newsclaims.cli", "eval", "--data", str(mini_data), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env={**os.environ, **(env or {})})


def wait_for(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + BOUND
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the run ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the model never started")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its parent counts as ended
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def ended(pids, bound: float = 10) -> bool:
    deadline = time.monotonic() + bound
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(alive(p) for p in pids)


HANGING_COMMAND = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(f"{os.getpid()} {child.pid}")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
sys.stdin.read()
time.sleep(600)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_a_command_run_and_its_children(mini_data, tmp_path, signum):
    script = tmp_path / "hang.py"
    script.write_text(HANGING_COMMAND)
    ready = tmp_path / "ready"
    out = tmp_path / "out"
    proc = start_eval(mini_data, tmp_path, "--command", f"{sys.executable} {script} {ready}", "--timeout", "600",
                      "--output", out)
    wait_for(ready, proc)
    pids = [int(p) for p in ready.read_text().split()]
    os.kill(proc.pid, signum)  # to the main process alone, as kill(1) would
    try:
        _, err = proc.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the signal was swallowed")
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["newsclaims eval: interrupted after 0 of 2 documents"]
    assert ended(pids), "the command or its child outlived the run"
    assert not out.exists()


SLOW_MODEL = """
import os, time

def predict(doc):
    if doc["doc_id"] == "mini_a":
        return {"entities": []}
    open(os.environ["READY_FILE"], "w").close()
    time.sleep(600)
"""


def test_ctrl_c_stops_a_python_model_run(mini_data, tmp_path):
    (tmp_path / "slow_model.py").write_text(SLOW_MODEL)
    ready = tmp_path / "ready"
    proc = start_eval(mini_data, tmp_path, "--model", "slow_model:predict", "--output", tmp_path / "out",
                      env={"PYTHONPATH": str(tmp_path), "READY_FILE": str(ready)})
    wait_for(ready, proc)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=BOUND)
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["newsclaims eval: interrupted after 1 of 2 documents"]
    assert not (tmp_path / "out").exists()


def test_ctrl_c_stops_an_endpoint_run_that_waits_for_a_reply(mini_data, tmp_path):
    ready = tmp_path / "ready"

    class Stalling(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            ready.touch()
            time.sleep(BOUND)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proc = start_eval(mini_data, tmp_path, "--openai-base-url", f"http://127.0.0.1:{server.server_port}/v1",
                          "--openai-model", "tiny", "--timeout", "600")
        wait_for(ready, proc)
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=BOUND)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["newsclaims eval: interrupted after 0 of 2 documents"]


# --- a model's own exit, crash or bad output: one line, exit 2 ----------------------------------

MODELS = """
import sys

def exits(doc):
    sys.exit(3)

def interrupts(doc):
    raise KeyboardInterrupt

def not_a_number(doc):
    return {"numeric_claims": [{"text": "3", "value": float("nan")}]}
"""


@pytest.mark.parametrize("spec,message", [
    ("bad_models:exits", "model bad_models:exits: document mini_a: found a call to sys.exit(3); expected a prediction dict"),
    ("bad_models:interrupts", "document mini_a: found KeyboardInterrupt raised by the model"),
    ("bad_models:not_a_number", "numeric_claims[0].value: found NaN; expected a finite number"),
])
def test_a_model_that_exits_or_interrupts_itself_is_one_line(cli, mini_data, tmp_path, monkeypatch, spec, message):
    (tmp_path / "bad_models.py").write_text(MODELS)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = cli("eval", "--data", mini_data, "--model", spec)
    assert result.code == 2
    # one line per bad answer, as for the lines of a file: an exit ends the run at its first document
    expected = 2 if spec.endswith("not_a_number") else 1
    assert len(result.err_lines) == expected and all(message in line for line in result.err_lines), result.err


def test_command_that_is_a_folder_or_not_executable(cli, mini_data, tmp_path):
    result = cli("eval", "--data", mini_data, "--command", str(tmp_path))
    assert result.code == 2 and len(result.err_lines) == 1 and "a folder; expected an executable program" in result.err
    script = tmp_path / "tagger.sh"
    script.write_text("#!/bin/sh\ncat\n")
    script.chmod(0o644)
    result = cli("eval", "--data", mini_data, "--command", str(script))
    assert result.code == 2 and len(result.err_lines) == 1 and "a file that is not executable" in result.err
    result = cli("eval", "--data", mini_data, "--command", str(tmp_path / "missing"))
    assert result.code == 2 and len(result.err_lines) == 1 and "no such program" in result.err


def test_command_output_that_is_not_utf8_names_document_and_byte(cli, mini_data, tmp_path):
    script = tmp_path / "latin1.py"
    script.write_text(textwrap.dedent("""
        import json, sys
        for line in sys.stdin:
            d = json.loads(line)
            text = json.dumps({"doc_id": d["doc_id"], "entities": [{"text": "Caf\\u00e9"}]}, ensure_ascii=False)
            sys.stdout.buffer.write(text.encode("latin-1") + b"\\n")
    """))
    result = cli("eval", "--data", mini_data, "--command", f"{sys.executable} {script}")
    assert result.code == 2 and len(result.err_lines) == 1, result.err
    assert "output:1: document mini_a: found the byte 0xe9 at byte 47 of the line; expected UTF-8 text" in result.err


@pytest.mark.parametrize("body,message", [
    ("import sys; sys.stdin.read(); sys.exit(5)", "found exit status 5 (stderr: no stderr); expected exit status 0"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "found death by signal SIGKILL"),
    ("import sys, json\nfor l in sys.stdin: print(json.dumps({'doc_id': json.loads(l)['doc_id']}).replace('}', ', \"doc_id\": 1}'))",
     "found the key 'doc_id' twice in one object"),
    ("import sys, json\nfor l in sys.stdin: print('{\"doc_id\": \"%s\", \"numeric_claims\": [{\"text\": \"3\", \"value\": NaN}]}' % json.loads(l)['doc_id'])",
     "found NaN; expected a finite number"),
])
def test_command_exit_codes_and_strict_output(cli, mini_data, tmp_path, body, message):
    script = tmp_path / "bad.py"
    script.write_text(body + "\n")
    result = cli("eval", "--data", mini_data, "--command", f"{sys.executable} {script}")
    assert result.code == 2 and len(result.err_lines) == 1 and message in result.err, result.err


def test_a_failed_shard_ends_the_others(cli, mini_data, tmp_path):
    script = tmp_path / "half.py"
    script.write_text(textwrap.dedent("""
        import json, os, sys, time
        first = json.loads(sys.stdin.readline())
        if first["doc_id"] == "mini_a":
            sys.exit(3)
        open(sys.argv[1], "w").write(str(os.getpid()))
        time.sleep(600)
    """))
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    result = cli("eval", "--data", mini_data, "--command", f"{sys.executable} {script} {pid_file}", "--workers", "2",
                 "--timeout", "600")
    assert time.monotonic() - started < BOUND * 5  # not the 600 s of the other shard (a bound, not a timing test)
    assert result.code == 2 and len(result.err_lines) == 1 and "exit status 3" in result.err, result.err
    if pid_file.exists() and pid_file.read_text():
        assert ended([int(pid_file.read_text())])
