"""newsclaims build: deterministic, never stale, versioned by CHANGELOG.md, written atomically."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
import yaml

from conftest import MINI, REPO, read_tree
from newsclaims.build import CONFIGS, gold_digest
from newsclaims.tokens import spans_from_bio


def test_dataset_folder_is_up_to_date(cli):
    result = cli("build", "--check")
    assert result.code == 0, result.err + "\nrun: newsclaims build"


def test_build_is_byte_identical_on_rerun(build_mini, tmp_path):
    first = read_tree(build_mini(out=tmp_path / "one"))
    second = read_tree(build_mini(out=tmp_path / "two"))
    assert first == second
    assert sorted(first) == sorted(["README.md", "build_info.json", "croissant.json"] + [f"{c.name}/test.jsonl" for c in CONFIGS])


def test_real_build_reproduces_dataset_folder(cli, tmp_path):
    result = cli("build", "--out", tmp_path / "dataset")
    assert result.code == 0, result.err
    assert read_tree(tmp_path / "dataset") == read_tree(REPO / "dataset")


def test_card_declares_configs_features_and_file_checksums(build_mini):
    out = build_mini()
    card = (out / "README.md").read_text("utf-8")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert [c["config_name"] for c in meta["configs"]] == [c.name for c in CONFIGS]
    assert [i["config_name"] for i in meta["dataset_info"]] == [c.name for c in CONFIGS]
    entities = next(i for i in meta["dataset_info"] if i["config_name"] == "entities")
    label = next(f for f in entities["features"] if f["name"] == "label")
    assert label["dtype"]["class_label"]["names"]["0"] == "PERSON"
    info = json.loads((out / "build_info.json").read_text())
    for path, sha in info["files"].items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == sha
        assert re.search(rf"\| `{re.escape(path)}` \| \d+ \| `{sha}` \|", card), path
    for split_info in meta["dataset_info"]:
        rows = info["rows"][split_info["config_name"]]
        assert split_info["splits"][0]["num_examples"] == rows


def _change_a_value(root):
    path = root / "annotations" / "gold" / "mini_a.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["numeric_claims"][0]["value"] = 12000
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2))


def test_gold_change_needs_a_new_data_version(cli, mini_copy, tmp_path):
    _change_a_value(mini_copy)
    out = tmp_path / "out"
    result = cli("build", "--seeds", mini_copy / "seeds", "--annotations", mini_copy / "annotations",
                 "--changelog", mini_copy / "CHANGELOG.md", "--out", out)
    digest = gold_digest(mini_copy / "annotations", mini_copy / "seeds")
    assert result.code == 2
    assert result.err_lines == [
        f"{mini_copy / 'CHANGELOG.md'}: data 1.0.0: gold-sha256: found {gold_digest(MINI / 'annotations', MINI / 'seeds')}; "
        f"expected {digest}, the digest of the annotations being built: a gold change needs a new '## data X.Y.Z' entry recording it"
    ]
    assert not out.exists()


def test_card_changes_whenever_the_data_does(build_mini, mini_copy, tmp_path):
    before = read_tree(build_mini(out=tmp_path / "before"))
    _change_a_value(mini_copy)
    changelog = mini_copy / "CHANGELOG.md"
    digest = gold_digest(mini_copy / "annotations", mini_copy / "seeds")
    changelog.write_text(changelog.read_text().replace("## data 1.0.0", f"## data 1.0.1 (2026-11-22)\ngold-sha256: {digest}\n- value fix.\n\n## data 1.0.0", 1))
    after = read_tree(build_mini(mini_copy, tmp_path / "after"))
    assert before["numeric_claims/test.jsonl"] != after["numeric_claims/test.jsonl"]
    assert before["README.md"] != after["README.md"]  # datasets caches a folder by its card's hash
    assert "Data version: **1.0.1**" in after["README.md"].decode()


def test_check_reports_a_stale_folder(cli, build_mini):
    out = build_mini()
    (out / "entities" / "test.jsonl").write_text("")
    result = cli("build", "--seeds", MINI / "seeds", "--annotations", MINI / "annotations",
                 "--changelog", MINI / "CHANGELOG.md", "--out", out, "--check")
    assert result.code == 1
    assert "entities/test.jsonl" in result.err and "run: newsclaims build" in result.err


def test_invalid_gold_leaves_previous_build_untouched(cli, build_mini, mini_copy):
    out = build_mini()
    before = read_tree(out)
    path = mini_copy / "annotations" / "gold" / "mini_b.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["entities"][0]["end"] = 9999
    path.write_text(json.dumps(doc))
    result = cli("build", "--seeds", mini_copy / "seeds", "--annotations", mini_copy / "annotations",
                 "--changelog", mini_copy / "CHANGELOG.md", "--out", out)
    assert result.code == 2
    assert read_tree(out) == before
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("folder", ["mini", "repo"])
def test_ner_tokens_reproduce_the_entity_spans(build_mini, folder):
    from seqeval.metrics.sequence_labeling import get_entities

    out = build_mini() if folder == "mini" else REPO / "dataset"
    entities: dict[str, list] = {}
    for line in (out / "entities" / "test.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        entities.setdefault(row["doc_id"], []).append((row["start"], row["end"], row["label"]))
    docs = {json.loads(l)["doc_id"]: json.loads(l)["text"] for l in (out / "documents" / "test.jsonl").read_text("utf-8").splitlines()}
    for line in (out / "ner_tokens" / "test.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        spans = list(zip(row["token_starts"], row["token_ends"]))
        assert row["tokens"] == [docs[row["doc_id"]][s:e] for s, e in spans]
        expected = sorted(entities.get(row["doc_id"], []))
        assert spans_from_bio(spans, row["ner_tags"]) == expected
        by_seqeval = [(spans[i][0], spans[j][1], label) for label, i, j in get_entities(row["ner_tags"])]
        assert sorted(by_seqeval) == expected
