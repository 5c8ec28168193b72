"""The compiled parser behind jsonio.parse_json gives exactly what the strict standard-library path
gives, and refuses nothing the standard path would accept (hypothesis over JSON texts)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from newsclaims.jsonio import _no_duplicate_keys, _parse_fast

SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | st.text()
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                      max_leaves=25)


def _strict(text: str):
    return json.loads(text, object_pairs_hook=_no_duplicate_keys)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(VALUES, st.booleans())
def test_the_fast_path_agrees_with_the_strict_parser(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    fast = _parse_fast(text)
    if fast is not None:
        assert fast == _strict(text) and json.dumps(fast) == json.dumps(_strict(text))  # same types too (1 vs 1.0)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.dictionaries(st.text(max_size=4), VALUES, min_size=1, max_size=4), st.data())
def test_a_duplicate_key_never_passes_the_fast_path(obj, data):
    key = data.draw(st.sampled_from(sorted(obj)))
    body = json.dumps(obj)[1:-1]
    text = "{" + body + ", " + json.dumps(key) + ": " + json.dumps(data.draw(VALUES)) + "}"
    nested = '{"outer": [1, ' + text + ']}'
    for candidate in (text, nested):
        assert _parse_fast(candidate) is None  # the standard parser then refuses it by name


def test_texts_only_the_standard_parser_can_read_exactly_go_the_slow_way():
    for text in ('[12345678901234567890]', '[1e400]', '[NaN]', '"\\ud800"', '{"a": 1, "a": 1}'):
        assert _parse_fast(text) is None
