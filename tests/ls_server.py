"""A Label Studio server for the tests: started in a fresh data folder, stopped at the end.

Found through NEWSCLAIMS_LABEL_STUDIO (CI installs label-studio 1.23.2 in its own environment,
see .ci/run) or a ``label-studio`` on PATH; a test using it skips here when neither exists and
fails in CI.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

USER, PASSWORD, TOKEN = "tester@example.org", "secret-password-1", "token-newsclaims-test"


def label_studio_binary() -> str | None:
    return os.environ.get("NEWSCLAIMS_LABEL_STUDIO") or shutil.which("label-studio")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(data: Path):
    binary = label_studio_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install label-studio and set NEWSCLAIMS_LABEL_STUDIO (see .ci/run)")
        pytest.skip("label-studio is not installed here (CI installs it: see .ci/run)")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST")}
    env.update(LABEL_STUDIO_BASE_DATA_DIR=str(data), LABEL_STUDIO_USERNAME=USER,
               LABEL_STUDIO_PASSWORD=PASSWORD, LABEL_STUDIO_USER_TOKEN=TOKEN,
               LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true", COLLECT_ANALYTICS="false", LATEST_VERSION_CHECK="false",
               SENTRY_DSN="", FRONTEND_SENTRY_DSN="")
    log = open(data / "server.log", "w")
    process = subprocess.Popen([binary, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 300
        while True:
            if process.poll() is not None:
                pytest.fail(f"label-studio exited with {process.returncode}: {(data / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as response:
                    if b"UP" in response.read():
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail("label-studio did not answer on /health within 300 s")
            time.sleep(1)
        yield url, TOKEN
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
