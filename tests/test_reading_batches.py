"""Reading a chunk of lines at a time, on every core, gives exactly what reading line by line gives.

The batch path (``jsonio.parse_chunk``, ``schema.valid_columns``, the column checks of
``gold._check_mentions`` and ``predictions._check_lines``, worker processes of ``newsclaims.batches``)
exists only for speed. The line-by-line path is the reference: each test reads the same input
both ways, with the batch checks switched off (every chunk left to the exact path), in this
process, and in two workers, and asks for the same data, the same digest and the same first
problems, word for word.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsclaims import batches, jsonio
from newsclaims.eval import gold as gold_module
from newsclaims.eval import predictions as predictions_module
from newsclaims.eval.bench import write_end_to_end_workload
from newsclaims.problems import InvalidInput

SETTINGS = settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
MODES = ("line by line", "in this process", "in two workers")


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(jsonio, "BATCH_BYTES", 2048)  # many chunks from a small file


@pytest.fixture
def workload(tmp_path, small_chunks) -> tuple[Path, Path]:
    return write_end_to_end_workload(tmp_path / "w", docs=40, spans=12)


def _set_mode(monkeypatch, mode: str) -> int:
    """Switch the batch checks off (every chunk read line by line) or on; the workers to use."""
    if mode == "line by line":
        monkeypatch.setattr(gold_module, "_check_mentions", lambda *args: None)
        monkeypatch.setattr(gold_module, "_trusted_mentions", lambda *args: None)
        monkeypatch.setattr(predictions_module, "_check_lines", lambda *args: None)
    return 2 if mode == "in two workers" else 0


def _outcome(read):
    try:
        return "ok", read()
    except InvalidInput as err:
        return "refused", [str(p) for p in err.problems]


def _table(table) -> list:
    return sorted(zip(table.doc.tolist(), table.start.tolist(), table.end.tolist(),
                      [table.labels.decode(c) for c in table.label.tolist()],
                      [table.entity_ids.decode(c) for c in table.entity.tolist()]))


def _gold_view(folder: Path, workers: int):
    g = gold_module.load_gold_data(folder, workers=workers)
    return {"texts": g.texts, "entities": _table(g.entities), "quotes": g.layers["quotes"], "kb": g.kb,
            "by_doc": {d: g.layers["entities"][d] for d in g.texts}}


def _predictions_view(path: Path, texts: dict, workers: int):
    p = predictions_module.load_predictions(path, texts, workers=workers)
    return {"sha256": p.sha256, "lines": p.lines, "objects": p.objects, "tabled": p.tabled,
            "entities": _table(p.entities), "warnings": p.warnings, "by_doc": dict(p.by_doc)}


def _all_modes(monkeypatch, read) -> dict:
    out = {}
    for mode in MODES:
        with monkeypatch.context() as m:
            out[mode] = _outcome(lambda: read(_set_mode(m, mode)))
    return out


def test_a_valid_dataset_and_predictions_read_the_same_every_way(monkeypatch, workload):
    data, predictions = workload
    golds = _all_modes(monkeypatch, lambda w: _gold_view(data, w))
    assert golds["line by line"][0] == "ok"
    assert golds["line by line"] == golds["in this process"] == golds["in two workers"]
    texts = golds["line by line"][1]["texts"]
    preds = _all_modes(monkeypatch, lambda w: _predictions_view(predictions, texts, w))
    assert preds["line by line"][0] == "ok"
    assert preds["line by line"] == preds["in this process"] == preds["in two workers"]
    assert not multiprocessing.active_children()  # the workers are gone


def _mutate_lines(path: Path, data) -> None:
    lines = path.read_bytes().split(b"\n")[:-1]
    for _ in range(data.draw(st.integers(1, 3))):
        k = data.draw(st.integers(0, len(lines) - 1))
        try:
            row = json.loads(lines[k])
        except ValueError:  # broken already
            continue
        if type(row) is not dict:
            continue
        what = data.draw(st.sampled_from(["end past the text", "start after end", "wrong text", "unknown doc",
                                          "float offset", "duplicate key", "blank line", "bad utf-8", "long digits",
                                          "escaped quote", "extra field", "missing field", "not an object"]))
        if what == "end past the text":
            row["end"] = 10 ** 6
        elif what == "start after end" and {"start", "end"} <= row.keys():
            row["start"], row["end"] = row["end"], row["start"]
        elif what == "wrong text" and "text" in row:
            row["text"] = "x" + row["text"]
        elif what == "unknown doc":
            row["doc_id"] = "nowhere"
        elif what == "float offset" and "start" in row:
            row["start"] = float(row["start"])
        elif what == "extra field":
            row["surplus"] = 1
        elif what == "missing field" and row:
            row.pop(next(iter(row)))
        line = json.dumps(row).encode()
        if what == "duplicate key":
            line = line[:-1] + b', "doc_id": "x"}'
        elif what == "blank line":
            line = b"   "
        elif what == "bad utf-8":
            line = line[:-1] + b', "z": "\xff"}'
        elif what == "long digits":
            line = line[:-1] + b', "fold2": 12345678901234567890123}'
        elif what == "escaped quote":
            line = line[:-1] + b', "z": "a\\"b"}'
        elif what == "not an object":
            line = b"[1, 2]"
        lines[k] = line
    path.write_bytes(b"\n".join(lines) + b"\n")


@pytest.mark.slow
@SETTINGS
@given(data=st.data())
def test_a_broken_entities_file_is_refused_the_same_every_way(monkeypatch, tmp_path_factory, data):
    monkeypatch.setattr(jsonio, "BATCH_BYTES", 2048)
    data_dir, _ = write_end_to_end_workload(tmp_path_factory.mktemp("b"), docs=12, spans=8)
    _mutate_lines(data_dir / "entities" / "test.jsonl", data)
    out = _all_modes(monkeypatch, lambda w: _gold_view(data_dir, w))
    assert out["line by line"] == out["in this process"] == out["in two workers"]


@pytest.mark.slow
@SETTINGS
@given(data=st.data())
def test_a_broken_predictions_file_is_refused_the_same_every_way(monkeypatch, tmp_path_factory, data):
    monkeypatch.setattr(jsonio, "BATCH_BYTES", 2048)
    data_dir, predictions = write_end_to_end_workload(tmp_path_factory.mktemp("p"), docs=12, spans=8)
    texts = gold_module.load_gold_data(data_dir).texts
    lines = predictions.read_bytes().split(b"\n")[:-1]
    k = data.draw(st.integers(0, len(lines) - 1))
    obj = json.loads(lines[k])
    what = data.draw(st.sampled_from(["repeat a document", "record by text", "bad span", "quotes", "no entities", "mixed shapes",
                                      "entities null"]))
    if what == "repeat a document":
        lines.append(lines[k])
    elif what == "record by text":
        obj["entities"].append({"text": texts[obj["doc_id"]][:3], "label": "ORG"})
    elif what == "bad span" and obj["entities"]:
        obj["entities"][0]["end"] = 10 ** 6
    elif what == "quotes":
        obj["quotes"] = [{"start": 0, "end": 4, "speaker": "Someone", "type": "direct"}]
    elif what == "no entities":
        obj.pop("entities")
    elif what == "entities null":
        obj["entities"] = None
    elif what == "mixed shapes" and obj["entities"]:
        obj["entities"][0]["entity_id"] = "x"
        obj["entities"][-1]["text"] = texts[obj["doc_id"]][obj["entities"][-1]["start"]:obj["entities"][-1]["end"]]
    if what != "repeat a document":
        lines[k] = json.dumps(obj).encode()
    predictions.write_bytes(b"\n".join(lines) + b"\n")
    _mutate_lines(predictions, data) if data.draw(st.booleans()) else None
    out = _all_modes(monkeypatch, lambda w: _predictions_view(predictions, texts, w))
    assert out["line by line"] == out["in this process"] == out["in two workers"]


json_lines = st.lists(st.one_of(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.one_of(st.integers(-5, 10 ** 20), st.text(max_size=4), st.none(),
                                                                st.floats(allow_nan=False, allow_infinity=False)),
                    max_size=3).map(lambda d: json.dumps(d).encode()),
    st.sampled_from([b"", b"  ", b'{"a": 1, "a": 2}', b'{"a" : 1, "a": 2}', b'{"a": "\\ud800"}', b'{"a": "\\u00e9"}',
                     b"\xef\xbb\xbf{}", b'{"a": 1}\r', b"{", b"NaN", b'{"a": 1e999}', b'{"a": "\xff"}',
                     b'{"a": 123456789012345678901234567890}', b'{"a": "1234567890123456789"}', b"[1]",
                     b'{"a": "q\\"", "a": 2}', b'{"a": "q\\"", "b": 2}', b'{"a": "\\ud83d\\ude00"}', b'{"a": NaN}'])),
    min_size=1, max_size=12)


@SETTINGS
@given(lines=json_lines, chunk=st.sampled_from([8, 64, 1 << 22]))
def test_batches_parse_as_lines_do(monkeypatch, tmp_path_factory, lines, chunk):
    """iter_jsonl_batches, chunk by chunk, gives the values and the refusals of reading the whole
    file line by line (exact_lines), whatever the bytes."""
    path = tmp_path_factory.mktemp("j") / "f.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    def values(read):
        try:
            with open(path, "rb") as handle:
                return [repr(v) for v in read(handle)]
        except InvalidInput as err:
            return [str(p) for p in err.problems]

    def line_by_line(handle):
        found = [v for _, v in jsonio.exact_lines(handle.read(), 1, "f")]
        if not found:
            raise jsonio.empty_file("f")
        return found

    reference = values(line_by_line)
    monkeypatch.setattr(jsonio, "BATCH_BYTES", chunk)
    assert values(lambda h: [v for _, vs in jsonio.iter_jsonl_batches(h, "f") for v in vs]) == reference


def test_a_worker_that_dies_leaves_its_chunks_to_the_reader(monkeypatch, workload):
    data, _ = workload
    reference = _gold_view(data, 0)
    real = gold_module._check_mentions

    def dies_on_its_third_chunk(context, chunk, first):
        if first > 1 and os.getpid() != parent and chunk.count(b"\n") and first % 3 == 0:
            os._exit(1)
        return real(context, chunk, first)

    parent = os.getpid()
    monkeypatch.setattr(gold_module, "_check_mentions", dies_on_its_third_chunk)
    assert _gold_view(data, 2) == reference
    assert not multiprocessing.active_children()


def test_an_error_ends_the_workers(monkeypatch, workload):
    data, _ = workload
    path = data / "entities" / "test.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[5] = b'{"broken'
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InvalidInput, match="test.jsonl:6"):
        gold_module.load_gold_data(data, workers=2)
    assert not multiprocessing.active_children()


def test_a_large_regular_file_uses_every_core_and_a_pipe_none(tmp_path, monkeypatch):
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"{}\n" * (batches.PARALLEL_BYTES // 3 + 1))
    monkeypatch.setattr(batches, "available_cores", lambda: 2)
    with open(big, "rb") as handle:
        assert batches.default_workers(handle) == 2
    read, write = os.pipe()
    with os.fdopen(read, "rb") as handle, os.fdopen(write, "wb"):
        assert batches.default_workers(handle) == 0
    monkeypatch.setattr(batches, "available_cores", lambda: 1)
    with open(big, "rb") as handle:
        assert batches.default_workers(handle) == 0


def test_the_table_holds_what_the_rows_said(workload):
    data, _ = workload
    g = gold_module.load_gold_data(data, workers=0)
    rows = [json.loads(line) for line in (data / "entities" / "test.jsonl").read_text().splitlines()]
    first = rows[0]
    view = g.layers["entities"][first["doc_id"]][0]
    assert view == {k: first[k] for k in ("start", "end", "label", "entity_id")}
    assert len(g.entities) == len(rows)
    assert np.all(g.entities.start < g.entities.end)


def test_running_out_of_memory_is_one_line_and_writes_nothing(cli, mini_data, tmp_path, monkeypatch):
    from newsclaims.eval import scoring

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(scoring, "score", out_of_memory)
    result = cli("eval", "--data", mini_data, "--predictions", mini_data.parent / "missing.jsonl", "--output", tmp_path / "run")
    assert result.code == 2  # a missing file is found before anything is scored
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"doc_id": "mini_a", "entities": []}\n')
    result = cli("eval", "--data", mini_data, "--predictions", predictions, "--output", tmp_path / "run")
    assert result.code == 1
    assert result.err_lines[-1] == "newsclaims eval: ran out of memory; nothing was written (score a smaller dataset or free memory)"
    assert not (tmp_path / "run").exists()


def test_entities_null_is_refused_whichever_way_it_is_read(monkeypatch, workload):
    data, predictions = workload
    texts = gold_module.load_gold_data(data).texts
    lines = predictions.read_text().splitlines()
    first = json.loads(lines[0])
    lines[0] = json.dumps({"doc_id": first["doc_id"], "entities": None})
    predictions.write_text("\n".join(lines) + "\n")
    out = _all_modes(monkeypatch, lambda w: _predictions_view(predictions, texts, w))
    assert out["line by line"] == out["in this process"] == out["in two workers"]
    assert out["line by line"] == ("refused", [f"{predictions}:1: entities: found null; expected a list"])


def test_workers_that_die_at_once_leave_everything_to_the_reader(monkeypatch, workload):
    data, _ = workload
    reference = _gold_view(data, 0)
    monkeypatch.setattr(batches, "_serve", lambda conn, inherited: os._exit(1))
    assert _gold_view(data, 2) == reference
    assert not multiprocessing.active_children()


def test_a_long_line_comes_after_the_problems_before_it(monkeypatch, workload):
    data, _ = workload
    path = data / "entities" / "test.jsonl"
    lines = path.read_bytes().split(b"\n")[:-1]
    row = json.loads(lines[40])
    row["end"] = 10 ** 6
    lines[40] = json.dumps(row).encode()
    lines[41] = lines[41][:-1] + b', "pad": "' + b"x" * 3000 + b'"}'
    path.write_bytes(b"\n".join(lines) + b"\n")
    monkeypatch.setattr(jsonio, "MAX_BYTES", 2500)
    out = _all_modes(monkeypatch, lambda w: _gold_view(data, w))
    assert out["line by line"] == out["in this process"] == out["in two workers"]
    assert out["line by line"][1][0].startswith(f"{path}:41: end: found 1000000")


KILLED_PARENT = """
import os, sys, time
from newsclaims import jsonio
from newsclaims.eval import gold
jsonio.BATCH_BYTES = 2048
def slowed(real):
    def slow(*args):
        time.sleep(0.5)
        return real(*args)
    return slow
gold._check_mentions = slowed(gold._check_mentions)
gold._trusted_mentions = slowed(gold._trusted_mentions)
gold.load_gold_data(sys.argv[1], workers=2)
"""


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _running(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads a process's children from /proc")
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGINT"])
def test_workers_never_outlive_their_reader(workload, how):
    import signal
    import subprocess
    import sys
    import time

    data, _ = workload
    proc = subprocess.Popen([sys.executable, "-c", KILLED_PARENT, str(data)], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    workers = _children(proc.pid)
    assert len(workers) == 2
    os.kill(proc.pid, getattr(signal, how))
    _, err = proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_running, workers))
    assert "Process ForkProcess" not in err
