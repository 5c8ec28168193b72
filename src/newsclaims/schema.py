"""JSON Schema (draft 2020-12) validation with messages in the project's one-line format.

The schema files in ``newsclaims/schemas/`` are the spec of every file format; ``labels`` reads its
label lists from them. Validation here is structural only; ``newsclaims.corpus`` and
``newsclaims.eval.loaders`` add the semantic checks (offsets, surface text, references).

Two paths read the same schema files:

- the fast path, ``is_valid``: each schema is translated once into a plain Python predicate (the
  keywords below, nothing else; an unknown keyword is an error at translation time, so a schema
  change can never be silently ignored). It answers yes or no and costs about a microsecond per
  record, so valid input pays almost nothing;
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
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

from .problems import Problem, show

SCHEMA_NAMES = ("common", "gold_document", "predictions_line", "kb", "claim_groups", "quote_groups", "manifest", "waivers")
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
MAX_NUMBER = int(sys.float_info.max)  # larger integers cannot become floats (scoring and reports need floats)


DATASET_ROW_NAMES = ("dataset_document", "dataset_entities", "dataset_quotes", "dataset_numeric_claims", "dataset_kb")


@cache
def load_schema(name: str) -> dict:
    if name in DATASET_ROW_NAMES:
        return _dataset_row_schema(name.removeprefix("dataset_"))
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
    if name not in SCHEMA_NAMES or name in DATASET_ROW_NAMES:
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
    translator = _Translator()
    function = translator.function(load_schema(name), name, f"{name}#")
    namespace = dict(translator.constants)
    exec(compile("\n".join(translator.sources), f"<newsclaims.schema fast validator: {name}>", "exec"), namespace)  # noqa: S102
    return namespace[function]


def is_valid(name: str, instance: Any) -> bool:
    """Whether the instance is valid against the schema: the fast path (no explanation)."""
    try:
        return bool(fast_validator(name)(instance))
    except RecursionError:  # nothing valid is that deep: every schema here has a bounded depth
        return False


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
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
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


def _record_where(instance: Any, path: list) -> tuple[str, list]:
    """Split an error path into a record locator ("entities[2] (id e3)") and the field path inside it."""
    if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
        layer, index = path[0], path[1]
        where = f"{layer}[{index}]"
        try:
            record = instance[layer][index]
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                where += f" (id {record['id']})"
        except (KeyError, IndexError, TypeError):
            pass
        return where, path[2:]
    return "", path


def explain(name: str, instance: Any, file: str, line: int | None = None, limit: int = 20) -> list[Problem]:
    """What jsonschema finds wrong with an instance, one line per field, most specific first."""
    from jsonschema.exceptions import relevance

    problems = []
    by_path: dict[tuple, list] = {}
    for error in validator(name).iter_errors(instance):
        key = tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in error.absolute_path)
        by_path.setdefault(key, []).append(error)
    # One line per field: a specific complaint beats "matches none of anyOf" at the same place.
    chosen = [max(errors, key=relevance) for _, errors in sorted(by_path.items())]
    for error in chosen[:limit]:
        path = list(error.absolute_path)
        record, field_path = _record_where(instance, path)
        suffix, expected = _expected(error)
        field = _field_path(field_path)
        if suffix:
            field = f"{field}.{suffix}" if field else suffix
        found = "nothing" if error.validator == "required" else show(error.instance)
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            found = "an unknown field"
        problems.append(Problem(file, record, field, found, expected, line))
    return problems


def schema_problems(name: str, instance: Any, file: str, line: int | None = None, limit: int = 20) -> list[Problem]:
    """Structural problems of one instance, most specific first, at most ``limit``; [] when valid.

    Valid input costs one call of the fast predicate. For refused input, a value JSON cannot hold
    (NaN, Infinity, a huge integer, nesting too deep, a lone surrogate, a Python object that is no
    JSON value) is named first, in the reader's words; then jsonschema explains the structure.
    """
    if is_valid(name, instance):
        return []
    from .jsonio import value_problems

    problems = value_problems(instance, file, line, limit=limit)
    if not problems:
        problems = explain(name, instance, file, line, limit)
    if not problems:  # the two paths disagree: never accept what the fast path refused
        problems = [Problem(file, "", "", show(instance), f"a value valid against {name}.schema.json", line)]
    return problems
