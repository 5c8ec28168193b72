"""What an endpoint run asks: the prompt (versioned data), worked examples from the gold, and the
JSON Schema of the answer. Nothing here sends anything; ``openai_client`` does.

- **A prompt** is a JSON file: ``{"id", "version", "system", "user"}``, four non-empty strings and
  nothing else, the user template holding ``{text}`` exactly once (where the article goes). The
  default is ``eval/prompts/extract.json``; ``--prompt FILE`` uses another. A run records the id,
  version and the sha256 of the file's bytes.
- **Shots** (``--shots K``): before the article, K worked examples, each a user message (the
  template filled with another document's text) and an assistant message (that document's gold as
  the answer, in the answer schema's form). For the scored document the examples are the K
  documents that follow it in doc_id order, wrapping around from the last to the first: never the
  scored document itself, fixed by the doc_ids alone, and different neighbours for each document.
  K is at most the number of documents less one. An example document longer than
  ``SHOT_MAX_CHARS`` is cut at its last paragraph break before that length (else its last sentence
  end, else the length itself), and keeps only the gold records lying wholly inside the part kept
  (a quote's speaker and cue, a claim's source, included).
- **The answer schema** (``answer_schema``) is the predictions schema
  (``schemas/predictions_line.schema.json``) in text-span form, written to the subset that OpenAI's
  strict structured outputs accept: each layer's record fields less the offsets and ``id``
  (``OFFSET_FIELDS``) and less the registry ids (``REGISTRY_FIELDS``: they name knowledge-base
  entries and groups the prompt does not give the model); a speaker, cue or source as its text; every field
  required, null allowed (type arrays; an enum lists null) except the record's ``text``;
  ``additionalProperties: false`` on every object; no ``minimum``/``minLength`` (not all servers
  accept them). vLLM (xgrammar, guidance) and llama.cpp's server (a grammar made from the schema)
  accept this subset; ``strict`` is sent as true and ignored by servers without a strict mode.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newsclaims.labels import LAYERS
from newsclaims.problems import InvalidInput, Problem, show

DEFAULT_PROMPT = Path(__file__).resolve().parent.parent / "prompts" / "extract.json"
PROMPT_FIELDS = ("id", "version", "system", "user")
SHOT_MAX_CHARS = 1500
OFFSET_FIELDS = ("id", "start", "end")
REGISTRY_FIELDS = ("entity_id", "speaker_id", "source_id", "quote_group", "claim_group")
SCHEMA_NAME = "newsclaims_predictions"
SPAN_FIELDS = {"quotes": ("speaker", "cue"), "numeric_claims": ("source",)}  # attached spans, given as their text


@dataclass(frozen=True)
class Prompt:
    id: str
    version: str
    system: str
    user: str
    sha256: str  # of the file's bytes
    path: str

    def describe(self) -> dict:
        return {"id": self.id, "version": self.version, "sha256": self.sha256, "file": self.path}

    def user_message(self, text: str) -> dict:
        return {"role": "user", "content": self.user.replace("{text}", text)}


def load_prompt(path: Path | str | None = None) -> Prompt:
    """The prompt file at ``path`` (None: the packaged default), checked; InvalidInput (one line) if it is not one."""
    from newsclaims import jsonio

    file = Path(path) if path is not None else DEFAULT_PROMPT
    shown = str(file) if path is not None else "(packaged) eval/prompts/extract.json"
    expected = 'a JSON object {"id", "version", "system", "user"} of non-empty strings, the user template holding {text} once'
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise InvalidInput([Problem("--prompt", "", "", f"{shown} ({err.strerror or type(err).__name__})", expected)]) from None
    try:
        value = jsonio.loads(raw.decode("utf-8"), shown)
    except UnicodeDecodeError:
        raise InvalidInput([Problem(shown, "", "", "a file that is not UTF-8", expected)]) from None
    except InvalidInput as err:
        first = err.problems[0]
        raise InvalidInput([Problem(shown, first.where, first.field, first.found, expected)]) from None
    if not isinstance(value, dict):
        raise InvalidInput([Problem(shown, "", "", show(value)[:60], expected)])
    extra = sorted(set(value) - set(PROMPT_FIELDS))
    if extra:
        raise InvalidInput([Problem(shown, "", extra[0], "a field a prompt does not have", expected)])
    for field in PROMPT_FIELDS:
        if not isinstance(value.get(field), str) or not value[field].strip():
            raise InvalidInput([Problem(shown, "", field, show(value.get(field))[:60] if field in value else "nothing", expected)])
    count = value["user"].count("{text}")
    if count != 1:
        raise InvalidInput([Problem(shown, "", "user", f"a template holding {{text}} {count} times", expected)])
    return Prompt(value["id"], value["version"], value["system"], value["user"], hashlib.sha256(raw).hexdigest(), shown)


def check_shots(shots: int, documents: int) -> None:
    """``--shots K`` refused (one line) unless 0 <= K < documents: every example is another document."""
    if not 0 <= shots < max(documents, 1):
        raise InvalidInput([Problem("--shots", "", "", f"{shots} with {documents} documents",
                                    f"at most {max(documents - 1, 0)} (the examples are the other documents)")])


def shot_documents(doc_ids: list[str], doc_id: str, shots: int) -> list[str]:
    """The ``shots`` doc_ids following ``doc_id`` in doc_id order, wrapping around (the module's rule)."""
    order = sorted(doc_ids)
    at = order.index(doc_id)
    return [order[(at + step) % len(order)] for step in range(1, shots + 1)]


def _span_end(record: dict) -> int:
    ends = [record["end"]] + [record[f]["end"] for f in ("speaker", "cue", "source") if isinstance(record.get(f), dict)]
    return max(ends)


def _cut(text: str) -> int:
    """Where an example document is cut (the module's rule): its length if short enough."""
    if len(text) <= SHOT_MAX_CHARS:
        return len(text)
    head = text[:SHOT_MAX_CHARS]
    paragraph = head.rfind("\n\n")
    if paragraph > 0:
        return paragraph
    sentence = max(head.rfind(". "), head.rfind(".\n"))
    return sentence + 1 if sentence > 0 else SHOT_MAX_CHARS


def gold_answer(text: str, records: Mapping[str, list]) -> dict:
    """A document's gold as a model should answer it: the answer schema's fields, in its order, each
    span as the document's own characters (entity records are held without their text)."""
    fields = {layer: list(spec["items"]["properties"]) for layer, spec in answer_schema()["properties"].items()}
    answer = {}
    for layer in LAYERS:
        rows = []
        for record in records.get(layer, []):
            row = {}
            for field in fields[layer]:
                value = record.get(field)
                if field == "text":
                    value = text[record["start"]:record["end"]]
                elif field in SPAN_FIELDS.get(layer, ()):
                    value = text[value["start"]:value["end"]] if isinstance(value, dict) else value
                    if field == "source" and value is None and record.get("source_id") == "author":
                        value = "author"
                row[field] = value
            rows.append(row)
        answer[layer] = rows
    return answer


def shot_messages(prompt: Prompt, text: str, records: Mapping[str, list]) -> list[dict]:
    """One worked example: the user message for ``text`` (cut by the rule) and the gold answer as the reply."""
    cut = _cut(text)
    kept = {layer: [r for r in records.get(layer, []) if _span_end(r) <= cut] for layer in LAYERS}
    answer = json.dumps(gold_answer(text, kept), ensure_ascii=False)
    return [prompt.user_message(text[:cut]), {"role": "assistant", "content": answer}]


def messages(prompt: Prompt, text: str, examples: list[tuple[str, Mapping[str, list]]] = ()) -> list[dict]:
    """The chat messages of one request: system, the worked examples (text, gold records), the article."""
    out = [{"role": "system", "content": prompt.system}]
    for example_text, records in examples:
        out += shot_messages(prompt, example_text, records)
    return out + [prompt.user_message(text)]


# --- the answer schema -------------------------------------------------------------------------------

def _schemas() -> dict[str, dict]:
    from newsclaims.schema import SCHEMA_DIR

    return {name: json.loads((SCHEMA_DIR / name).read_text("utf-8")) for name in ("predictions_line.schema.json", "common.schema.json")}


def _resolve(ref: str, here: str, schemas: dict[str, dict]) -> tuple[dict, str]:
    file, _, pointer = ref.partition("#")
    file = file or here
    node = schemas[file]
    for part in pointer.strip("/").split("/") if pointer.strip("/") else ():
        node = node[part]
    return node, file


def _kinds(node: dict, here: str, schemas: dict[str, dict]) -> tuple[set[str], list]:
    """The JSON types a property allows and its enum values; an object (a span) counts as its text."""
    if "$ref" in node:
        return _kinds(*_resolve(node["$ref"], here, schemas), schemas)
    if "anyOf" in node:
        types: set[str] = set()
        values: list = []
        for branch in node["anyOf"]:
            t, v = _kinds(branch, here, schemas)
            types |= t
            values += v
        return types, values
    if "enum" in node:
        return {"string"}, list(node["enum"])
    declared = node.get("type", [])
    types = set(declared if isinstance(declared, list) else [declared])
    if "object" in types:  # a span of its own: its text
        types = (types - {"object"}) | {"string"}
    return types, []


def _strict_property(node: dict, schemas: dict[str, dict]) -> dict:
    types, values = _kinds(node, "predictions_line.schema.json", schemas)
    order = [t for t in ("string", "integer", "number", "boolean") if t in types] + ["null"]
    out: dict = {"type": order if len(order) > 1 else order[0]}
    if values:
        out["enum"] = values + [None]
    return out


_ANSWER_SCHEMA: dict | None = None


def answer_schema() -> dict:
    """The JSON Schema of an answer (see the module docstring), derived from the predictions schema once."""
    global _ANSWER_SCHEMA
    if _ANSWER_SCHEMA is None:
        schemas = _schemas()
        line = schemas["predictions_line.schema.json"]
        layers = {}
        for layer in LAYERS:
            declared = line["properties"][layer]["items"]["properties"]
            fields = {name: ({"type": "string"} if name == "text" else _strict_property(node, schemas))
                      for name, node in declared.items() if name not in OFFSET_FIELDS + REGISTRY_FIELDS}
            layers[layer] = {"type": "array", "items": {"type": "object", "properties": fields, "required": list(fields),
                                                         "additionalProperties": False}}
        _ANSWER_SCHEMA = {"type": "object", "properties": layers, "required": list(LAYERS), "additionalProperties": False}
    return json.loads(json.dumps(_ANSWER_SCHEMA))  # a copy: callers may change theirs


def response_format() -> dict:
    """``response_format`` of a structured request (OpenAI's shape, which vLLM and llama.cpp's server read too)."""
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": answer_schema(), "strict": True}}


def follows_schema(content: str) -> bool:
    """Whether a reply is exactly a JSON object of the answer schema (what a server enforcing it sends)."""
    global _VALIDATOR
    from newsclaims import jsonio

    if _VALIDATOR is None:
        import jsonschema

        _VALIDATOR = jsonschema.Draft202012Validator(answer_schema())
    try:
        value = jsonio.loads(content, "reply")  # the strict reader: bounded depth, no NaN or duplicate keys
    except InvalidInput:
        return False
    return _VALIDATOR.is_valid(value)


_VALIDATOR = None
