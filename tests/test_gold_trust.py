"""A dataset folder whose entities file matches build_info.json is read trusting what the build proved
(``gold._trusted_mentions``), and anything else is checked fully (issue 24.3)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from newsclaims.eval import gold as gold_module
from newsclaims.eval.bench import write_end_to_end_workload
from newsclaims.problems import InvalidInput


@pytest.fixture
def folder(tmp_path):
    data, _ = write_end_to_end_workload(tmp_path / "w", docs=30, spans=8)
    return data


def _columns(table) -> list:
    return sorted(zip(table.doc.tolist(), table.start.tolist(), table.end.tolist(), map(table.labels.decode, table.label.tolist()),
                      map(table.entity_ids.decode, table.entity.tolist())))


def _edit_entities(folder, edit, *, record_digest: bool):
    path = folder / "entities" / "test.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    edit(rows)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    if record_digest:  # build_info.json forged to match
        info = json.loads((folder / "build_info.json").read_text())
        info["files"]["entities/test.jsonl"] = hashlib.sha256(path.read_bytes()).hexdigest()
        (folder / "build_info.json").write_text(json.dumps(info))


def _problem(folder) -> str:
    with pytest.raises(InvalidInput) as err:
        gold_module.load_gold_data(folder, workers=0)
    return str(err.value.problems[0])


def test_a_matching_folder_is_read_trusted_and_gives_the_same_table(folder, monkeypatch):
    calls = []
    trusted = gold_module._trusted_mentions
    monkeypatch.setattr(gold_module, "_trusted_mentions", lambda *a: calls.append(1) or trusted(*a))
    fast = gold_module.load_gold_data(folder, workers=0)
    assert calls
    monkeypatch.setattr(gold_module, "_trusted_mentions", lambda *a: None)  # every chunk to the line-by-line path
    monkeypatch.setattr(gold_module, "_check_mentions", lambda *a: None)
    exact = gold_module.load_gold_data(folder, workers=0)
    assert _columns(fast.entities) == _columns(exact.entities) and fast.files == exact.files


def test_an_edited_file_is_checked_fully(folder):
    def wrong_surface(rows):
        rows[3]["text"] = "not the text"

    _edit_entities(folder, wrong_surface, record_digest=False)
    assert "text" in _problem(folder) and "sha256" not in _problem(folder)  # the row's problem, as without trust


def test_an_edited_file_without_row_problems_is_refused_by_its_digest(folder):
    def relabel(rows):
        rows[0]["label"] = "ORG" if rows[0]["label"] != "ORG" else "GPE"

    _edit_entities(folder, relabel, record_digest=False)
    assert "sha256" in _problem(folder)


@pytest.mark.parametrize("edit", [lambda r: r.update(end=10**6), lambda r: r.update(start=-1), lambda r: r.update(start=1.5),
                                  lambda r: r.update(doc_id="nowhere")])
def test_a_forged_digest_still_checks_documents_and_offsets(folder, edit):
    _edit_entities(folder, lambda rows: edit(rows[5]), record_digest=True)
    assert _problem(folder)  # one line, as without trust


def test_what_a_forged_digest_lets_through_is_said(folder):
    def wrong_surface(rows):
        rows[3]["text"] = "not the text"

    _edit_entities(folder, wrong_surface, record_digest=True)
    gold = gold_module.load_gold_data(folder, workers=0)  # trusted: the surface is not compared (module docstring)
    assert len(gold.entities) == 30 * 8 and np.all(gold.entities.end > gold.entities.start)
