"""A catalogue of bad files: each is rejected with one clear line (file, line/record, field, found,
expected) and exit code 2, with no traceback; good files pass."""

from __future__ import annotations

import json

import pytest

from conftest import MINI

SEEDS = MINI / "seeds"
GOOD_LINE = {"doc_id": "mini_a", "entities": [{"start": 0, "end": 10, "text": "Washington", "label": "GPE"}],
             "quotes": [{"text": "very dangerous.", "speaker": "Joe Biden", "type": "direct"}],
             "numeric_claims": [{"text": "10,000", "value": 10000, "approx": "approximate", "source": {"text": "Pentagon"}}]}

# (case, file bytes, the exact error line after "<file>:")
PREDICTION_CASES = [
    ("not_json", b'{"doc_id": "mini_a",\n',
     "1: found invalid JSON (Expecting property name enclosed in double quotes at column 21); expected a JSON value"),
    ("not_an_object", b"[1, 2]\n", "1: found [1, 2]; expected a JSON object for one document"),
    ("wrong_type", b'{"doc_id": "mini_a", "entities": [{"start": "0", "end": 10}]}\n',
     '1: entities[0]: start: found "0"; expected an integer'),
    ("offset_out_of_range", b'{"doc_id": "mini_a", "entities": [{"start": 0, "end": 1000}]}\n',
     "1: entities[0]: end: found 1000; expected an offset <= 118, the length of the document text"),
    ("negative_offset", b'{"doc_id": "mini_a", "entities": [{"start": -1, "end": 3}]}\n',
     "1: entities[0]: start: found -1; expected a number >= 0"),
    ("start_not_before_end", b'{"doc_id": "mini_a", "entities": [{"start": 10, "end": 10}]}\n',
     "1: entities[0]: end: found end 10 <= start 10; expected end > start (end is exclusive)"),
    ("text_mismatch", b'{"doc_id": "mini_a", "entities": [{"start": 0, "end": 10, "text": "Washingtom"}]}\n',
     '1: entities[0]: text: found "Washingtom"; expected "Washington", the text at [0:10]'),
    ("cue_past_the_text", b'{"doc_id": "mini_a", "quotes": [{"text": "very dangerous.", "cue": {"start": 22, "end": 999}}]}\n',
     "1: quotes[0]: cue.end: found 999; expected an offset <= 118, the length of the document text"),
    ("unknown_label", b'{"doc_id": "mini_a", "entities": [{"start": 0, "end": 10, "label": "CITY"}]}\n',
     '1: entities[0]: label: found "CITY"; expected one of PERSON, NORP, FAC, ORG, GPE, LOC, PRODUCT, EVENT, '
     "WORK_OF_ART, LAW, LANGUAGE, DATE, TIME or null"),
    ("unknown_quote_type", b'{"doc_id": "mini_a", "quotes": [{"text": "very dangerous.", "type": "reported"}]}\n',
     '1: quotes[0]: type: found "reported"; expected one of direct, indirect or null'),
    ("unknown_approx", b'{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "approx": "about"}]}\n',
     '1: numeric_claims[0]: approx: found "about"; expected one of exact, approximate, at_least, at_most or null'),
    ("misspelt_field", b'{"doc_id": "mini_a", "entities": [{"start": 0, "end": 10, "lable": "GPE"}]}\n',
     "1: entities[0]: lable: found an unknown field; expected no field of that name "
     "(known fields: end, entity_id, id, label, occurrence, start, text)"),
    ("no_span", b'{"doc_id": "mini_a", "entities": [{"label": "GPE"}]}\n',
     '1: entities[0]: found {"label": "GPE"}; expected start and end, or text (with an optional occurrence)'),
    ("half_a_span", b'{"doc_id": "mini_a", "entities": [{"start": 3}]}\n',
     '1: entities[0]: found {"start": 3}; expected start and end given together'),
    ("bad_speaker", b'{"doc_id": "mini_a", "quotes": [{"text": "very dangerous.", "speaker": 5}]}\n',
     "1: quotes[0]: speaker: found 5; expected a span object, a name string or null"),
    ("missing_doc_id", b'{"entities": []}\n', "1: doc_id: found nothing; expected the required field to be present"),
    ("unknown_doc_id", b'{"doc_id": "nope"}\n', '1: doc_id: found "nope"; expected a doc_id of the dataset being scored'),
    ("duplicate_doc_id", b'{"doc_id": "mini_a"}\n{"doc_id": "mini_a"}\n',
     '2: doc_id: found "mini_a"; expected one line per document (already on line 1)'),
    ("duplicate_key", b'{"doc_id": "mini_a", "doc_id": "mini_b"}\n',
     "1: found the key 'doc_id' twice in one object; expected each key once per object"),
    ("nan_value", b'{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": NaN}]}\n',
     "1: numeric_claims[0].value: found NaN; expected a finite number (JSON has no NaN or Infinity)"),
    ("infinite_value", b'{"doc_id": "mini_a", "numeric_claims": [{"text": "10,000", "value": 1e999}]}\n',
     "1: numeric_claims[0].value: found Infinity; expected a finite number (JSON has no NaN or Infinity)"),
    ("non_utf8", b'{"doc_id": "mini_a"}\n{"doc_id": "mini_b", "entities": [{"text": "Rutte\xff"}]}\n',
     "2: found the byte 0xff at byte 49 of the line; expected UTF-8 text"),
    ("empty_file", b"", " found an empty file; expected one JSON object per line"),
    ("blank_lines_only", b"\n  \n", " found an empty file; expected one JSON object per line"),
]


@pytest.mark.parametrize("case,content,message", PREDICTION_CASES, ids=[c[0] for c in PREDICTION_CASES])
def test_bad_predictions_file(cli, tmp_path, case, content, message):
    path = tmp_path / f"{case}.jsonl"
    path.write_bytes(content)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli("validate", "--seeds", SEEDS, path)
    assert result.code == 2
    assert result.err_lines == [f"{path}:{message}"]
    assert "Traceback" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_good_predictions_file(cli, tmp_path):
    path = tmp_path / "good.jsonl"
    path.write_text(json.dumps(GOOD_LINE) + "\n")
    result = cli("validate", "--seeds", SEEDS, path)
    assert result.code == 0, result.err
    assert result.err_lines == [f"{path}: warning: no line for document mini_b; it scores as predicted-nothing"]


def test_byte_order_mark_is_skipped_with_a_warning(cli, tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"doc_id": "mini_a"}\n{"doc_id": "mini_b"}\n')
    result = cli("validate", "--seeds", SEEDS, path)
    assert result.code == 0
    assert result.err_lines == [f"{path}: warning: skipped a UTF-8 byte-order mark at the start of the file"]


def test_gold_copied_as_predictions_is_valid(cli, tmp_path):
    """Gold records (with id and text) are valid prediction records."""
    lines = []
    for doc in sorted((MINI / "annotations" / "gold").glob("*.json")):
        gold = json.loads(doc.read_text("utf-8"))
        lines.append(json.dumps({k: gold[k] for k in ("doc_id", "entities", "quotes", "numeric_claims")}))
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = cli("validate", "--seeds", SEEDS, path)
    assert result.code == 0, result.err


def _edit_gold(root, doc_id, edit):
    path = root / "annotations" / "gold" / f"{doc_id}.json"
    data = json.loads(path.read_text("utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    return path


def _set(layer, index, key, value):
    def edit(doc):
        doc[layer][index][key] = value
    return edit


# (case, edit of mini_a's gold, the exact error line after "<file>:")
GOLD_CASES = [
    ("offset_out_of_range", _set("entities", 0, "end", 500),
     " entities[0] (id e1): end: found 500; expected an offset <= 118, the length of the document text"),
    ("text_mismatch", _set("entities", 1, "text", "Joe Bidem"),
     ' entities[1] (id e2): text: found "Joe Bidem"; expected "Joe Biden", the text at [12:21]'),
    ("untrimmed_span", lambda d: d["entities"][1].update(start=11, text=" Joe Biden"),
     ' entities[1] (id e2): text: found " Joe Biden"; expected a span without leading or trailing white space'),
    ("unknown_label", _set("entities", 0, "label", "CITY"),
     ' entities[0] (id e1): label: found "CITY"; expected one of PERSON, NORP, FAC, ORG, GPE, LOC, PRODUCT, EVENT, '
     "WORK_OF_ART, LAW, LANGUAGE, DATE, TIME"),
    ("label_disagrees_with_kb", _set("entities", 0, "label", "LOC"),
     ' entities[0] (id e1): label: found "LOC"; expected GPE, the type of washington_dc in entities.json'),
    ("duplicate_id", _set("entities", 1, "id", "e1"),
     ' entities[1] (id e1): id: found "e1"; expected an id unique in the document (also used at entities[0] (id e1))'),
    ("dangling_entity_id", _set("entities", 1, "entity_id", "joseph_biden"),
     ' entities[1] (id e2): entity_id: found "joseph_biden"; expected an id from entities.json'),
    ("date_with_entity_id", _set("entities", 2, "entity_id", "joe_biden"),
     ' entities[2] (id e3): entity_id: found "joe_biden"; expected null for a DATE mention'),
    ("name_without_entity_id", _set("entities", 1, "entity_id", None),
     " entities[1] (id e2): entity_id: found null; expected a knowledge-base id for a PERSON mention"),
    ("overlapping_mentions", lambda d: d["entities"].append(
        {"id": "e9", "start": 16, "end": 21, "text": "Biden", "label": "PERSON", "entity_id": "joe_biden"}),
     " entities[4] (id e9): start: found 16, inside mention e2 [12:21]; expected entity mentions that do not overlap"),
    ("dangling_speaker_id", _set("quotes", 0, "speaker_id", "biden"),
     ' quotes[0] (id q1): speaker_id: found "biden"; expected an id from entities.json'),
    ("speaker_span_without_id", _set("quotes", 0, "speaker_id", None),
     " quotes[0] (id q1): speaker_id: found null; expected the speaker's entity id, since a speaker span is given"),
    ("dangling_quote_group", _set("quotes", 0, "quote_group", "nope"),
     ' quotes[0] (id q1): quote_group: found "nope"; expected an id from quote_groups.json'),
    ("speaker_text_mismatch", lambda d: d["quotes"][0]["speaker"].update(text="Biden"),
     ' quotes[0] (id q1): speaker.text: found "Biden"; expected "Joe Biden", the text at [12:21]'),
    ("dangling_source_id", _set("numeric_claims", 0, "source_id", "nobody"),
     ' numeric_claims[0] (id n1): source_id: found "nobody"; expected an id from entities.json or \'author\''),
    ("dangling_claim_group", _set("numeric_claims", 0, "claim_group", "nope"),
     ' numeric_claims[0] (id n1): claim_group: found "nope"; expected an id from claim_groups.json'),
    ("wrong_value_type", _set("numeric_claims", 0, "value", "10,000"),
     ' numeric_claims[0] (id n1): value: found "10,000"; expected a number'),
    ("unknown_approx", _set("numeric_claims", 0, "approx", "about"),
     ' numeric_claims[0] (id n1): approx: found "about"; expected one of exact, approximate, at_least, at_most'),
    ("missing_field", lambda d: d["quotes"][0].pop("cue"),
     " quotes[0] (id q1): cue: found nothing; expected the required field to be present"),
    ("stale_text_checksum", lambda d: d.update(text_sha256="0" * 64),
     " text_sha256: found " + "0" * 64 + "; expected "),
]


@pytest.mark.parametrize("case,edit,message", GOLD_CASES, ids=[c[0] for c in GOLD_CASES])
def test_bad_gold_file(cli, mini_copy, case, edit, message):
    path = _edit_gold(mini_copy, "mini_a", edit)
    before = {p: p.read_bytes() for p in mini_copy.rglob("*") if p.is_file()}
    result = cli("validate", "--seeds", mini_copy / "seeds", mini_copy / "annotations")
    assert result.code == 2
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith(f"{path}:{message}")
    assert "Traceback" not in result.err
    assert {p: p.read_bytes() for p in mini_copy.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("content,message", [
    (b"", "found an empty file; expected a JSON object"),
    (b"\xff\xfe{}", "found the byte 0xff at byte 0; expected UTF-8 text"),
    (b"{not json", "1: found invalid JSON (Expecting property name enclosed in double quotes at column 2); expected a JSON value"),
    (b"[]", "found []; expected a JSON object"),
])
def test_unreadable_gold_file(cli, mini_copy, content, message):
    path = mini_copy / "annotations" / "gold" / "mini_a.json"
    path.write_bytes(content)
    result = cli("validate", "--seeds", mini_copy / "seeds", mini_copy / "annotations")
    assert result.code == 2
    assert result.err_lines == [f"{path}:{message}" if message[0].isdigit() else f"{path}: {message}"]


def test_gold_file_named_for_another_document(cli, mini_copy):
    gold = mini_copy / "annotations" / "gold"
    (gold / "mini_b.json").unlink()
    (gold / "mini_a.json").rename(gold / "mini_b.json")
    result = cli("validate", "--seeds", mini_copy / "seeds", mini_copy / "annotations")
    assert result.code == 2
    assert result.err_lines == [
        f"{gold / 'mini_b.json'}: doc_id: found \"mini_a\"; expected 'mini_b', the file's stem",
        f"{gold}: found no mini_a.json; expected one gold file per document in seeds/MANIFEST.json",
    ]


@pytest.mark.parametrize("filename,edit,message", [
    ("entities.json", lambda d: d["entities"].append(dict(d["entities"][0])),
     'entities[6] (id joe_biden): id: found "joe_biden"; expected an id not used by another record'),
    ("entities.json", lambda d: d["entities"][0].update(wikidata="6279"),
     'entities[0] (id joe_biden): wikidata: found "6279"; expected a Wikidata QID such as Q6279, or null when not certain'),
    ("entities.json", lambda d: d["entities"][0].update(id="author"),
     "entities[0] (id author): id: found \"author\"; expected an id other than 'author', which is reserved for the article itself"),
    ("entities.json", lambda d: d["entities"][1].update(aliases=["Rutte", "Rutte"]),
     'entities[1] (id mark_rutte): aliases: found ["Rutte"] listed twice; expected each alias once'),
    ("claim_groups.json", lambda d: d["claim_groups"][0].update(cluster_id="elsewhere"),
     'claim_groups[0] (id troops_sent): cluster_id: found "elsewhere"; expected a cluster id from seeds/MANIFEST.json'),
    ("quote_groups.json", lambda d: d["quote_groups"][0].update(colour="red"),
     "quote_groups[0] (id very_dangerous): colour: found an unknown field; expected no field of that name "
     "(known fields: cluster_id, description, id)"),
])
def test_bad_registry(cli, mini_copy, filename, edit, message):
    path = mini_copy / "annotations" / filename
    data = json.loads(path.read_text("utf-8"))
    edit(data)
    path.write_text(json.dumps(data))
    result = cli("validate", "--seeds", mini_copy / "seeds", mini_copy / "annotations")
    assert result.code == 2
    assert result.err_lines == [f"{path}: {message}"]
    single = cli("validate", "--seeds", mini_copy / "seeds", path)
    assert single.code == 2 and single.err_lines == [f"{path}: {message}"]


def test_edited_seed_is_refused(cli, mini_copy):
    seed = mini_copy / "seeds" / "mini_a.txt"
    seed.write_bytes(seed.read_bytes().replace(b"Washington", b"Washingtom"))
    result = cli("validate", "--seeds", mini_copy / "seeds", mini_copy / "annotations")
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith(f"{mini_copy / 'seeds' / 'MANIFEST.json'}: documents[0] (mini_a): sha256: found ")
    assert result.err_lines[0].endswith("as recorded (seeds are never edited)")


def test_single_gold_file_uses_its_own_set(cli, mini_copy):
    path = mini_copy / "annotations" / "gold" / "mini_b.json"
    result = cli("validate", "--seeds", mini_copy / "seeds", path)
    assert result.code == 0, result.err
    assert result.out.strip() == f"ok: {path}: gold document mini_b"


def test_packaged_gold_is_valid(cli):
    result = cli("validate")
    assert result.code == 0, result.err
    assert result.out.startswith("ok: 5 seed documents (checksums match)")


def test_one_span_rule_for_one_span_and_for_many():
    """``corpus.check_span`` (one span, a problem named) and ``corpus.spans_fit`` (a batch) keep one rule."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from newsclaims.corpus import check_span, spans_fit

    texts = ["Washington said", "ab"]

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.integers(0, 1), st.integers(0, 17), st.integers(0, 17), st.sampled_from([None, "Washington", "ab", "", "a"]))
    def agree(doc, start, end, surface):
        span = {"start": start, "end": end, **({} if surface is None else {"text": surface})}
        one = check_span(span, texts[doc], "", "", "", [], gold=False)
        assert spans_fit(texts, [len(t) for t in texts], [doc], [start], [end], [surface]) == one
        assert spans_fit(texts, [len(t) for t in texts], [doc, 0], [start, 0], [end, 10], [surface, "Washington"]) == one

    agree()
