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


# sha256 of each article as received (from ../shared/seeds, the project's copy of the files handed
# over), written here once so the check below means something in any clone: editing a seed and its
# MANIFEST.json entry together still fails it.
RECEIVED_SHA256 = {
    "000_956b89daf0f4f269.txt": "2775b20095724cf6d18b410e6187d61cd7c6318110584e11a4acca2e3537e0f4",
    "001_67ea46896210dce6.txt": "60d247f6bc668fb2a0aca83b0c60d64e8995075086783ef82013dccd3a50cfa7",
    "002_eebf9108032eaeec.txt": "fcc286abe1e2344ce69c6d549a56fae1b577559726576b50f02935655ac58a9a",
    "003_8d866300cc861dbc.txt": "86cc54cb4d4cb95a73e7ae77973be26c26d4ce97b76ff1f7390aa4f35251c262",
    "004_d0ac60c4e534b1bf.txt": "01328c563ef0011688f72d2efc7f84476a12bd43fc158d08448e7ef731f9a6b0",
}


def test_seeds_are_the_files_as_received():
    """Runs in every clone: the seeds and the manifest both match the checksums recorded on receipt."""
    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SEEDS.glob("*.txt")}
    assert on_disk == RECEIVED_SHA256
    assert {d["file"]: d["sha256"] for d in MANIFEST["documents"]} == RECEIVED_SHA256


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds (the project's copy of the received files) is only "
                    "beside the project's own checkouts and CI; in a clone, test_seeds_are_the_files_as_received stands in")
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
