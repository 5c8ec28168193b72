"""The fast validator and the explaining one (jsonschema) accept and refuse exactly the same values.

Both are read from the same schema files; this is the proof that the fast path is not a second,
drifting definition of the formats. Records are generated from valid seeds (the mini fixture's gold
and a predictions line) by mutations that keep, break or bend each field (integral floats, bools,
NaN, huge integers, trailing newlines in ids, unknown fields, missing fields, nested junk), plus
arbitrary JSON values.
"""

from __future__ import annotations

import copy
import json
import math
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI, REPO
import newsclaims
from newsclaims import schema
from newsclaims.schema import DATASET_ROW_NAMES, SCHEMA_NAMES

SETTINGS = settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))

GOLD = json.loads((MINI / "annotations" / "gold" / "mini_a.json").read_text("utf-8"))
SEEDS = {
    "gold_document": GOLD,
    "predictions_line": {"doc_id": "mini_a", "entities": [{"start": 0, "end": 10, "text": "Washington", "label": "GPE"},
                                                          {"text": "Joe Biden", "occurrence": 0, "entity_id": None}],
                         "quotes": [{"text": "very dangerous.", "speaker": {"text": "Joe Biden"}, "type": "direct",
                                     "cue": {"start": 22, "end": 31}}],
                         "numeric_claims": [{"text": "10,000", "value": 10000, "approx": "approximate", "source": "Pentagon"}]},
    "kb": json.loads((MINI / "annotations" / "entities.json").read_text("utf-8")),
    "claim_groups": json.loads((MINI / "annotations" / "claim_groups.json").read_text("utf-8")),
    "quote_groups": json.loads((MINI / "annotations" / "quote_groups.json").read_text("utf-8")),
    "manifest": json.loads((MINI / "seeds" / "MANIFEST.json").read_text("utf-8")),
    "waivers": {"quote_marks": [{"doc_id": "mini_a", "start": 0, "end": 3, "text": "Was", "reason": "a reason, long enough"}],
                "numbers": []},
    "dataset_document": {"doc_id": "mini_a", "fold": 0, "text": "Washington", "cluster_id": "c"},
    "dataset_entities": {"doc_id": "mini_a", "fold": 0, **GOLD["entities"][0]},
    "dataset_quotes": {"doc_id": "mini_a", "fold": 0, **GOLD["quotes"][0]},
    "dataset_numeric_claims": {"doc_id": "mini_a", "fold": 0, **GOLD["numeric_claims"][0]},
    "dataset_kb": json.loads((MINI / "annotations" / "entities.json").read_text("utf-8"))["entities"][0],
}
NAMES = [n for n in SCHEMA_NAMES + DATASET_ROW_NAMES if n != "common"]

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10 ** 6), st.floats(allow_nan=True, allow_infinity=True),
                         st.text(max_size=8), st.sampled_from(["", "GPE", "direct", "exact", "author", "joe_biden", "e1",
                                                               "mini_a", "mini_a\n", "a" * 64, "0" * 64, "Q1", "Q0"]),
                         st.sampled_from([0.0, 1.0, -1, 10 ** 400, -(10 ** 400), True, False]))
json_values = st.recursive(json_scalars, lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.sampled_from(["start", "end", "text", "id", "x", "label", "doc_id"]), children, max_size=3),
                           max_leaves=8)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


def _same_kind(value):
    if type(value) is int:
        return st.one_of(st.integers(0, 500), st.just(float(value) if abs(value) < 1e300 else 0.0), st.just(-1))
    if type(value) is float:
        return st.one_of(st.floats(-1e6, 1e6), st.just(int(value)) if math.isfinite(value) else st.just(0))
    if type(value) is str:
        return st.sampled_from([value, value + "x", value + "\n", value.upper(), value[:1], "", "a_b", "author"])
    if value is None:
        return st.sampled_from([None, "", 0])
    if type(value) is list:
        return st.just(value[:1])
    if type(value) is dict:
        return st.just({k: v for k, v in list(value.items())[:-1]})
    return st.just(value)


@st.composite
def mutated(draw, name):
    """A seed record with a few of its fields replaced, removed or added."""
    value = copy.deepcopy(SEEDS[name])
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(value))
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["bend", "bend", "bend", "replace", "delete", "add"]))
        if not path:
            if action == "replace":
                value = draw(json_values)
            continue
        parent = value
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        if action == "bend":  # a value of the same kind: often still valid, sometimes just not
            parent[key] = draw(_same_kind(parent[key]))
        elif action == "replace":
            parent[key] = draw(json_values)
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "start", "end", "text", "occurrence", "value"]))] = draw(json_values)
        else:
            parent.append(draw(json_values))
    return value


def _explained_valid(name, value) -> bool:
    return next(schema.validator(name).iter_errors(value), None) is None


@pytest.mark.parametrize("name", NAMES)
def test_seed_records_are_valid_in_both_paths(name):
    assert schema.is_valid(name, SEEDS[name])
    assert _explained_valid(name, SEEDS[name])


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_fast_and_explaining_paths_agree(name, data):
    value = data.draw(st.one_of(mutated(name), json_values) if name != "gold_document" else mutated(name))
    assert schema.is_valid(name, value) == _explained_valid(name, value), value


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_the_batch_path_never_accepts_an_invalid_record(name, data):
    """all_valid is sound: True only when every record is valid by the record-by-record path."""
    strategy = st.one_of(mutated(name), json_values) if name != "gold_document" else mutated(name)
    batch = data.draw(st.lists(strategy, min_size=1, max_size=6))
    if schema.all_valid(name, batch):
        assert all(schema.is_valid(name, value) for value in batch), batch


@pytest.mark.parametrize("name", NAMES)
def test_the_batch_path_accepts_valid_batches(name):
    """What makes it fast: a batch of valid records, of one layout or several, is decided at once."""
    assert schema.all_valid(name, [SEEDS[name]] * 3)
    assert not schema.all_valid(name, [SEEDS[name], 0.5])


def test_the_batch_path_decides_mixed_span_forms_together():
    lines = [SEEDS["predictions_line"], {"doc_id": "b", "entities": [{"start": 1, "end": 2}, {"text": "x"}]}]
    assert schema.all_valid("predictions_line", lines)
    bad = [*lines, {"doc_id": "c", "entities": [{"start": 1}]}]  # start without end
    assert not schema.all_valid("predictions_line", bad)
    assert not schema.all_valid("dataset_entities", [SEEDS["dataset_entities"], {**SEEDS["dataset_entities"], "start": 1.0}])


@pytest.mark.parametrize("value,expected", [(0, True), (0.0, False), (1.0, False), (True, False), (10 ** 400, False),
                                            (float("nan"), False), (-1, False)])
def test_integers_are_integers_in_both_paths(value, expected):
    line = {"doc_id": "mini_a", "entities": [{"start": value, "end": 10}]}
    assert schema.is_valid("predictions_line", line) is expected
    assert _explained_valid("predictions_line", line) is expected


@pytest.mark.parametrize("value,expected", [(1, True), (1.5, True), (1e308, True), (float("inf"), False),
                                            (float("nan"), False), (10 ** 400, False), (True, False)])
def test_numbers_are_finite_in_both_paths(value, expected):
    line = {"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": value}]}
    assert schema.is_valid("predictions_line", line) is expected
    assert _explained_valid("predictions_line", line) is expected


def test_a_pattern_dollar_is_the_end_of_the_string():
    assert not schema.is_valid("predictions_line", {"doc_id": "mini_a\n"})
    assert not _explained_valid("predictions_line", {"doc_id": "mini_a\n"})
    assert schema.ecma_pattern("^a$").search("a") and not schema.ecma_pattern("^a$").search("a\n")
    assert schema.ecma_pattern(r"^a\$").pattern == r"^a\$"


def test_an_unknown_keyword_cannot_be_silently_ignored(monkeypatch):
    translator = schema._Translator()
    with pytest.raises(ValueError, match="does not know"):
        translator.expression({"type": "string", "maxLength": 3}, "common", "v")


def test_every_schema_file_is_translated():
    files = {p.name.removesuffix(".schema.json") for p in schema.SCHEMA_DIR.glob("*.schema.json")}
    assert files == set(SCHEMA_NAMES)
    for name in NAMES:
        assert callable(schema.fast_validator(name))


def test_version_constant_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert newsclaims.__version__ == project["version"]
    assert not any("dynamic" in k for k in project) or "version" not in project.get("dynamic", [])
