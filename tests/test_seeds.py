"""seeds/ holds the articles byte for byte, and MANIFEST.json describes them truthfully."""

import hashlib
import json

import pytest

from conftest import REPO, SHARED_SEEDS

SEEDS = REPO / "seeds"
MANIFEST = json.loads((SEEDS / "MANIFEST.json").read_text("utf-8"))


def test_every_seed_file_is_listed_once():
    files = sorted(p.name for p in SEEDS.glob("*.txt"))
    listed = [d["file"] for d in MANIFEST["documents"]]
    assert sorted(listed) == files
    assert len(set(listed)) == len(listed) == 5


@pytest.mark.parametrize("entry", MANIFEST["documents"], ids=lambda d: d["doc_id"])
def test_checksums_recomputed(entry):
    raw = (SEEDS / entry["file"]).read_bytes()
    assert entry["doc_id"] == entry["file"].removesuffix(".txt")
    assert len(raw) == entry["bytes"]
    assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
    assert entry["cluster_id"] in {c["id"] for c in MANIFEST["clusters"]}


@pytest.mark.parametrize("entry", MANIFEST["documents"], ids=lambda d: d["doc_id"])
def test_provenance_says_what_is_unknown(entry):
    prov = entry["provenance"]
    assert prov["outlet"] is None and prov["published"] is None  # not given with the files
    assert prov["implied_date"] and prov["evidence"] and prov["noise"]


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is not beside this checkout")
def test_byte_identical_to_shared_seeds():
    shared = sorted(p.name for p in SHARED_SEEDS.glob("*.txt"))
    assert shared == sorted(p.name for p in SEEDS.glob("*.txt"))
    for name in shared:
        assert (SEEDS / name).read_bytes() == (SHARED_SEEDS / name).read_bytes(), name


def test_noise_is_kept():
    """The raw-text noise the benchmark relies on is still there (no normalisation slipped in)."""
    texts = {d["doc_id"]: (SEEDS / d["file"]).read_bytes().decode("utf-8") for d in MANIFEST["documents"]}
    assert "sovereign t\nerritory" in texts["000_956b89daf0f4f269"]
    assert "\n\u00a0\n" in texts["002_eebf9108032eaeec"]
    assert "Leave a Reply" in texts["002_eebf9108032eaeec"]
    assert "Yerimak" in texts["004_d0ac60c4e534b1bf"] and "Yermak" in texts["004_d0ac60c4e534b1bf"]
    assert '"' in texts["003_8d866300cc861dbc"] and "\u201c" in texts["000_956b89daf0f4f269"]
