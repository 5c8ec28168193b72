"""DATASHEET.md, the dataset card and the Croissant metadata: complete, and generated where they
state numbers."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from conftest import REPO

DATASET = REPO / "dataset"
SHEET = (REPO / "DATASHEET.md").read_text("utf-8")
CARD = (DATASET / "README.md").read_text("utf-8")
INFO = json.loads((DATASET / "build_info.json").read_text("utf-8"))


@pytest.mark.parametrize("section", ["Motivation", "Composition", "Collection process", "Preprocessing, cleaning, labeling",
                                     "Uses", "Distribution", "Maintenance"])
def test_datasheet_answers_the_seven_sections(section):
    assert re.search(rf"^## \d\. {re.escape(section)}$", SHEET, re.M), section


@pytest.mark.parametrize("block", ["counts", "conflicts", "agreement"])
def test_datasheet_numbers_are_generated_and_filled(block):
    body = re.search(rf"<!-- generated:{block} -->\n(.*?)<!-- /generated:{block} -->", SHEET, re.S).group(1)
    assert body.strip() and body.strip() in CARD  # the same generated text is in the card


def test_datasheet_counts_agree_with_the_data():
    rows = INFO["rows"]
    assert f"| **total** | 14,483 | {rows['entities']} | {rows['quotes']} (" in SHEET
    assert f"| {rows['numeric_claims']} |" in SHEET


def test_card_metadata():
    meta = yaml.safe_load(CARD.split("---\n")[1])
    for key in ("license", "language", "task_categories", "task_ids", "size_categories", "pretty_name", "configs", "dataset_info"):
        assert meta.get(key), key
    assert meta["license"] == "other" and "CC BY 4.0" in meta["license_name"]
    assert all(info["features"] for info in meta["dataset_info"])
    for section in ("## Configs", "## Usage", "## Statistics", "## Conflicting figures", "## Annotation agreement", "## License",
                    "## Citation"):
        assert section in CARD, section
    assert "@misc{newsclaims" in CARD


def test_card_usage_example_runs(monkeypatch, capsys):
    code = re.search(r"## Usage\n\n```python\n(.*?)```", CARD, re.S).group(1)
    monkeypatch.chdir(REPO)
    exec(compile(code, "dataset/README.md", "exec"), {})
    assert capsys.readouterr().out.strip()


def test_croissant_validates_and_loads_every_record_set():
    mlc = pytest.importorskip("mlcroissant")
    dataset = mlc.Dataset(jsonld=str(DATASET / "croissant.json"))  # validates, raising on errors
    metadata = json.loads((DATASET / "croissant.json").read_text("utf-8"))
    assert {d["contentUrl"]: d["sha256"] for d in metadata["distribution"]} == INFO["files"]
    assert metadata["version"] == INFO["data_version"]
    for record_set in metadata["recordSet"]:
        records = list(dataset.records(record_set=record_set["@id"]))
        assert len(records) == INFO["rows"][record_set["@id"]], record_set["@id"]
    quote = next(iter(dataset.records(record_set="quotes")))
    assert quote["quotes/text"] and "quotes/speaker/start" in quote["quotes/speaker"]


def test_changelog_lists_data_and_code_versions():
    text = (REPO / "CHANGELOG.md").read_text("utf-8")
    assert re.search(r"^## data 0\.2\.0 \(\d{4}-\d{2}-\d{2}\)\ngold-sha256: " + INFO["gold_sha256"], text, re.M)
    from newsclaims import __version__

    assert f"## code {__version__} (" in text


# --- who made the labels: said wherever the labels or their agreement are reported ------------------

def _flat(text: str) -> str:
    return " ".join(text.split())


def test_card_declares_machine_generated_annotations():
    meta = yaml.safe_load(CARD.split("---\n")[1])
    assert meta["annotations_creators"] == ["machine-generated"]
    flat = _flat(CARD)
    assert "Every label was made by an AI model" in flat and "No person has annotated or reviewed the labels" in flat


AGREEMENT_SECTIONS = {
    "card": (CARD, r"## Annotation agreement\n(.*?)\n## "),
    "datasheet": (SHEET, r"<!-- generated:agreement -->\n(.*?)<!-- /generated:agreement -->"),
    "README": ((REPO / "README.md").read_text("utf-8"), r"<!-- generated:agreement -->\n(.*?)<!-- /generated:agreement -->"),
}


@pytest.mark.parametrize("name", sorted(AGREEMENT_SECTIONS))
def test_agreement_figures_say_they_are_an_upper_bound(name):
    """Beside the numbers: two runs of one model, nobody reviewed, an upper bound."""
    text, pattern = AGREEMENT_SECTIONS[name]
    body = _flat(re.search(pattern, text, re.S).group(1))
    assert "| entities |" in body  # the figures themselves are here
    assert "separate sessions of one AI model" in body and "No person made or reviewed these labels" in body, name
    assert "upper bound" in body, name


def test_datasheet_says_what_each_pass_had_and_what_is_not_recorded():
    flat = _flat(SHEET)
    assert "**What each pass had in front of it.**" in SHEET and "What is not recorded:" in flat
    assert "49e7076" in flat and "66f4f43" in flat  # the commits a reader can check
    assert "No person has annotated, adjudicated or reviewed the labels" in flat


def test_rules_baseline_is_called_an_upper_bound():
    for text in (SHEET, (REPO / "baselines" / "README.md").read_text("utf-8")):
        flat = _flat(text)
        assert "five test documents in view" in flat and "upper bound" in flat
