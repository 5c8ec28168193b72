"""Predictions are read once: standard input (``-``), a FIFO and ``<(...)`` work like a file, and the
report's sha256 is of the bytes read."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading

import pytest

from conftest import MINI
from newsclaims.eval.predictions import load_predictions

LINES = (json.dumps({"doc_id": "mini_a", "entities": [{"start": 0, "end": 10, "label": "GPE"}]}) + "\n"
         + json.dumps({"doc_id": "mini_b"}) + "\n").encode()
TEXTS = {"mini_a": (MINI / "seeds" / "mini_a.txt").read_text("utf-8"), "mini_b": (MINI / "seeds" / "mini_b.txt").read_text("utf-8")}


def test_a_file_has_the_digest_of_its_bytes(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(LINES)
    assert load_predictions(path, TEXTS).sha256 == hashlib.sha256(LINES).hexdigest()


def test_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(LINES)))
    preds = load_predictions("-", TEXTS)
    assert preds.path == "<stdin>" and set(preds.by_doc) == {"mini_a", "mini_b"}
    assert preds.sha256 == hashlib.sha256(LINES).hexdigest()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_read_once(tmp_path, build_mini, cli):
    data = build_mini()
    fifo = tmp_path / "p.fifo"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "wb") as handle:  # blocks until eval opens it; a second open would hang the test
            handle.write(LINES)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    result = cli("eval", "--data", data, "--predictions", fifo, "--json")
    writer.join(timeout=10)
    assert result.code == 0, result.err
    assert json.loads(result.out)["predictions"]["sha256"] == hashlib.sha256(LINES).hexdigest()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for <(...)")
def test_process_substitution(tmp_path, build_mini):
    data = build_mini()
    path = tmp_path / "p.jsonl"
    path.write_bytes(LINES)
    command = f'{sys.executable} -m newsclaims.cli eval --data "{data}" --predictions <(cat "{path}") --json'
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["predictions"]["sha256"] == hashlib.sha256(LINES).hexdigest()


def test_lines_and_files_have_a_size_limit(tmp_path, monkeypatch):
    from newsclaims import jsonio
    from newsclaims.problems import InvalidInput

    monkeypatch.setattr(jsonio, "MAX_BYTES", 40)
    path = tmp_path / "p.jsonl"
    path.write_bytes(LINES)
    with pytest.raises(InvalidInput) as err:
        load_predictions(path, TEXTS)
    assert str(err.value) == f"{path}:1: found a line longer than 40 bytes; expected at most 40 bytes"
    whole = tmp_path / "w.json"
    whole.write_bytes(b"[" + b"1," * 30 + b"1]")
    with pytest.raises(InvalidInput, match="found a file longer than 40 bytes"):
        jsonio.read_json(whole)


def test_a_model_run_can_be_rescored_from_its_own_predictions(tmp_path, build_mini, cli):
    sys.path.insert(0, str(MINI.parent.parent))  # tests/ on the path: fixtures.models
    data = build_mini()
    first = cli("eval", "--data", data, "--model", "fixtures.models:capitalised", "--output", tmp_path / "run", "--json")
    assert first.code == 0, first.err
    again = cli("eval", "--data", data, "--predictions", tmp_path / "run" / "predictions.jsonl", "--json")
    assert again.code == 0, again.err
    assert json.loads(again.out)["main_scores"] == json.loads(first.out)["main_scores"]
