"""The catalogue of bad inputs, as a table: every entry point refuses each one with exit code 2 and
one clear line, without a traceback and without writing or changing a file.

Each case names its input (files written into a fresh folder, or standard input), the command, the
expected exit code and a substring of the one line. Before and after each command every file under
the case's folder and the shared built dataset is read; they must be byte for byte the same, and no
file may appear. The checkout's tracked and untracked files are compared once for the whole module.
Commands run in-process (``newsclaims.cli.main``); ``--command`` cases start a small script.

The second half feeds arbitrary JSON values and arbitrary bytes to each reader (a predictions line,
a gold document, a registry, a Label Studio export, a dataset folder): each is accepted, or refused
with ``InvalidInput`` whose every problem is one line, never another exception.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI, REPO
from newsclaims.cli import main
from newsclaims.problems import InvalidInput

sys.path.insert(0, str(REPO / "tests"))  # tests/fixtures/models.py as fixtures.models

SEEDS = MINI / "seeds"
GOLD_A = json.loads((MINI / "annotations" / "gold" / "mini_a.json").read_text("utf-8"))
KB = json.loads((MINI / "annotations" / "entities.json").read_text("utf-8"))
CLAIM_GROUPS = json.loads((MINI / "annotations" / "claim_groups.json").read_text("utf-8"))
PY = sys.executable
DEEP = "[" * 990 + "]" * 990
VERY_DEEP = "[" * 5000 + "]" * 5000


@dataclass(frozen=True)
class Case:
    id: str
    command: tuple[str, ...]  # {tmp}: the case's folder; {data}: a built mini dataset; {seeds}: the mini seeds
    expect: str  # a substring of the one line
    files: dict[str, bytes] = field(default_factory=dict)  # written under {tmp} before the command
    mini: bool = False  # copy the mini fixture (seeds/, annotations/) to {tmp}/mini first
    data_copy: bool = False  # copy the built dataset to {tmp}/data first
    stdin: bytes | None = None
    code: int = 2
    xfail: str | None = None


def _line(**fields) -> bytes:
    return (json.dumps({"doc_id": "mini_a", **fields}, ensure_ascii=False) + "\n").encode()


def _ents(*records) -> bytes:
    return _line(entities=list(records))


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass") + b"\n"


def _gold(edit) -> bytes:
    doc = json.loads(json.dumps(GOLD_A))
    edit(doc)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _set(layer, key, value):
    def edit(doc):
        doc[layer][0][key] = value
    return edit


GOLD_TEXT = json.dumps(GOLD_A, ensure_ascii=False)


def _gold_text(old: str, new: str) -> bytes:
    assert old in GOLD_TEXT, old
    return GOLD_TEXT.replace(old, new, 1).encode("utf-8", "surrogatepass")


KB_TEXT = json.dumps(KB, ensure_ascii=False)


def _kb_text(old: str, new: str) -> bytes:
    assert old in KB_TEXT, old
    return KB_TEXT.replace(old, new, 1).encode("utf-8", "surrogatepass")


# --- predictions lines: (id, bytes, expected substring); each runs under validate and eval ---------
PREDICTION_LINES = [
    ("float_start", _ents({"start": 0.0, "end": 10}), "entities[0]: start: found 0.0; expected an integer"),
    ("float_end", _ents({"start": 0, "end": 10.0}), "entities[0]: end: found 10.0; expected an integer"),
    ("float_occurrence", _ents({"text": "Washington", "occurrence": 1.0}), "occurrence: found 1.0; expected an integer or null"),
    ("bool_start", _ents({"start": True, "end": 10}), "start: found true; expected an integer"),
    ("bool_occurrence", _ents({"text": "Washington", "occurrence": False}), "occurrence: found false"),
    ("negative_occurrence", _ents({"text": "Washington", "occurrence": -1}), "occurrence: found -1; expected a number >= 0"),
    ("string_offset", _ents({"start": "0", "end": 10}), 'start: found "0"; expected an integer'),
    ("huge_end", _ents({"start": 0, "end": 10 ** 20}), "end: found 100000000000000000000; expected an offset <= 118"),
    ("400_digit_end", _raw('{"doc_id": "mini_a", "entities": [{"start": 0, "end": 1' + "0" * 399 + "}]}"),
     "entities[0].end: found an integer of 400 digits; expected a number a float can hold"),
    ("400_digit_value", _raw('{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": 1' + "0" * 399 + "}]}"),
     "numeric_claims[0].value: found an integer of 400 digits"),
    ("5000_digit_value", _raw('{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": 1' + "0" * 4999 + "}]}"),
     "found an integer too long to read"),
    ("400_digit_float", _raw('{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": 1' + "0" * 399 + ".5}]}"),
     "numeric_claims[0].value: found Infinity; expected a finite number"),
    ("nan_value", _raw('{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": NaN}]}'),
     "numeric_claims[0].value: found NaN; expected a finite number"),
    ("infinity_value", _raw('{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": Infinity}]}'),
     "value: found Infinity"),
    ("minus_infinity_value", _raw('{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": -Infinity}]}'),
     "value: found -Infinity"),
    ("overflowing_value", _raw('{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": 1e999}]}'),
     "value: found Infinity"),
    ("nan_in_an_unknown_field", _raw('{"doc_id": "mini_a", "extra": NaN}'), "extra: found NaN"),
    ("bool_value", _line(numeric_claims=[{"text": "10,000", "value": True}]), "value: found true; expected a number or null"),
    ("string_value", _line(numeric_claims=[{"text": "10,000", "value": "10,000"}]), 'value: found "10,000"; expected a number or null'),
    ("lone_high_surrogate", _raw('{"doc_id": "mini_a", "entities": [{"text": "Washington\\ud800"}]}'),
     "entities[0].text: found a lone surrogate \\ud800 at character 10"),
    ("lone_low_surrogate", _raw('{"doc_id": "mini_a", "quotes": [{"text": "very dangerous.", "speaker": "Joe\\udc00"}]}'),
     "quotes[0].speaker: found a lone surrogate \\udc00"),
    ("surrogate_in_a_key", _raw('{"doc_id": "mini_a", "entities": [{"text": "Washington", "\\ud83d": 1}]}'),
     "with a lone surrogate"),
    ("surrogate_in_doc_id", _raw('{"doc_id": "mini_\\udfff"}'), "doc_id: found a lone surrogate"),
    ("deep_nesting_990", _raw('{"doc_id": "mini_a", "entities": ' + DEEP + "}"), "found JSON nested more than 100 levels deep"),
    ("deep_nesting_5000", _raw('{"doc_id": "mini_a", "entities": ' + VERY_DEEP + "}"), "found JSON nested more than 100 levels deep"),
    ("deep_line", _raw(DEEP), "found JSON nested more than 100 levels deep"),
    ("deep_objects", _raw('{"doc_id": "mini_a", "x": ' + '{"a": ' * 500 + "1" + "}" * 500 + "}"), "nested more than 100 levels"),
    ("duplicate_key_in_a_record", _raw('{"doc_id": "mini_a", "entities": [{"start": 0, "start": 1, "end": 10}]}'),
     "found the key 'start' twice in one object; expected each key once per object"),
    ("duplicate_key_in_a_span", _raw('{"doc_id": "mini_a", "quotes": [{"text": "very dangerous.", "cue": {"text": "a", "text": "b"}}]}'),
     "found the key 'text' twice"),
    ("duplicate_doc_id_key", _raw('{"doc_id": "mini_a", "doc_id": "mini_b"}'), "found the key 'doc_id' twice"),
    ("latin1_bytes", b'{"doc_id": "mini_a", "entities": [{"text": "Caf\xe9"}]}\n', "found the byte 0xe9 at byte 47 of the line; expected UTF-8 text"),
    ("utf16_file", '{"doc_id": "mini_a"}\n'.encode("utf-16"), "found the byte 0xff at byte 0 of the line; expected UTF-8 text"),
    ("overlong_utf8", b'{"doc_id": "mini_a", "entities": [{"text": "\xc0\xaf"}]}\n', "found the byte 0xc0"),
    ("utf8_encoded_surrogate", b'{"doc_id": "mini_a", "entities": [{"text": "\xed\xa0\x80"}]}\n', "found the byte 0xed"),
    ("truncated_line", b'{"doc_id": "mini_a"', "found invalid JSON (Expecting ',' delimiter at column 20); expected a JSON value"),
    ("trailing_garbage", b'{"doc_id": "mini_a"} x\n', "found invalid JSON (Extra data at column 22)"),
    ("two_objects_on_a_line", b'{"doc_id": "mini_a"}{"doc_id": "mini_b"}\n', "Extra data"),
    ("single_quotes", b"{'doc_id': 'mini_a'}\n", "found invalid JSON (Expecting property name enclosed in double quotes"),
    ("a_string_line", b'"mini_a"\n', 'found "mini_a"; expected a JSON object for one document'),
    ("a_null_line", b"null\n", "found null; expected a JSON object for one document"),
    ("a_number_line", b"3\n", "found 3; expected a JSON object for one document"),
    ("a_list_line", b'[{"doc_id": "mini_a"}]\n', "expected a JSON object for one document"),
    ("doc_id_integer", b'{"doc_id": 7}\n', "doc_id: found 7; expected a string"),
    ("doc_id_with_newline", _line(doc_id="mini_a\n"), 'doc_id: found "mini_a\\n"; expected a document id'),
    ("doc_id_missing", b'{"entities": []}\n', "doc_id: found nothing; expected the required field to be present"),
    ("doc_id_unknown", _line(doc_id="mini_z"), 'doc_id: found "mini_z"; expected a doc_id of the dataset being scored'),
    ("doc_id_twice", _line() + _line(), 'doc_id: found "mini_a"; expected one line per document (already on line 1)'),
    ("entities_not_a_list", _line(entities={}), "entities: found {}; expected a list"),
    ("entities_of_strings", _line(entities=["Washington"]), 'entities[0]: found "Washington"; expected an object'),
    ("end_before_start", _ents({"start": 10, "end": 2}), "end: found end 2 <= start 10"),
    ("negative_start", _ents({"start": -1, "end": 2}), "start: found -1; expected a number >= 0"),
    ("empty_text", _ents({"text": ""}), 'text: found ""; expected a non-empty string'),
    ("lower_case_label", _ents({"start": 0, "end": 10, "label": "gpe"}), 'label: found "gpe"; expected one of PERSON'),
    ("text_mismatch", _ents({"start": 0, "end": 10, "text": "Washingtom"}), 'expected "Washington", the text at [0:10]'),
    ("misspelt_field", _ents({"start": 0, "end": 10, "lable": "GPE"}), "lable: found an unknown field"),
    ("unknown_layer", _line(relations=[]), "relations: found an unknown field"),
    ("half_a_span", _ents({"start": 3, "text": "x"}), "expected start and end given together"),
    ("cue_with_start_only", _line(quotes=[{"text": "very dangerous.", "cue": {"start": 3}}]), "cue: found"),
    ("speaker_a_number", _line(quotes=[{"text": "very dangerous.", "speaker": 5}]), "speaker: found 5; expected a span object, a name string or null"),
    ("speaker_an_empty_object", _line(quotes=[{"text": "very dangerous.", "speaker": {}}]), "speaker: found {}"),
    ("quote_type_unknown", _line(quotes=[{"text": "very dangerous.", "type": "reported"}]), 'type: found "reported"'),
    ("approx_unknown", _line(numeric_claims=[{"text": "10,000", "approx": "about"}]), 'approx: found "about"'),
    ("empty_file", b"", "found an empty file; expected one JSON object per line"),
    ("blank_lines_only", b"\n \n\t\n", "found an empty file; expected one JSON object per line"),
]

# The predictions lines most worth seeing through eval as well as validate.
EVAL_LINES = {"float_start", "float_occurrence", "400_digit_value", "nan_value", "lone_high_surrogate", "deep_nesting_990",
              "duplicate_key_in_a_record", "latin1_bytes", "truncated_line", "doc_id_unknown", "doc_id_twice", "end_before_start",
              "overflowing_value", "surrogate_in_a_key", "5000_digit_value"}

CASES: list[Case] = []
for name, content, expect in PREDICTION_LINES:
    CASES.append(Case(f"validate_predictions_{name}", ("validate", "--seeds", "{seeds}", "{tmp}/p.jsonl"), expect, {"p.jsonl": content}))
    if name in EVAL_LINES:
        CASES.append(Case(f"eval_predictions_{name}", ("eval", "--data", "{data}", "--predictions", "{tmp}/p.jsonl",
                                                       "--output", "{tmp}/out"), expect, {"p.jsonl": content}))
for name in ("float_start", "nan_value", "lone_high_surrogate", "deep_nesting_990", "latin1_bytes"):
    content, expect = next((c, e) for n, c, e in PREDICTION_LINES if n == name)
    CASES.append(Case(f"eval_stdin_{name}", ("eval", "--data", "{data}", "--predictions", "-"), expect, stdin=content))
CASES += [
    Case("eval_stdin_empty", ("eval", "--data", "{data}", "--predictions", "-"), "<stdin>: found an empty file", stdin=b""),
    Case("validate_stdin_float_end", ("validate", "--seeds", "{seeds}", "-"), "<stdin>:1: entities[0]: end: found 10.0",
         stdin=_ents({"start": 0, "end": 10.0})),
    Case("eval_predictions_missing_file", ("eval", "--data", "{data}", "--predictions", "{tmp}/nope.jsonl"), "nope.jsonl: found an unreadable file"),
    Case("eval_predictions_a_folder", ("eval", "--data", "{data}", "--predictions", "{tmp}"), "found a folder; expected a file"),
    Case("validate_predictions_kind_on_a_folder", ("validate", "--seeds", "{seeds}", "--kind", "predictions", "{tmp}"), "found a folder"),
]

# --- gold files, registries and seeds (a writable copy of the mini fixture) -------------------------
GOLD_FILE = "mini/annotations/gold/mini_a.json"
GOLD_CASES = [
    ("float_start", _gold(_set("entities", "start", 0.0)), "entities[0] (id e1): start: found 0.0; expected an integer"),
    ("float_end", _gold(_set("quotes", "end", 50.0)), "quotes[0] (id q1): end: found 50.0; expected an integer"),
    ("bool_end", _gold(_set("entities", "end", True)), "end: found true; expected an integer"),
    ("nan_value", _gold_text('"value": 10000', '"value": NaN'), "numeric_claims[0].value: found NaN"),
    ("huge_value", _gold_text('"value": 10000', '"value": 1' + "0" * 400), "numeric_claims[0].value: found an integer of 401 digits"),
    ("surrogate_entity_id", _gold_text('"entity_id": "washington_dc"', '"entity_id": "washington\\ud800"'), "found a lone surrogate"),
    ("surrogate_text", _gold_text('"text": "Washington"', '"text": "\\udc00"'), "entities[0].text: found a lone surrogate"),
    ("duplicate_key", _gold_text('"doc_id": "mini_a"', '"doc_id": "mini_a", "doc_id": "mini_a"'), "found the key 'doc_id' twice"),
    ("deep_nesting", _gold_text('"entities": [', '"extra": ' + DEEP + ', "entities": ['), "found JSON nested more than 100 levels deep"),
    ("very_deep_nesting", _gold_text('"entities": [', '"extra": ' + VERY_DEEP + ', "entities": ['), "nested more than 100 levels"),
    ("latin1", _gold_text('"doc_id"', '"doc_id"').replace(b"Washington", b"W\xe4shington", 1), "found the byte 0xe4"),
    ("not_json", b"{not json", "found invalid JSON"),
    ("empty", b"", "found an empty file; expected a JSON object"),
    ("a_list", b"[]", "found []; expected a JSON object"),
    ("unknown_label", _gold(_set("entities", "label", "CITY")), 'label: found "CITY"'),
    ("stale_checksum", _gold(lambda d: d.update(text_sha256="0" * 64)), "text_sha256: found 000"),
    ("sha_upper_case", _gold(lambda d: d.update(text_sha256=d["text_sha256"].upper())), "text_sha256: found"),
    ("doc_id_with_newline", _gold(lambda d: d.update(doc_id="mini_a\n")), 'doc_id: found "mini_a\\n"'),
    ("value_a_string", _gold(_set("numeric_claims", "value", "10,000")), 'value: found "10,000"; expected a number'),
]
for name, content, expect in GOLD_CASES:
    CASES.append(Case(f"validate_gold_file_{name}", ("validate", "--seeds", "{tmp}/mini/seeds", "{tmp}/" + GOLD_FILE), expect,
                      {GOLD_FILE: content}, mini=True))
for name in ("float_start", "nan_value", "surrogate_text", "duplicate_key", "deep_nesting"):
    content, expect = next((c, e) for n, c, e in GOLD_CASES if n == name)
    CASES.append(Case(f"validate_gold_set_{name}", ("validate", "--seeds", "{tmp}/mini/seeds", "{tmp}/mini/annotations"), expect,
                      {GOLD_FILE: content}, mini=True))
    CASES.append(Case(f"build_gold_{name}", ("build", "--seeds", "{tmp}/mini/seeds", "--annotations", "{tmp}/mini/annotations",
                                            "--changelog", "{tmp}/mini/CHANGELOG.md", "--out", "{tmp}/built"), expect,
                      {GOLD_FILE: content}, mini=True))

KB_FILE = "mini/annotations/entities.json"
REGISTRY_CASES = [
    ("kb_duplicate_key", KB_FILE, _kb_text('"id": "joe_biden"', '"id": "joe_biden", "id": "joe"'), "found the key 'id' twice"),
    ("kb_nan", KB_FILE, _kb_text('"wikidata": "Q6279"', '"wikidata": NaN'), "entities[0].wikidata: found NaN"),
    ("kb_surrogate_alias", KB_FILE, _kb_text('"Joe Biden"', '"Joe \\ud800Biden"'), "found a lone surrogate"),
    ("kb_aliases_not_a_list", KB_FILE, _kb_text('"aliases": ["Joe Biden"]', '"aliases": "Joe Biden"'), "entities[0] (id joe_biden): aliases: found"),
    ("kb_id_a_float", KB_FILE, _kb_text('"id": "joe_biden"', '"id": 1.0'), "id: found 1.0"),
    ("kb_id_with_newline", KB_FILE, _kb_text('"id": "joe_biden"', '"id": "joe_biden\\n"'), "expected a lower_snake_case id"),
    ("kb_top_level_list", KB_FILE, b"[]", "found []; expected a JSON object"),
    ("kb_empty", KB_FILE, b"", "found an empty file"),
    ("kb_deep", KB_FILE, ('{"entities": ' + DEEP + "}").encode(), "nested more than 100 levels"),
    ("kb_missing_key", KB_FILE, b'{"entities": [], "entitys": []}', "entitys: found an unknown field"),
    ("kb_utf16", KB_FILE, KB_TEXT.encode("utf-16"), "found the byte 0xff at byte 0; expected UTF-8 text"),
    ("claim_groups_bool_id", "mini/annotations/claim_groups.json",
     json.dumps({"claim_groups": [{"id": True, "cluster_id": "mini_cluster", "description": "x"}]}).encode(), "id: found true"),
    ("claim_groups_infinity", "mini/annotations/claim_groups.json", b'{"claim_groups": [], "x": Infinity}', "x: found Infinity"),
    ("quote_groups_not_json", "mini/annotations/quote_groups.json", b'{"quote_groups": [}', "found invalid JSON"),
]
for name, path, content, expect in REGISTRY_CASES:
    CASES.append(Case(f"validate_registry_{name}", ("validate", "--seeds", "{tmp}/mini/seeds", "{tmp}/" + path), expect,
                      {path: content}, mini=True))
CASES += [
    Case("validate_registry_kind_on_predictions", ("validate", "--seeds", "{seeds}", "--kind", "registry", "{tmp}/p.jsonl"),
         "found a file named p.jsonl; expected a registry", {"p.jsonl": _line()}),
    Case("validate_gold_kind_on_predictions", ("validate", "--seeds", "{seeds}", "--kind", "gold", "{tmp}/p.jsonl"),
         "found invalid JSON", {"p.jsonl": _line() + _line(doc_id="mini_b")}),
    Case("validate_set_kind_on_a_file", ("validate", "--seeds", "{seeds}", "--kind", "set", "{tmp}/p.jsonl"),
         "found a file; expected an annotation set folder", {"p.jsonl": _line()}),
    Case("validate_manifest_float_bytes", ("validate", "--seeds", "{tmp}/mini/seeds", "--annotations", "{tmp}/mini/annotations"), "bytes: found 128.0; expected an integer",
         {"mini/seeds/MANIFEST.json": (MINI / "seeds" / "MANIFEST.json").read_text("utf-8").replace('"bytes": 128', '"bytes": 128.0', 1).encode()},
         mini=True),
    Case("validate_manifest_duplicate_key", ("validate", "--seeds", "{tmp}/mini/seeds", "--annotations", "{tmp}/mini/annotations"), "twice in one object",
         {"mini/seeds/MANIFEST.json": (MINI / "seeds" / "MANIFEST.json").read_text("utf-8").replace('"bytes": 128', '"bytes": 128, "bytes": 128', 1).encode()},
         mini=True),
]

# --- dataset folders (--data) -----------------------------------------------------------------------


def _data_file(config: str) -> str:
    return f"data/{config}/test.jsonl"


def _row(config: str, edit=None, index: int = 0) -> bytes:
    """The built mini dataset's config file, its row ``index`` edited."""
    rows = [json.loads(line) for line in (MINI_DATA_ROWS[config]).splitlines() if line.strip()]
    if edit is not None:
        edit(rows[index])
    return "".join(json.dumps(r) + "\n" for r in rows).encode()  # ASCII: a lone surrogate stays an escape


MINI_DATA_ROWS: dict[str, str] = {}  # filled by the mini_data fixture before the cases run; see _data_cases


def _data_cases() -> list[Case]:
    e = lambda key, value: (lambda r: r.__setitem__(key, value))  # noqa: E731
    return [
        Case("data_missing_folder", ("eval", "--data", "{tmp}/nothing"), "nothing; expected a dataset folder written by newsclaims build"),
        Case("data_a_file", ("eval", "--data", "{tmp}/f"), "found a file; expected a dataset folder", {"f": b"x"}),
        Case("data_no_build_info", ("eval", "--data", "{tmp}/empty"), "found no build_info.json", {"empty/.keep": b""}),
        Case("data_build_info_not_json", ("eval", "--data", "{tmp}/data"), "build_info.json:1: found invalid JSON",
             {"data/build_info.json": b"{corrupt"}, data_copy=True),
        Case("data_build_info_a_list", ("eval", "--data", "{tmp}/data"), "build_info.json: found []; expected a JSON object",
             {"data/build_info.json": b"[]"}, data_copy=True),
        Case("data_build_info_no_version", ("eval", "--data", "{tmp}/data"), "data_version: found nothing",
             {"data/build_info.json": b'{"gold_sha256": "x"}'}, data_copy=True),
        Case("data_build_info_nan", ("eval", "--data", "{tmp}/data"), "found NaN",
             {"data/build_info.json": b'{"data_version": "1", "gold_sha256": "x", "n": NaN}'}, data_copy=True),
        Case("data_build_info_empty", ("eval", "--data", "{tmp}/data"), "build_info.json: found an empty file",
             {"data/build_info.json": b""}, data_copy=True),
        Case("data_unknown_document_row", ("eval", "--data", "{tmp}/data"), 'doc_id: found "mini_z"; expected a doc_id of documents/test.jsonl',
             {_data_file("entities"): b"@entities:doc_id=mini_z"}, data_copy=True),
        Case("data_float_start_row", ("eval", "--data", "{tmp}/data"), "start: found 0.0; expected an integer",
             {_data_file("entities"): b"@entities:start=0.0"}, data_copy=True),
        Case("data_end_past_text", ("eval", "--data", "{tmp}/data"), "end: found 9999; expected an offset <=",
             {_data_file("entities"): b"@entities:end=9999"}, data_copy=True),
        Case("data_text_mismatch", ("eval", "--data", "{tmp}/data"), 'text: found "Nowhere"',
             {_data_file("entities"): b"@entities:text=Nowhere"}, data_copy=True),
        Case("data_missing_field", ("eval", "--data", "{tmp}/data"), "label: found nothing; expected the required field",
             {_data_file("entities"): b"@entities:-label"}, data_copy=True),
        Case("data_nan_claim_value", ("eval", "--data", "{tmp}/data"), "value: found NaN",
             {_data_file("numeric_claims"): b"@numeric_claims:value=NaN"}, data_copy=True),
        Case("data_surrogate_in_a_quote", ("eval", "--data", "{tmp}/data"), "found a lone surrogate",
             {_data_file("quotes"): b"@quotes:speaker_id=\\ud800"}, data_copy=True),
        Case("data_float_fold", ("eval", "--data", "{tmp}/data"), "fold: found 0.0; expected an integer",
             {_data_file("documents"): b"@documents:fold=0.0"}, data_copy=True),
        Case("data_document_twice", ("eval", "--data", "{tmp}/data"), "expected one row per document",
             {_data_file("documents"): b"@documents:twice"}, data_copy=True),
        Case("data_documents_empty", ("eval", "--data", "{tmp}/data"), "documents/test.jsonl: found an empty file",
             {_data_file("documents"): b""}, data_copy=True),
        Case("data_missing_layer_file", ("eval", "--data", "{tmp}/data"), "found no quotes/test.jsonl", {"data/quotes/test.jsonl": None},
             data_copy=True),
        Case("data_kb_duplicate_id", ("eval", "--data", "{tmp}/data"), "expected an id not used by another row",
             {_data_file("kb"): b"@kb:twice"}, data_copy=True),
        Case("data_row_not_an_object", ("eval", "--data", "{tmp}/data"), "found [1]; expected an object",
             {_data_file("entities"): b"[1]\n"}, data_copy=True),
        Case("data_non_utf8_row", ("eval", "--data", "{tmp}/data"), "found the byte 0xff",
             {_data_file("entities"): b'{"doc_id": "\xff"}\n'}, data_copy=True),
    ]


# --- model answers: a Python callable (fixtures/models.py) ------------------------------------------
MODEL_CASES = [
    ("returns_nan", "numeric_claims[0].value: found NaN; expected a finite number"),
    ("returns_infinity", "numeric_claims[0].value: found Infinity"),
    ("returns_huge_integer", "numeric_claims[0].value: found an integer of 401 digits"),
    ("returns_float_offsets", "entities[0]: start: found 0.0; expected an integer"),
    ("returns_float_occurrence", "occurrence: found 1.0; expected an integer or null"),
    ("returns_bool_offset", "start: found false; expected an integer"),
    ("returns_surrogate_text", "entities[0].text: found a lone surrogate \\ud800"),
    ("returns_surrogate_key", "with a lone surrogate"),
    ("returns_tuple", "entities: found a Python tuple; expected a JSON value"),
    ("returns_set", "entities[0].label: found a Python set"),
    ("returns_integer_key", "found the key 1 of type int; expected string keys"),
    ("returns_numpy_offsets", "entities[0].start: found a Python int64"),
    ("returns_deep", "found JSON nested more than 100 levels deep"),
    ("returns_list", 'found ["mini_a"]; expected a JSON object for one document'),
    ("returns_none", "found null; expected a JSON object for one document"),
    ("returns_other_document", "doc_id: found"),
    ("returns_unknown_field", "lable: found an unknown field"),
    ("returns_end_before_start", "end: found end 2 <= start 5"),
    ("crashing", "RuntimeError: model weights missing; expected a prediction dict (the model raised)"),
]
for name, expect in MODEL_CASES:
    CASES.append(Case(f"eval_model_{name}", ("eval", "--data", "{data}", "--model", f"fixtures.models:{name}",
                                             "--output", "{tmp}/out"), expect))
CASES += [
    Case("eval_model_exits", ("eval", "--data", "{data}", "--model", "fixtures.models:exits"), "found a call to sys.exit(3)"),
    Case("eval_model_not_importable", ("eval", "--data", "{data}", "--model", "no_such_module:predict"), "an importable package.module:callable"),
    Case("eval_model_not_a_callable_spec", ("eval", "--data", "{data}", "--model", "nonsense"), "a shipped baseline"),
]

# --- a command's output -----------------------------------------------------------------------------
# Bad for mini_a only, so that the run has exactly one problem to report.
ECHO = ("import sys, json\nfor line in sys.stdin:\n    doc = json.loads(line)\n    if doc['doc_id'] != 'mini_a':\n"
        "        print(json.dumps({{'doc_id': doc['doc_id']}}), flush=True)\n        continue\n    {body}\n")
COMMAND_CASES = [
    ("prints_nan", 'print(\'{"doc_id": "%s", "numeric_claims": [{"text": "10,000", "value": NaN}]}\' % doc["doc_id"])',
     "numeric_claims[0].value: found NaN", None),
    ("prints_float_offsets", 'print(json.dumps({"doc_id": doc["doc_id"], "entities": [{"start": 0.0, "end": 10}]}))',
     "start: found 0.0; expected an integer", None),
    ("prints_surrogate", 'print(\'{"doc_id": "%s", "entities": [{"text": "x\\\\ud800"}]}\' % doc["doc_id"])',
     "found a lone surrogate", None),
    ("prints_deep", 'print(\'{"doc_id": "%s", "entities": %s}\' % (doc["doc_id"], "[" * 990 + "]" * 990))',
     "nested more than 100 levels", None),
    ("prints_huge_integer", 'print(\'{"doc_id": "%s", "numeric_claims": [{"text": "10,000", "value": 1%s}]}\' % (doc["doc_id"], "0" * 400))',
     "found an integer of 401 digits", None),
    ("prints_not_json", 'print("hello")', "found invalid JSON", None),
    ("prints_unknown_document", 'print(json.dumps({"doc_id": "mini_z"}))', 'doc_id: found "mini_z"', None),
    ("exits_3", "sys.exit(3)", "found exit status 3", None),
    ("prints_duplicate_keys", 'print(\'{"doc_id": "%s", "doc_id": "%s"}\' % (doc["doc_id"], doc["doc_id"]))',
     "twice in one object", None),
    ("prints_latin1", 'sys.stdout.buffer.write(b\'{"doc_id": "%s", "entities": [{"text": "Caf\\xe9"}]}\\n\' % doc["doc_id"].encode()); sys.stdout.flush()',
     "expected UTF-8 text", None),
]
for name, body, expect, xfail in COMMAND_CASES:
    CASES.append(Case(f"eval_command_{name}", ("eval", "--data", "{data}", "--command", PY + " {tmp}/model.py"), expect,
                      {"model.py": ECHO.format(body=body).encode()}, xfail=xfail))
CASES += [
    Case("eval_command_missing_program", ("eval", "--data", "{data}", "--command", "{tmp}/no-such-program"), "no such program"),
    Case("eval_command_a_folder", ("eval", "--data", "{data}", "--command", "{tmp}"), "a folder; expected an executable program"),
]

# --- numeric options ----------------------------------------------------------------------------------
for option, value, expect in [("--timeout", "nan", "found 'nan'; expected a finite number of seconds > 0"),
                              ("--timeout", "inf", "found 'inf'"), ("--timeout", "-5", "found '-5'"), ("--timeout", "0", "found '0'"),
                              ("--timeout", "soon", "found 'soon'"), ("--workers", "0", "found '0'; expected a whole number of workers >= 1"),
                              ("--workers", "-2", "found '-2'"), ("--workers", "1.5", "found '1.5'"), ("--workers", "many", "found 'many'")]:
    CASES.append(Case(f"eval_option_{option[2:]}_{value}", ("eval", "--data", "{data}", "--model", "fixtures.models:capitalised",
                                                           option, value), f"newsclaims eval: argument {option}: {expect}"))

# --- Label Studio exports, reports, folders ---------------------------------------------------------
for name, content, expect in [
    ("not_json", b"[{", "found invalid JSON"), ("nan", b"[NaN]", "[0]: found NaN"),
    ("duplicate_keys", b'[{"id": 1, "id": 2}]', "found the key 'id' twice"),
    ("surrogate", b'[{"data": {"doc_id": "\\ud800"}}]', "found a lone surrogate"),
    ("deep", DEEP.encode(), "nested more than 100 levels"), ("latin1", b'["\xe9"]', "found the byte 0xe9"),
    ("empty", b"", "found an empty file"), ("an_object", b"{}", "expected a JSON list of tasks"),
    ("huge_integer", b"[1" + b"0" * 400 + b"]", "found an integer of 401 digits"),
]:
    CASES.append(Case(f"ls_import_{name}", ("ls", "import", "{tmp}/export.json", "--seeds", "{seeds}", "--annotations",
                                            str(MINI / "annotations"), "--passes", "{tmp}/passes"), expect, {"export.json": content}))
for name, content, expect, xfail in [
    ("not_json", b"{", "found invalid JSON", None), ("nan", b'{"main_scores": NaN}', "found NaN", None),
    ("duplicate_keys", b'{"a": 1, "a": 2}', "twice in one object", None), ("a_list", b"[]", "expected a JSON object", None),
    ("empty", b"", "found an empty file", None), ("no_main_scores", b'{"dataset": {}}', "main_scores: found nothing", None),
    ("deep", ('{"x": ' + DEEP + "}").encode(), "nested more than 100 levels", None),
    ("no_per_document", json.dumps({"dataset": {"gold_sha256": "x"}, "predictions": {"name": "a"},
                                    "main_scores": {"entities": {"name": "strict F1", "value": 0.5, "ci95": [0.4, 0.6]}}}).encode(),
     "per_document", None),
]:
    CASES.append(Case(f"compare_{name}", ("compare", "{tmp}/report.json", "{tmp}/report.json"), expect, {"report.json": content},
                      xfail=xfail))
CASES += [
    Case("compare_missing_file", ("compare", "{tmp}/nope.json"), "nope.json: found an unreadable file"),
    Case("agree_missing_folder", ("agree", "--seeds", "{seeds}", "{tmp}/a", "{tmp}/b"), "found nothing; expected an annotation set folder"),
    Case("agree_a_file", ("agree", "--seeds", "{seeds}", "{tmp}/f", "{tmp}/f"), "found a file; expected an annotation set folder", {"f": b"{}"}),
    Case("stats_missing_folder", ("stats", "--seeds", "{seeds}", "--annotations", "{tmp}/a"), "found nothing; expected an annotation set folder"),
    Case("validate_missing_set", ("validate", "--seeds", "{seeds}", "--annotations", "{tmp}/nowhere"), "expected an annotation set folder"),
]

# Growing the benchmark (docs/GROWING.md): add refuses, nothing written; init, diff and the review import refuse.
ADD = ("add", "{tmp}/article.txt", "--cluster", "mini_cluster", "--root", "{tmp}/mini")
CASES += [
    Case("add_same_bytes", ADD, "found the same bytes as mini_a", {"article.txt": (MINI / "seeds" / "mini_a.txt").read_bytes()}, mini=True),
    Case("add_same_file_twice", ("add", "{tmp}/article.txt", "{tmp}/copy.txt", "--cluster", "mini_cluster", "--root", "{tmp}/mini"),
         "copy.txt: found the same bytes as 002_", {"article.txt": b"A new article.\n", "copy.txt": b"A new article.\n"}, mini=True),
    Case("add_not_utf8", ADD, "found the byte 0xe9 at byte 3, which is not UTF-8", {"article.txt": b"caf\xe9 au lait\n"}, mini=True),
    Case("add_empty", ADD, "found an empty file; expected an article", {"article.txt": b""}, mini=True),
    Case("add_white_space_only", ADD, "found a file of white space only", {"article.txt": b" \n\n"}, mini=True),
    Case("add_binary", ADD, "found a binary file (the byte 0x1a at byte 6)", {"article.txt": b"\x89PNG\r\n\x1a\n\x00\x00"}, mini=True),
    Case("add_doc_id_clash", (*ADD, "--doc-id", "mini_a"), "doc_id: found \"mini_a\", already used", {"article.txt": b"New.\n"}, mini=True),
    Case("add_unknown_cluster", ("add", "{tmp}/article.txt", "--cluster", "new_story", "--root", "{tmp}/mini"),
         "--cluster: found \"new_story\", a cluster not in seeds/MANIFEST.json; expected a known cluster (mini_cluster), or --description",
         {"article.txt": b"New.\n"}, mini=True),
    Case("add_bad_cluster_id", ("add", "{tmp}/article.txt", "--cluster", "New Story", "--description", "x", "--root", "{tmp}/mini"),
         "a lower_snake_case group id", {"article.txt": b"New.\n"}, mini=True),
    Case("add_missing_file", ADD, "article.txt: found nothing readable", mini=True),
    Case("add_not_a_benchmark", ("add", "{tmp}/article.txt", "--cluster", "c", "--root", "{tmp}"),
         "expected a benchmark folder (make one with newsclaims init DIR)", {"article.txt": b"New.\n"}),
    Case("init_not_empty", ("init", "{tmp}/d"), "a folder with files in it; expected a new path or an empty folder", {"d/notes.txt": b"mine"}),
    Case("diff_not_data", ("diff", "{tmp}/nothing", "{data}"), "expected a dataset folder (with build_info.json), a benchmark folder"),
    Case("diff_write_no_change", ("diff", "{data}", "{data}", "--write", "--changelog", "{tmp}/CHANGELOG.md"),
         "found no change between the two", {"CHANGELOG.md": b"# Changelog\n"}),
    Case("diff_version_not_built", ("diff", "0.9.0", "{tmp}/mini", "--root", "{tmp}/mini"), "a dataset folder (with build_info.json)",
         mini=True),
    Case("adjudicate_review_of_unknown_document", ("adjudicate", "{tmp}/mini/annotations", "{tmp}/mini/annotations", "--root", "{tmp}/mini",
                                                   "--import", "{tmp}/reviewed.json"),
         "data.doc_id: found \"nope\"; expected a doc_id from seeds/MANIFEST.json",
         {"reviewed.json": b'[{"id": 1, "data": {"doc_id": "nope"}, "annotations": []}]'}, mini=True),
    Case("adjudicate_review_of_a_document_with_gold", ("adjudicate", "{tmp}/mini/annotations", "{tmp}/mini/annotations", "--root",
                                                       "{tmp}/mini", "--import", "{tmp}/reviewed.json"),
         "which has gold; expected a document without gold (or --replace)", mini=True,
         files={"reviewed.json": b"@review"}),
    Case("adjudicate_nothing_to_review", ("adjudicate", "{tmp}/mini/annotations", "{tmp}/mini/annotations", "--root", "{tmp}/mini",
                                          "--export", "{tmp}/review.json"), "found no document both passes hold without gold", mini=True),
]


def _canonical(value) -> str:
    from newsclaims.jsonio import dumps_canonical

    return dumps_canonical(value)


def _snapshot(*folders: Path) -> dict[str, bytes]:
    out = {}
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    out[str(path)] = path.read_bytes()
                elif path.is_dir():
                    out[str(path) + "/"] = b""
    return out


def _git_state() -> str:
    try:
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "no git"


@pytest.fixture(scope="module")
def mini_data(tmp_path_factory):
    """The mini fixture built once into a dataset folder; cases must leave it as it is."""
    out = tmp_path_factory.mktemp("mini_data") / "built"
    code = main(["build", "--seeds", str(SEEDS), "--annotations", str(MINI / "annotations"), "--changelog",
                 str(MINI / "CHANGELOG.md"), "--out", str(out)])
    assert code == 0
    for config in ("documents", "entities", "quotes", "numeric_claims", "kb"):
        MINI_DATA_ROWS[config] = (out / config / "test.jsonl").read_text("utf-8")
    before = _git_state()
    yield out
    assert _git_state() == before, "a command changed the checkout"


def _materialise(content: bytes, ) -> bytes:
    """Files written as ``@config:edit`` are the built config with its first row edited; ``@review`` a reviewed
    adjudication task of mini_a (its two passes: the mini gold twice, so no disagreement)."""
    spec = content.decode()[1:]
    if spec == "review":
        import hashlib

        digest = hashlib.sha256((_canonical(GOLD_A) * 2).encode()).hexdigest()
        return json.dumps([{"id": 1, "data": {"doc_id": "mini_a", "text_sha256": GOLD_A["text_sha256"], "passes_sha256": digest},
                            "annotations": [{"id": 2, "completed_by": {"email": "r@example.org"}, "result": []}]}]).encode()
    config, _, edit = spec.partition(":")
    if edit == "twice":
        text = MINI_DATA_ROWS[config]
        return (text.splitlines(keepends=True)[0] + text).encode()
    if edit.startswith("-"):
        return _row(config, lambda r: r.pop(edit[1:]))
    key, _, raw = edit.partition("=")
    if raw in ("NaN", "0.0"):
        text = MINI_DATA_ROWS[config]
        first, rest = text.split("\n", 1)
        row = json.loads(first)
        row[key] = "@@"
        return (json.dumps(row, ensure_ascii=False).replace('"@@"', raw) + "\n" + rest).encode()
    value = int(raw) if raw.isdigit() else raw.encode().decode("unicode_escape", "surrogatepass") if "\\u" in raw else raw
    return _row(config, lambda r: r.__setitem__(key, value))


def _run(case: Case, tmp: Path, data: Path, capsys, monkeypatch):
    if case.mini:
        shutil.copytree(MINI, tmp / "mini")
    if case.data_copy:
        shutil.copytree(data, tmp / "data")
    for rel, content in case.files.items():
        path = tmp / rel
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_materialise(content) if content.startswith(b"@") else content)
    argv = [part.format(tmp=tmp, data=data, seeds=SEEDS) for part in case.command]
    if case.stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(case.stdin), encoding="utf-8"))
    monkeypatch.chdir(tmp)
    before = _snapshot(tmp, data)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as stop:  # a usage error, raised by argparse
        code = stop.code
    captured = capsys.readouterr()
    after = _snapshot(tmp, data)
    return code, captured, before, after


ALL_CASES = CASES + _data_cases()


def _params():
    for case in ALL_CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.id, marks=marks)


def test_the_catalogue_is_large_and_has_unique_names():
    assert len(ALL_CASES) >= 100
    assert len({c.id for c in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize("case", list(_params()))
def test_bad_input(case, tmp_path, mini_data, capsys, monkeypatch):
    code, captured, before, after = _run(case, tmp_path, mini_data, capsys, monkeypatch)
    lines = [line for line in captured.err.splitlines() if line.strip() and ": warning: " not in line]
    assert "Traceback" not in captured.err
    assert code == case.code, captured.err
    assert len(lines) == 1, captured.err
    assert case.expect in lines[0], lines[0]
    assert sorted(after) == sorted(before), "files appeared or disappeared"
    assert after == before, "a file changed"


# --- arbitrary JSON and arbitrary bytes: accepted, or InvalidInput with one line each -------------------

PROPERTY = settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
json_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
                        st.sampled_from(["mini_a", "mini_b", "GPE", "direct", "Washington", "\ud800", 0.0, 1.0, 10 ** 400]))
json_values = st.recursive(json_leaves, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
    st.sampled_from(["doc_id", "entities", "quotes", "numeric_claims", "start", "end", "text", "label", "value", "id",
                     "speaker", "cue", "data", "annotations", "result", "x"]) | st.text(max_size=4), kids, max_size=4), max_leaves=12)
byte_strings = st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")),
                         json_values.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")[:-1]))


def _one_line_each(err: InvalidInput) -> None:
    assert err.problems
    for problem in err.problems:
        assert "\n" not in str(problem) and "\r" not in str(problem)


def _accepted_or_refused(fn, *args) -> None:
    try:
        fn(*args)
    except InvalidInput as err:
        _one_line_each(err)


@pytest.fixture(scope="module")
def mini_texts():
    from newsclaims.corpus import load_corpus

    corpus = load_corpus(SEEDS)
    return corpus, {d: doc.text for d, doc in corpus.documents.items()}


@PROPERTY
@given(value=json_values)
def test_any_json_value_as_a_model_answer(mini_texts, value):
    from newsclaims.eval.predictions import check_prediction

    for problem in check_prediction(value, mini_texts[1], "model", None, {}):
        assert "\n" not in str(problem)


@PROPERTY
@given(raw=byte_strings)
def test_any_bytes_as_a_predictions_file(mini_texts, raw, tmp_path_factory):
    from newsclaims.eval.predictions import load_predictions

    path = tmp_path_factory.mktemp("p") / "p.jsonl"
    path.write_bytes(raw)
    _accepted_or_refused(load_predictions, path, mini_texts[1])


@pytest.fixture(scope="module")
def mini_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree") / "mini"
    shutil.copytree(MINI, root)
    return root


@PROPERTY
@given(raw=byte_strings)
def test_any_bytes_as_a_gold_document(mini_texts, mini_tree, raw):
    from newsclaims.corpus import validate_gold_file

    path = mini_tree / "annotations" / "gold" / "mini_a.json"
    path.write_bytes(raw)
    _accepted_or_refused(validate_gold_file, path, mini_texts[0])


@PROPERTY
@given(value=json_values)
def test_any_json_value_as_a_gold_document(mini_texts, mini_tree, value):
    from newsclaims.corpus import validate_gold_file

    path = mini_tree / "annotations" / "gold" / "mini_a.json"
    path.write_bytes(json.dumps(value).encode("utf-8", "surrogatepass"))
    _accepted_or_refused(validate_gold_file, path, mini_texts[0])


@PROPERTY
@given(raw=byte_strings, name=st.sampled_from(["entities.json", "claim_groups.json", "quote_groups.json"]))
def test_any_bytes_as_a_registry(mini_texts, mini_tree, raw, name):
    from newsclaims.corpus import validate_registry

    path = mini_tree / "annotations" / name
    original = path.read_bytes()
    path.write_bytes(raw)
    try:
        _accepted_or_refused(validate_registry, path, mini_texts[0])
    finally:
        path.write_bytes(original)


@PROPERTY
@given(raw=byte_strings)
def test_any_bytes_as_a_label_studio_export(mini_texts, tmp_path_factory, raw):
    from newsclaims import labelstudio

    path = tmp_path_factory.mktemp("ls") / "export.json"
    path.write_bytes(raw)
    _accepted_or_refused(labelstudio.read_export, path, mini_texts[0])


@PROPERTY
@given(raw=byte_strings, config=st.sampled_from(["documents", "entities", "quotes", "numeric_claims", "kb", "build_info"]))
def test_any_bytes_in_a_dataset_folder(mini_data, tmp_path_factory, raw, config):
    from newsclaims.eval.gold import load_gold_data

    folder = tmp_path_factory.mktemp("d") / "data"
    shutil.copytree(mini_data, folder)
    target = folder / "build_info.json" if config == "build_info" else folder / config / "test.jsonl"
    target.write_bytes(raw)
    _accepted_or_refused(load_gold_data, folder)


ls_tasks = st.lists(st.fixed_dictionaries({"data": st.dictionaries(st.sampled_from(["doc_id", "text", "text_sha256"]), json_values,
                                                                     max_size=3)},
                                          optional={"annotations": json_values, "id": json_values}), max_size=3)


@PROPERTY
@given(tasks=ls_tasks)
def test_any_task_shapes_as_a_label_studio_export(mini_texts, tmp_path_factory, tasks):
    from newsclaims import labelstudio

    path = tmp_path_factory.mktemp("ls") / "export.json"
    path.write_bytes(json.dumps(tasks).encode("utf-8", "surrogatepass"))
    _accepted_or_refused(labelstudio.read_export, path, mini_texts[0])
