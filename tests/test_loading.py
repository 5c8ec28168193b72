"""datasets.load_dataset on a built folder, offline, for every config, with the declared feature types."""

from __future__ import annotations

import json

import pytest

from conftest import REPO
from newsclaims.build import CONFIGS

datasets = pytest.importorskip("datasets")


def _check_config(folder, name, cache_dir):
    loaded = datasets.load_dataset(str(folder), name, cache_dir=str(cache_dir))
    assert list(loaded) == ["test"]
    split = loaded["test"]
    rows = [json.loads(line) for line in (folder / name / "test.jsonl").read_text("utf-8").splitlines()]
    assert split.num_rows == len(rows) > 0
    config = next(c for c in CONFIGS if c.name == name)
    assert list(split.features) == [field for field, _ in config.features]
    for field, spec in config.features:
        feature = split.features[field]
        if isinstance(spec, tuple) and spec[0] == "class_label":
            assert isinstance(feature, datasets.ClassLabel) and feature.names == spec[1]
            assert [feature.int2str(v) for v in split[field]] == [r[field] for r in rows]
        elif isinstance(spec, tuple) and spec[0] == "list" and isinstance(spec[1], tuple):
            assert isinstance(feature.feature, datasets.ClassLabel)
            assert [[feature.feature.int2str(v) for v in seq] for seq in split[field]] == [r[field] for r in rows]
        else:
            assert split[field] == [r[field] for r in rows]
    return split


@pytest.mark.parametrize("name", [c.name for c in CONFIGS])
def test_every_config_loads_from_a_built_folder(build_mini, tmp_path, name):
    _check_config(build_mini(), name, tmp_path / "cache")


@pytest.mark.parametrize("name", [c.name for c in CONFIGS])
def test_repo_dataset_loads_as_documented(monkeypatch, tmp_path, name):
    monkeypatch.chdir(REPO)
    from pathlib import Path

    _check_config(Path("dataset"), name, tmp_path / "cache")


def test_spans_index_the_document_text(build_mini, tmp_path):
    folder = build_mini()
    docs = {d["doc_id"]: d["text"] for d in datasets.load_dataset(str(folder), "documents", cache_dir=str(tmp_path))["test"]}
    quotes = datasets.load_dataset(str(folder), "quotes", cache_dir=str(tmp_path))["test"]
    for q in quotes:
        assert docs[q["doc_id"]][q["start"]:q["end"]] == q["text"]
        if q["speaker"] is not None:
            assert docs[q["doc_id"]][q["speaker"]["start"]:q["speaker"]["end"]] == q["speaker"]["text"]
    assert "\U0001F1F0\U0001F1F5" in quotes[1]["text"]  # a non-BMP character keeps code-point offsets
