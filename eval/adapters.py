"""Where predictions come from: a file, a Python callable or shipped baseline, a command, or an
OpenAI-compatible chat endpoint. Every answer is validated like a line of a predictions file.

- ``--model NAME`` or ``--model package.module:callable``: called with ``{"doc_id", "text"}`` per
  document, returns a prediction dict (the predictions-line format).
- ``--command "CMD"``: started once per worker; reads one document JSON per line on stdin and
  writes one prediction per line on stdout, in any order (each line names its doc_id).
- ``--openai-base-url URL --openai-model NAME``: POST ``URL/chat/completions`` with the prompt in
  ``eval/prompts/``; the reply is parsed leniently (JSON inside prose or code fences, missing
  fields) into text-only spans. The key is read from an environment variable only.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from newsclaims.labels import APPROX_VALUES, ENTITY_LABELS, LAYERS, QUOTE_TYPES
from newsclaims.problems import InvalidInput, Problem, show

from .loaders import Predictions, check_prediction, missing_documents

PROMPTS = Path(__file__).resolve().parent / "prompts"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"


def _progress(total: int, desc: str):
    try:
        from tqdm import tqdm
    except ImportError:  # the progress bar is a convenience, not a requirement
        return None
    return tqdm(total=total, desc=desc, unit="doc", file=sys.stderr, disable=None)


def _map_documents(fn, items: list, workers: int, desc: str, steps=lambda item: 1) -> list:
    """fn over items on a thread pool, in order, with a progress bar counting documents."""
    bar = _progress(sum(steps(item) for item in items), desc)

    def counted(item):
        try:
            return fn(item)
        finally:
            if bar is not None:
                bar.update(steps(item))

    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return list(pool.map(counted, items))
    finally:
        if bar is not None:
            bar.close()


def _collect(name: str, texts: dict[str, str], answers: list[tuple[str, object]]) -> Predictions:
    """Validate (doc_id, answer) pairs into Predictions; raises InvalidInput naming each bad answer."""
    result = Predictions(name)
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for doc_id, answer in answers:
        label = f"{name}: document {doc_id}"
        if isinstance(answer, dict) and "doc_id" not in answer:
            answer = {"doc_id": doc_id, **answer}
        found = check_prediction(answer, texts, label, None, seen)
        if not found and answer["doc_id"] != doc_id:
            found = [Problem(label, "", "doc_id", show(answer["doc_id"]), f"{doc_id!r}, the document it was given")]
        problems += found
        if not found:
            result.by_doc[doc_id] = answer
            seen[doc_id] = 0
    if problems:
        raise InvalidInput(problems[:20])
    result.warnings += missing_documents(result, texts, "no answer")
    return result


def resolve_model(spec: str) -> Callable[[dict], dict]:
    """A shipped baseline by name, or ``package.module:callable``."""
    from newsclaims import baselines

    registry = getattr(baselines, "REGISTRY", {})
    if spec in registry:
        target = registry[spec]
        module_name, _, attr = target.partition(":")
    elif ":" in spec:
        module_name, _, attr = spec.partition(":")
    else:
        known = ", ".join(sorted(registry)) or "none yet"
        raise InvalidInput([Problem("--model", "", "", show(spec), f"a shipped baseline ({known}) or package.module:callable")])
    try:
        module = importlib.import_module(module_name)
        fn = getattr(module, attr)
    except (ImportError, AttributeError) as err:
        raise InvalidInput([Problem("--model", "", "", f"{spec!r} ({type(err).__name__}: {err})",
                                    "an importable package.module:callable")]) from None
    if not callable(fn):
        raise InvalidInput([Problem("--model", "", "", f"{spec!r} is not callable", "a function taking a document dict")])
    return fn


def run_callable(spec: str, texts: dict[str, str], workers: int = 1) -> Predictions:
    fn = resolve_model(spec)
    name = f"model {spec}"

    def one(doc_id: str):
        try:
            return doc_id, fn({"doc_id": doc_id, "text": texts[doc_id]})
        except InvalidInput:  # the model's own clear message (a missing pipeline, say)
            raise
        except Exception as err:  # a model's own failure is reported, not raised
            raise InvalidInput([Problem(name, f"document {doc_id}", "", f"{type(err).__name__}: {err}",
                                        "a prediction dict (the model raised)")]) from None

    return _collect(name, texts, _map_documents(one, list(texts), workers, spec))


def run_command(command: str, texts: dict[str, str], workers: int = 1, timeout: float = 60.0) -> Predictions:
    """Run the command on shards of the documents; ``timeout`` is seconds per document."""
    name = f"command {command!r}"
    try:
        argv = shlex.split(command)
    except ValueError as err:
        raise InvalidInput([Problem("--command", "", "", f"{command!r} ({err})", "a shell-style command line")]) from None
    doc_ids = list(texts)
    shards = [doc_ids[i::max(1, workers)] for i in range(max(1, min(workers, len(doc_ids))))]

    def run_shard(shard: list[str]) -> list[tuple[str, object]]:
        stdin = "".join(json.dumps({"doc_id": d, "text": texts[d]}, ensure_ascii=False) + "\n" for d in shard)
        limit = timeout * len(shard)
        try:
            done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=limit)
        except FileNotFoundError:
            raise InvalidInput([Problem(name, "", "", "no such program", "an executable command")]) from None
        except subprocess.TimeoutExpired:
            raise InvalidInput([Problem(name, "", "", f"no answer after {limit:g} s ({len(shard)} documents)",
                                        f"one line per document within {timeout:g} s each (--timeout)")]) from None
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no stderr"])[-1][:200]
            raise InvalidInput([Problem(name, "", "", f"exit status {done.returncode} (stderr: {tail})", "exit status 0")])
        answers = []
        for number, line in enumerate(done.stdout.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as err:
                raise InvalidInput([Problem(f"{name} output", "", "", f"invalid JSON ({err})", "one prediction JSON per line", number)]) from None
            doc_id = obj.get("doc_id") if isinstance(obj, dict) else None
            if doc_id not in shard:
                raise InvalidInput([Problem(f"{name} output", "", "doc_id", show(doc_id), "the doc_id of a document it was given", number)])
            answers.append((doc_id, obj))
        return answers

    answers = _map_documents(run_shard, shards, len(shards), "command", steps=len)
    return _collect(name, texts, [a for shard_answers in answers for a in shard_answers])


# --- OpenAI-compatible endpoints -----------------------------------------------------------------

def _first_json_object(content: str):
    """The first JSON object in a reply: inside a code fence, the whole reply, or a balanced {...}."""
    candidates = re.findall(r"```(?:json)?\s*(.*?)```", content, re.S) + [content]
    for text in candidates:
        text = text.strip()
        try:
            value = json.loads(text)
            if isinstance(value, dict):
                return value
        except ValueError:
            pass
        start = text.find("{")
        while start >= 0:
            depth, in_string, escape = 0, False, False
            for i in range(start, len(text)):
                ch = text[i]
                if in_string:
                    if escape:
                        escape = False
                    elif ch == "\\":
                        escape = True
                    elif ch == '"':
                        in_string = False
                    continue
                if ch == '"':
                    in_string = True
                elif ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                    if depth == 0:
                        try:
                            value = json.loads(text[start:i + 1])
                            if isinstance(value, dict):
                                return value
                        except ValueError:
                            pass
                        break
            start = text.find("{", start + 1)
    return None


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = re.search(r"-?\d+(?:[.,]\d+)*", value.replace("\u00a0", ""))
        if match:
            digits = match.group().replace(",", "")
            try:
                return float(digits)
            except ValueError:
                return None
    return None


def _text(value) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, dict):
        return _text(value.get("text"))
    return None


def lenient_prediction(doc_id: str, reply: dict) -> dict:
    """Text-only prediction records from a loosely shaped reply; unknown fields are dropped."""
    out: dict = {"doc_id": doc_id}
    aliases = {"entities": ("entities", "names"), "quotes": ("quotes",), "numeric_claims": ("numeric_claims", "claims", "numbers")}
    for layer in LAYERS:
        items = next((reply[k] for k in aliases[layer] if isinstance(reply.get(k), list)), None)
        if items is None:
            continue
        records = []
        for item in items:
            text = _text(item)
            if text is None:
                continue
            item = item if isinstance(item, dict) else {}
            record: dict = {"text": text}
            if layer == "entities":
                label = str(item.get("label") or item.get("type") or "").upper()
                record["label"] = label if label in ENTITY_LABELS else None
                record["entity_id"] = _text(item.get("entity_id"))
            elif layer == "quotes":
                kind = str(item.get("type") or "").lower()
                record["type"] = kind if kind in QUOTE_TYPES else None
                record["speaker"] = _text(item.get("speaker"))
                cue = _text(item.get("cue"))
                record["cue"] = {"text": cue} if cue else None
            else:
                record["value"] = _number(item.get("value"))
                unit = _text(item.get("unit"))
                record["unit"] = unit.lower() if unit else None
                approx = str(item.get("approx") or "").lower().replace(" ", "_")
                record["approx"] = approx if approx in APPROX_VALUES else None
                record["source"] = _text(item.get("source"))
            records.append({k: v for k, v in record.items() if v is not None})
        out[layer] = records
    return out


def run_openai(base_url: str, model: str, texts: dict[str, str], workers: int = 1, timeout: float = 120.0,
               key_env: str = DEFAULT_KEY_ENV) -> tuple[Predictions, dict[str, str]]:
    """Predictions from a chat endpoint, and each raw reply (kept beside the report)."""
    import urllib.error
    import urllib.request

    system = (PROMPTS / "system.txt").read_text("utf-8")
    template = (PROMPTS / "user.txt").read_text("utf-8")
    key = os.environ.get(key_env)
    url = base_url.rstrip("/") + "/chat/completions"
    name = f"endpoint {url}"
    replies: dict[str, str] = {}

    def one(doc_id: str):
        body = json.dumps({"model": model, "temperature": 0, "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": template.replace("{text}", texts[doc_id])}]}).encode()
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        where = f"document {doc_id}"
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            raise InvalidInput([Problem(name, where, "", f"HTTP {err.code} {err.reason}", "HTTP 200")]) from None
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise InvalidInput([Problem(name, where, "", f"no answer ({reason})", f"a reply within {timeout:g} s")]) from None
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
            if not isinstance(content, str):
                raise TypeError
        except (ValueError, KeyError, IndexError, TypeError):
            raise InvalidInput([Problem(name, where, "", f"a body that is not a chat completion: {show(raw[:80])}",
                                        "JSON with choices[0].message.content")]) from None
        replies[doc_id] = content
        reply = _first_json_object(content)
        if reply is None:
            raise InvalidInput([Problem(name, where, "choices[0].message.content", show(content[:80]),
                                        "a JSON object with entities, quotes and numeric_claims")])
        return doc_id, lenient_prediction(doc_id, reply)

    return _collect(name, texts, _map_documents(one, list(texts), workers, model)), replies
