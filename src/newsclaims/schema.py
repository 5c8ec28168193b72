"""JSON Schema (draft 2020-12) validation with messages in the project's one-line format.

The schema files in ``newsclaims/schemas/`` are the spec of every file format; ``labels`` reads its
label lists from them. Validation here is structural only; ``newsclaims.corpus`` and
``newsclaims.eval.predictions`` add the semantic checks (offsets, surface text, references).

Two paths read the same schema files:

- the fast path, ``is_valid``: each schema is translated once into a plain Python predicate (the
  keywords below, nothing else; an unknown keyword is an error at translation time, so a schema
  change can never be silently ignored). It answers yes or no and costs about a microsecond per
  record, so valid input pays almost nothing;
- the batch path, ``all_valid``: one schema checked against a whole list of records a column at a
  time (the set of types of a field, its distinct strings against a pattern, the minimum of its
  numbers), so a million dataset rows cost a few C-level passes instead of a million calls. It
  answers "all valid" or "look at each": it never accepts a list holding an invalid record, and a
  caller whose list it does not accept asks ``is_valid`` and ``schema_problems`` record by record;
- the explaining path, ``jsonschema``: imported and run only for a record the fast path refused,
  to say in one line per field what was found and what was expected.

Both paths use the same definitions of the JSON types, stricter than jsonschema's defaults, so a
file reads the same wherever it is used: an ``integer`` is an integer (``0.0`` and ``true`` are
not), a ``number`` is finite and within the range of a float (no NaN, no Infinity, no 400-digit
integer), and ``pattern`` follows ECMA-262, where ``$`` is the end of the string (Python's ``$``
would also accept a trailing newline). ``tests/test_schema_paths.py`` proves the two paths accept
and refuse exactly the same records.
"""

from __future__ import annotations

import json
import math
import operator
import re
import sys
from functools import cache
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any

from .problems import Problem, RecordAt, show

SCHEMA_NAMES = ("common", "gold_document", "predictions_line", "kb", "claim_groups", "quote_groups", "manifest", "waivers")
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
MAX_NUMBER = int(sys.float_info.max)  # larger integers cannot become floats (scoring and reports need floats)


DATASET_ROW_NAMES = ("dataset_document", "dataset_entities", "dataset_quotes", "dataset_numeric_claims", "dataset_kb")
RECORD_NAMES = ("predictions_entity",)  # one record of a predictions line, for checking many at once


@cache
def load_schema(name: str) -> dict:
    if name in DATASET_ROW_NAMES:
        return _dataset_row_schema(name.removeprefix("dataset_"))
    if name == "predictions_entity":
        return load_schema("predictions_line")["properties"]["entities"]["items"]
    # A plain file read: importlib.resources costs ~50 ms at start-up for the same bytes.
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8"))


def _dataset_row_schema(config: str) -> dict:
    """A row of a built dataset folder, derived from the schema files (no second definition).

    A layer's row is its gold record plus ``doc_id`` and ``fold``; a kb row is a kb entity; a
    document row has at least ``doc_id``, ``fold`` and ``text``. Further fields are allowed (and
    ignored by scoring).
    """
    doc_id = {"$ref": "common.schema.json#/$defs/doc_id"}
    fold = {"type": "integer", "minimum": 0}
    if config == "document":
        return {"type": "object", "properties": {"doc_id": doc_id, "fold": fold, "text": {"type": "string"}},
                "required": ["doc_id", "fold", "text"]}
    if config == "kb":
        item = load_schema("kb")["properties"]["entities"]["items"]
        return {key: value for key, value in item.items() if key != "additionalProperties"}
    item = load_schema("gold_document")["properties"][config]["items"]
    return {**{key: value for key, value in item.items() if key != "additionalProperties"},
            "properties": {**item["properties"], "doc_id": doc_id, "fold": fold},
            "required": [*item["required"], "doc_id", "fold"]}


# --- the JSON types, shared by both paths ---------------------------------------------------------

def is_integer(value: Any) -> bool:
    """An integer: a Python int (not a bool, not an integral float such as 0.0) a float can hold."""
    return type(value) is int and -MAX_NUMBER <= value <= MAX_NUMBER


def is_number(value: Any) -> bool:
    """A finite number a float can hold: an integer as above, or a finite float."""
    return is_integer(value) or (type(value) is float and value - value == 0)  # NaN - NaN and inf - inf are NaN


def ecma_pattern(pattern: str) -> re.Pattern:
    """A JSON Schema pattern as a Python regex: a final unescaped ``$`` means the end of the string."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


# --- the fast path: schemas translated into Python predicates --------------------------------------

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "x-expected", "$comment"})
_TYPE_TESTS = {
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "string": "type({v}) is str",
    "boolean": "type({v}) is bool",
    "null": "{v} is None",
    "integer": "(type({v}) is int and -MAX_NUMBER <= {v} <= MAX_NUMBER)",
    "number": "((type({v}) is int and -MAX_NUMBER <= {v} <= MAX_NUMBER) or (type({v}) is float and {v} - {v} == 0))",
}
# Keywords that constrain only one type (an instance of another type passes them).
_KEYWORD_TYPE = {"properties": "object", "required": "object", "additionalProperties": "object",
                 "dependentRequired": "object", "items": "array", "minLength": "string", "pattern": "string",
                 "minimum": "number"}


def _schema_by_uri(uri: str, base: str) -> str:
    """The schema name a $ref's document part points to ("" = the current document)."""
    if not uri:
        return base
    name = uri.rsplit("/", 1)[-1].removesuffix(".schema.json")
    if name not in SCHEMA_NAMES:
        raise ValueError(f"$ref to an unknown schema: {uri}")
    return name


def _resolve_ref(ref: str, base: str) -> tuple[dict, str, str]:
    """(subschema, its document's name, a key naming it) for a $ref inside document ``base``."""
    uri, _, pointer = ref.partition("#")
    name = _schema_by_uri(uri, base)
    node: Any = load_schema(name)
    for part in [p for p in pointer.split("/") if p]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, name, f"{name}#{pointer}"


class _Translator:
    """Writes one Python function per schema (and per $ref target) returning True or False."""

    def __init__(self) -> None:
        self.functions: dict[str, str] = {}  # key -> function name
        self.sources: list[str] = []
        self.constants: dict[str, Any] = {"MAX_NUMBER": MAX_NUMBER}
        self.inlining = 0  # depth of nested expressions, bounding how far $refs are inlined

    def constant(self, value: Any) -> str:
        name = f"C{len(self.constants)}"
        self.constants[name] = value
        return name

    def function(self, schema: Any, base: str, key: str) -> str:
        if key in self.functions:
            return self.functions[key]
        name = f"f{len(self.functions)}"
        self.functions[key] = name
        self.sources.append(f"def {name}(v):\n    return {self.expression(schema, base, 'v')}\n")
        return name

    def expression(self, schema: Any, base: str, v: str) -> str:
        self.inlining += 1
        try:
            return self._expression(schema, base, v)
        finally:
            self.inlining -= 1

    def _expression(self, schema: Any, base: str, v: str) -> str:
        if schema is True or schema == {}:
            return "True"
        if schema is False:
            return "False"
        if not isinstance(schema, dict):
            raise ValueError(f"not a schema: {schema!r}")
        unknown = set(schema) - _ANNOTATIONS - set(_KEYWORD_TYPE) - {"type", "enum", "anyOf", "allOf", "$ref"}
        if unknown:
            raise ValueError(f"schema keywords the fast validator does not know: {sorted(unknown)}")
        checks: list[str] = []
        types = schema.get("type")
        if types is not None:
            types = [types] if isinstance(types, str) else types
            checks.append("(" + " or ".join(_TYPE_TESTS[t].format(v=v) for t in types) + ")")
        by_type: dict[str, list[str]] = {}
        for keyword, kind in _KEYWORD_TYPE.items():
            if keyword in schema:
                by_type.setdefault(kind, []).extend(self.keyword(keyword, schema, base, v))
        for kind, kind_checks in by_type.items():
            joined = " and ".join(kind_checks)
            # With "type" naming only this kind, the type test above already holds.
            checks.append(joined if types == [kind] or (kind == "number" and types == ["integer"])
                          else f"(not {_TYPE_TESTS[kind].format(v=v)} or ({joined}))")
        if "enum" in schema:
            values = schema["enum"]
            if not all(isinstance(x, str) for x in values):
                raise ValueError("the fast validator supports enums of strings only")
            checks.append(f"(type({v}) is str and {v} in {self.constant(frozenset(values))})")
        if "$ref" in schema:
            target, name, key = _resolve_ref(schema["$ref"], base)
            inline = self.expression(target, name, v) if self.inlining < 8 else None
            if inline is not None and len(inline) <= 400:  # small targets inline: a call costs more than the check
                checks.append(inline)
            else:
                checks.append(f"{self.function(target, name, key)}({v})")
        for keyword, joiner in (("allOf", " and "), ("anyOf", " or ")):
            if keyword in schema:
                parts = [self.expression(sub, base, v) for sub in schema[keyword]]
                checks.append("(" + joiner.join(parts) + ")")
        return "(" + " and ".join(checks) + ")" if checks else "True"

    def keyword(self, keyword: str, schema: dict, base: str, v: str) -> list[str]:
        value = schema[keyword]
        if keyword == "properties":
            out = []
            for prop, sub in value.items():
                item = f"{v}[{prop!r}]"
                inner = self.expression(sub, base, item)
                if inner != "True":
                    out.append(f"({prop!r} not in {v} or {inner})")
            return out
        if keyword == "required":
            return [f"{v}.keys() >= {self.constant(frozenset(value))}"] if value else []
        if keyword == "additionalProperties":
            if value is False:
                return [f"{v}.keys() <= {self.constant(frozenset(schema.get('properties', {})))}"]
            if value is True or value == {}:
                return []
            raise ValueError("the fast validator supports additionalProperties: false only")
        if keyword == "dependentRequired":
            return [f"({key!r} not in {v} or {v}.keys() >= {self.constant(frozenset(needed))})" for key, needed in value.items()]
        if keyword == "items":
            return [f"all(map({self.function(value, base, f'{base}:{id(value)}')}, {v}))"]
        if keyword == "minLength":
            return [f"len({v}) >= {int(value)}"]
        if keyword == "pattern":
            return [f"{self.constant(ecma_pattern(value))}.search({v}) is not None"]
        if keyword == "minimum":
            return [f"{v} >= {value!r}"]
        raise AssertionError(keyword)


@cache
def fast_validator(name: str):
    """The fast predicate of one schema: ``fast_validator("kb")(value) -> bool``.

    Translated on first use, one schema at a time, so a command pays only for the formats it reads.
    """
    if name == "common" or name not in SCHEMA_NAMES + DATASET_ROW_NAMES:
        raise KeyError(name)
    return _compiled(load_schema(name), name, f"{name}#")


def _compiled(schema: Any, base: str, key: str):
    """The fast predicate of a schema (or a subschema of the document ``base``, named by ``key``)."""
    translator = _Translator()
    function = translator.function(schema, base, key)
    namespace = dict(translator.constants)
    exec(compile("\n".join(translator.sources), f"<newsclaims.schema fast validator: {key}>", "exec"), namespace)  # noqa: S102
    return namespace[function]


def is_valid(name: str, instance: Any) -> bool:
    """Whether the instance is valid against the schema: the fast path (no explanation)."""
    try:
        return bool(fast_validator(name)(instance))
    except RecursionError:  # nothing valid is that deep: every schema here has a bounded depth
        return False


# --- the batch path: a schema checked a column at a time -------------------------------------------

_PYTHON_TYPES = {"object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,), "null": (type(None),),
                 "integer": (int,), "number": (int, float)}
_STRING_KEYWORDS = ("minLength", "pattern")
_OBJECT_KEYWORDS = ("properties", "required", "additionalProperties", "dependentRequired")
# Types whose equal values are the same for every keyword (unlike 1 == 1.0 == True), and equal to
# no value of another JSON type: a set of them keeps every type there is in the column.
_SCALARS_BY_EQUALITY = {str, type(None)}
MAX_BATCH_DEPTH = 32  # deeper than any schema here; a deeper list is looked at record by record


def all_valid(name: str, instances: list) -> bool:
    """True when every instance is valid against the schema; False means "look at each".

    Sound, not complete: True is never said of a list holding an invalid instance (a property test
    checks it against ``is_valid``), but a list of valid instances may get False where a column
    check cannot decide (an ``anyOf`` whose branches split one group of records); the caller then
    checks record by record, which is always exact. The instances are parsed JSON (built-in types
    only, as ``newsclaims.jsonio`` makes them): a column's repeated strings are checked once.
    """
    if name == "common" or name not in SCHEMA_NAMES + DATASET_ROW_NAMES + RECORD_NAMES:
        raise KeyError(name)
    try:
        return _all(load_schema(name), name, instances, 0)
    except (TypeError, RecursionError):  # an unhashable value in a set, a list too deep: decide per record
        return False
    finally:
        _KEY_FACTS.clear()


def _all(schema: Any, base: str, values: list, depth: int) -> bool:
    if not values or schema is True:
        return True
    if schema is False or depth > MAX_BATCH_DEPTH:
        return False
    if len(values) > 64 and _checks_each_value(schema):
        try:
            distinct = set(values)
        except TypeError:  # objects or lists: no repeats to remove
            distinct = None
        if distinct is not None:
            types = set(map(type, distinct))
            if types <= _SCALARS_BY_EQUALITY:  # a string equals only a string: each is checked once
                return _check(schema, base, list(distinct), types, depth)
    return _check(schema, base, values, set(map(type, values)), depth)


def _checks_each_value(schema: Any) -> bool:
    """Whether a schema has a check costly per value (a pattern, a choice of branches), worth
    removing repeats for; a type or length check is cheaper than the removing."""
    return isinstance(schema, dict) and any(k in schema for k in ("pattern", "anyOf", "$ref", "allOf"))


def _of_types(values: list, types: set, wanted: tuple) -> list:
    """The values of the wanted Python types (the values themselves when no other type is there)."""
    if types <= set(wanted):
        return values
    return [v for v in values if type(v) in wanted]


def _check(schema: dict, base: str, values: list, types: set, depth: int) -> bool:
    if schema == {}:
        return True
    if "type" in schema:
        names = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
        if not types <= {t for name in names for t in _PYTHON_TYPES[name]}:
            return False
        if int in types:  # an integer a float can hold; a float that is finite
            ints = _of_types(values, types, (int,))
            if not (-MAX_NUMBER <= min(ints) and max(ints) <= MAX_NUMBER):
                return False
        if float in types and not all(map(math.isfinite, _of_types(values, types, (float,)))):
            return False
    if "enum" in schema and not (types <= {str} and set(values) <= set(schema["enum"])):
        return False
    if str in types and any(k in schema for k in _STRING_KEYWORDS):
        strings = _of_types(values, types, (str,))
        if "minLength" in schema and min(map(len, strings)) < schema["minLength"]:
            return False
        if "pattern" in schema:
            search = ecma_pattern(schema["pattern"]).search
            if not all(map(search, set(strings))):
                return False
    if "minimum" in schema and types & {int, float}:
        if min(_of_types(values, types, (int, float))) < schema["minimum"]:
            return False
    if dict in types and any(k in schema for k in _OBJECT_KEYWORDS):
        if _objects(schema, base, _of_types(values, types, (dict,)), depth) is None:
            return False
    if list in types and "items" in schema:
        items = list(chain.from_iterable(_of_types(values, types, (list,))))
        if not _all(schema["items"], base, items, depth + 1):
            return False
    if "$ref" in schema:
        target, name, _ = _resolve_ref(schema["$ref"], base)
        if not _check(target, name, values, types, depth + 1):
            return False
    if "allOf" in schema and not all(_check(sub, base, values, types, depth + 1) for sub in schema["allOf"]):
        return False
    if "anyOf" in schema:
        return all(any(_all(sub, base, group, depth + 1) for sub in schema["anyOf"]) for group in _groups(values, types))
    return True


def _groups(values: list, types: set) -> list[list]:
    """Values split by Python type, objects also by their set of keys: what one anyOf branch decides
    together (a branch that accepts a whole group accepts each of its values)."""
    groups = [values if len(types) == 1 else [v for v in values if type(v) is kind] for kind in types if kind is not dict]
    if dict in types:
        dicts = _of_types(values, types, (dict,))
        if _same_keys(dicts):
            groups.append(dicts)
        else:
            by_keys: dict = {}
            for d in dicts:
                by_keys.setdefault(frozenset(d), []).append(d)
            groups += by_keys.values()
    return groups


def _key_facts(dicts: list[dict]) -> tuple[set, dict | None]:
    """(every key of the objects, their columns when each object has exactly those keys, else None),
    worked out once per list during one check (several keywords ask about the same list)."""
    found = _KEY_FACTS.get(id(dicts))
    if found is None or found[0] is not dicts:
        columns = None
        if len(set(map(len, dicts))) == 1:
            try:  # objects of one size that all hold the first one's keys have exactly its keys
                columns = _columns(dicts)
            except KeyError:
                pass
        keys = set(dicts[0]) if columns is not None else set().union(*dicts)
        found = _KEY_FACTS[id(dicts)] = (dicts, keys, columns)
    return found[1], found[2]


def _same_keys(dicts: list[dict]) -> bool:
    """Whether every object has exactly the same keys."""
    return _key_facts(dicts)[1] is not None


_KEY_FACTS: dict[int, tuple] = {}  # id(list) -> (list, keys, columns); emptied after each check


def _columns(dicts: list[dict]) -> dict[str, tuple]:
    """The values of each of the first object's keys, in one pass (KeyError: some object lacks one)."""
    keys = list(dicts[0])
    if len(keys) == 1:
        return {keys[0]: tuple(map(operator.itemgetter(keys[0]), dicts))}
    return dict(zip(keys, zip(*map(operator.itemgetter(*keys), dicts)))) if keys else {}


def valid_columns(name: str, rows: list) -> dict[str, tuple] | None:
    """The columns of rows that are all valid and all have the same keys (``{key: values}``, in row
    order); None means "look at each", as ``all_valid`` says False. What a reader of many rows of
    one shape wants: the check and the columns in the same passes."""
    try:
        if not rows or set(map(type, rows)) != {dict} or not _same_keys(rows):
            return None
        schema = load_schema(name)
        if schema.get("type") != "object":
            return None
        columns = _objects(schema, name, rows, 0)
        rest = {k: v for k, v in schema.items() if k not in _OBJECT_KEYWORDS and k != "type"}
        if columns is None or rest and not _check(rest, name, rows, {dict}, 0):
            return None
        return columns
    except (TypeError, RecursionError):
        return None
    finally:
        _KEY_FACTS.clear()


def _objects(schema: dict, base: str, dicts: list[dict], depth: int) -> dict | None:
    """The object keywords checked over many objects: the columns when they all share their keys
    (else {}), None when some object may be invalid."""
    keys, columns = _key_facts(dicts)
    same_keys = columns is not None
    if "required" in schema:
        required = schema["required"]
        if same_keys:
            if not keys >= set(required):
                return None
        elif not all(all(map(operator.contains, dicts, repeat(key))) for key in required):
            return None
    if schema.get("additionalProperties", True) is not True and schema["additionalProperties"] != {}:
        if schema["additionalProperties"] is not False:
            return None
        if not keys <= set(schema.get("properties", {})):
            return None
    for key, needed in schema.get("dependentRequired", {}).items():
        if key in keys:
            having = dicts if same_keys else [d for d in dicts if key in d]
            if not all(all(map(operator.contains, having, repeat(other))) for other in needed):
                return None
    columns = columns or {}
    for key, sub in schema.get("properties", {}).items():
        if key in keys:
            column = columns[key] if same_keys else [d[key] for d in dicts if key in d]
            if not _all(sub, base, column, depth + 1):
                return None
    return columns


# --- the explaining path: jsonschema, only for what the fast path refused ---------------------------

@cache
def _registry():
    from referencing import Registry, Resource

    resources_ = []
    for name in SCHEMA_NAMES:
        schema = load_schema(name)
        resource = Resource.from_contents(schema)
        resources_.append((schema["$id"], resource))
        resources_.append((f"{name}.schema.json", resource))
    return Registry().with_resources(resources_)


@cache
def _strict_validator_class():
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import ValidationError

    # Exact types, as the fast path tests them (jsonschema's defaults take 1.0 as an integer, NaN as a
    # number and any dict subclass as an object).
    checker = Draft202012Validator.TYPE_CHECKER.redefine_many({
        "integer": lambda _checker, value: is_integer(value),
        "number": lambda _checker, value: is_number(value),
        "object": lambda _checker, value: type(value) is dict,
        "array": lambda _checker, value: type(value) is list,
        "string": lambda _checker, value: type(value) is str,
        "boolean": lambda _checker, value: type(value) is bool,
        "null": lambda _checker, value: value is None,
    })

    def pattern(validator, patrn, instance, schema):
        if validator.is_type(instance, "string") and not ecma_pattern(patrn).search(instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    return validators.extend(Draft202012Validator, validators={"pattern": pattern}, type_checker=checker)


@cache
def validator(name: str):
    """The explaining (jsonschema) validator of one schema, with the project's type definitions."""
    cls = _strict_validator_class()
    schema = load_schema(name)
    if name in DATASET_ROW_NAMES:
        # Derived schemas have no $id: their refs resolve through the registry's bare file names.
        schema = {"$schema": load_schema("common")["$schema"], **schema}
    cls.check_schema(schema)
    return cls(schema, registry=_registry())


def _resolve(schema: Any, depth: int = 0) -> Any:
    if isinstance(schema, dict) and "$ref" in schema and depth < 10:
        ref = schema["$ref"]
        target_uri, _, pointer = ref.partition("#")
        base = load_schema("common") if target_uri in ("", "common.schema.json") else None
        if base is not None and pointer.startswith("/"):
            node = base
            for part in pointer.strip("/").split("/"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            return _resolve(node, depth + 1)
    return schema


def describe(schema: Any) -> str:
    """Say in words what a (sub)schema accepts."""
    schema = _resolve(schema)
    if not isinstance(schema, dict):
        return "a valid value"
    if "x-expected" in schema:
        return schema["x-expected"]
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            parts = [describe(sub) for sub in schema[key]]
            return " or ".join(dict.fromkeys(parts))
    if "type" in schema:
        types: list[str] = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        words = {"integer": "an integer", "number": "a number", "string": "a string", "object": "an object",
                 "array": "a list", "boolean": "true or false", "null": "null"}
        return " or ".join(words.get(t, t) for t in types)
    return "a valid value"


def _field_path(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _expected(error) -> tuple[str, str]:
    """(field suffix, expected text) for one jsonschema error."""
    kind = error.validator
    value = error.validator_value
    if kind == "required":
        missing = next((k for k in value if isinstance(error.instance, dict) and k not in error.instance), "?")
        return missing, "the required field to be present"
    if kind in ("additionalProperties", "unevaluatedProperties"):
        allowed = sorted(k for k in error.schema.get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in allowed) if isinstance(error.instance, dict) else []
        name = extra[0] if extra else "?"
        return name, "no field of that name (known fields: " + ", ".join(allowed) + ")"
    if kind == "dependentRequired":
        return "", "start and end given together"
    if kind == "minimum":
        return "", f"a number >= {value}"
    if kind == "minLength":
        return "", "a non-empty string" if value == 1 else f"a string of at least {value} characters"
    if kind == "pattern":
        return "", error.schema.get("x-expected", f"a string matching {value}")
    if kind == "type":
        return "", describe({"type": value})
    if kind == "enum":
        return "", describe(error.schema)
    if kind in ("anyOf", "oneOf", "allOf"):
        return "", describe(error.schema)
    return "", error.message


def _record_where(instance: Any, path: list) -> tuple[RecordAt | None, list]:
    """Split an error path into the record it is in (``entities[2] (id e3)``) and the field path inside it."""
    if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
        layer, index = path[0], path[1]
        record_id = None
        try:
            record = instance[layer][index]
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                record_id = record["id"]
        except (KeyError, IndexError, TypeError):
            pass
        return RecordAt(layer, index, record_id), path[2:]
    return None, path


@cache
def _record_lists(name: str) -> dict[str, tuple[Any, Any]]:
    """The top-level fields of a schema that hold lists of records: field -> (the explaining validator
    of one record, the fast predicate of one record)."""
    fields = {}
    for prop, sub in load_schema(name).get("properties", {}).items():
        if isinstance(sub, dict) and isinstance(sub.get("items"), dict):
            items = sub["items"]
            fields[prop] = (validator(name).evolve(schema=items), _compiled(items, name, f"{name}#/properties/{prop}/items"))
    return fields


def _errors(name: str, instance: Any, limit: int) -> list[tuple[list, Any]]:
    """(path, error) of what jsonschema finds in an instance.

    jsonschema does not walk a list of records (one line may hold a million): the fast path finds
    the records it refuses, and only the first ``limit`` of each list are explained, which is all
    that ``explain`` can show (its lines are sorted by path).
    """
    lists = {}
    if type(instance) is dict:
        lists = {prop: instance[prop] for prop in _record_lists(name) if type(instance.get(prop)) is list}
    rest = {**instance, **{prop: [] for prop in lists}} if lists else instance
    found = [(list(error.absolute_path), error) for error in validator(name).iter_errors(rest)]
    for prop, records in lists.items():
        explaining, fine = _record_lists(name)[prop]
        refused = (index for index, record in enumerate(records) if not fine(record))
        for index in islice(refused, limit):
            found += [([prop, index, *error.absolute_path], error) for error in explaining.iter_errors(records[index])]
    return found


def explain(name: str, instance: Any, file: str, line: int | None = None, limit: int = 20) -> list[Problem]:
    """What jsonschema finds wrong with an instance, one line per field, most specific first; at most ``limit``."""
    from jsonschema.exceptions import relevance

    problems = []
    by_path: dict[tuple, list] = {}
    for path, error in _errors(name, instance, limit):
        key = tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path)
        by_path.setdefault(key, []).append((path, error))
    # One line per field: a specific complaint beats "matches none of anyOf" at the same place.
    chosen = [max(errors, key=lambda pair: relevance(pair[1])) for _, errors in sorted(by_path.items())]
    for path, error in chosen[:limit]:
        record, field_path = _record_where(instance, path)
        suffix, expected = _expected(error)
        field = _field_path(field_path)
        if suffix:
            field = f"{field}.{suffix}" if field else suffix
        found = "nothing" if error.validator == "required" else show(error.instance)
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            found = "an unknown field"
        problems.append(Problem(file, str(record) if record else "", field, found, expected, line, record))
    return problems


def schema_problems(name: str, instance: Any, file: str, line: int | None = None, limit: int = 20) -> list[Problem]:
    """Structural problems of one instance, most specific first, at most ``limit``; [] when valid.

    Valid input costs one call of the fast predicate. For refused input, a value JSON cannot hold
    (NaN, Infinity, a huge integer, nesting too deep, a lone surrogate, a Python object that is no
    JSON value) is named first, in the reader's words; then jsonschema explains the structure of
    every other field (not of one nested too deep, which it cannot walk).
    """
    if is_valid(name, instance):
        return []
    from .jsonio import MAX_DEPTH, value_problems

    problems = value_problems(instance, file, line, limit=limit)
    if len(problems) < limit and not any(p.found.startswith(f"JSON nested more than {MAX_DEPTH}") for p in problems):
        named = {p.field for p in problems}  # "entities[1].end"; the structure's line of the same field says less
        problems += [p for p in explain(name, instance, file, line, limit)
                     if (f"{p.record.layer}[{p.record.index}].{p.field}" if p.record else p.field) not in named][:limit - len(problems)]
    if not problems:  # the two paths disagree: never accept what the fast path refused
        problems = [Problem(file, "", "", show(instance), f"a value valid against {name}.schema.json", line)]
    return problems
