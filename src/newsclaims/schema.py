"""JSON Schema (draft 2020-12) validation with messages in the project's one-line format.

The schema files in ``newsclaims/schemas/`` are the spec of every file format; ``labels`` reads its
label lists from them. Validation here is structural only; ``newsclaims.corpus`` and
``newsclaims.eval.loaders`` add the semantic checks (offsets, surface text, references).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from .problems import Problem, show

SCHEMA_NAMES = ("common", "gold_document", "predictions_line", "kb", "claim_groups", "quote_groups", "manifest", "waivers")


@cache
def load_schema(name: str) -> dict:
    text = resources.files("newsclaims").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


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
def validator(name: str):
    from jsonschema import Draft202012Validator

    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry())


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
        extra = sorted(k for k in error.instance if k not in allowed) if isinstance(error.instance, dict) else []
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


def schema_problems(name: str, instance: Any, file: str, line: int | None = None, limit: int = 20) -> list[Problem]:
    """Structural problems of one instance, most specific first, at most ``limit``."""
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
