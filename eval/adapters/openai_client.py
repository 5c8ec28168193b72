"""``--openai-base-url URL --openai-model NAME``: POST ``URL/chat/completions`` once per document
with the prompt of ``chat_prompt`` (a versioned prompt file, optional worked examples from the other
documents' gold, the answer schema as response_format where the server takes it); the reply is
parsed leniently (JSON inside prose or code fences, missing fields) into text-only spans. The key is
read from an environment variable only. 429, 5xx and reset connections are retried with backoff
(``--retries``, Retry-After honoured); each worker keeps its connection open; ``--cache DIR`` keeps
every reply so that a rerun asks only for what is missing; ``--timeout`` covers each whole reply
and ``--max-reply-bytes`` bounds it. report.json records the prompt, the options, the probe and the
server's own account of every reply (model, tokens, latency).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from newsclaims.labels import APPROX_VALUES, ENTITY_LABELS, LAYERS, QUOTE_TYPES
from newsclaims.problems import InvalidInput, Problem, show

from ..predictions import Predictions
from .answers import collect, parse_strict
from .chunks import DEFAULT_MAX_CHARS, ask_in_chunks
from .pool import map_documents

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_MAX_REPLY_BYTES = 8 * 1024 * 1024
DEFAULT_RETRIES = 4
BACKOFF_START = 0.5  # seconds before the first retry; doubled each time
BACKOFF_CAP = 30.0  # no single wait is longer, whatever Retry-After asks for
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SLEEP: Callable[[float], None] = time.sleep  # tests replace it so that retries do not wait


def _loads_or_none(text: str):
    """A JSON value by the strict reader (as for files), or None when the text is not one."""
    try:
        value = parse_strict(text, "reply")
    except InvalidInput:
        return None
    return value


def _fenced(content: str) -> list[str]:
    """What ```...``` code fences hold (a ``json`` tag dropped), in order; an unclosed fence holds nothing."""
    parts = content.split("```")
    inside = parts[1:len(parts) - 1 if len(parts) % 2 == 0 else len(parts):2]
    return [part[4:] if part.startswith("json") else part for part in inside]


def _balanced_objects(text: str) -> list[tuple[int, int]]:
    """(start, end) of every balanced ``{...}`` of ``text``, by start, found in one pass.

    Strings are followed inside braces only (a quote in the prose around an object starts no
    string), so a brace inside a string counts for nothing. An object with braces nested more than
    ``jsonio.MAX_DEPTH`` deep inside it is left out: the strict reader refuses it anyway, and leaving
    it out bounds the reading of every candidate together to MAX_DEPTH times the text.
    """
    from newsclaims.jsonio import MAX_DEPTH

    found: list[tuple[int, int]] = []
    open_starts: list[int] = []
    too_deep: set[int] = set()
    in_string, escaped = False, -1
    for match in re.finditer(r'[{}"\\]', text):
        i, ch = match.start(), match.group()
        if i == escaped:
            continue
        if in_string:
            if ch == "\\":
                escaped = i + 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = bool(open_starts)
        elif ch == "{":
            open_starts.append(i)
            if len(open_starts) > MAX_DEPTH:  # every start passes this place on its way down: each is marked once
                too_deep.add(open_starts[-MAX_DEPTH - 1])
        elif ch == "}" and open_starts:
            start = open_starts.pop()
            if start not in too_deep:
                found.append((start, i + 1))
    found.sort()
    return found


def _first_json_object(content: str, deadline: float | None = None):
    """The first JSON object in a reply: inside a code fence, the whole reply, or a balanced {...}
    (the first by position that reads as an object; see ``_balanced_objects``).

    Each candidate is read by the strict reader: NaN, duplicate keys and the like make it no answer.
    Raises TimeoutError when the search is still going at ``deadline`` (``time.monotonic()``).
    """
    for text in _fenced(content) + [content]:
        text = text.strip()
        value = _loads_or_none(text)
        if isinstance(value, dict):
            return value
        for start, end in _balanced_objects(text):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError
            value = _loads_or_none(text[start:end])
            if isinstance(value, dict):
                return value
    return None


SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def _number(value):
    """A reply's value as a number: a JSON number, or the first number written in a string, with a
    scale word after it ("1.5 million" -> 1500000, "10,000" -> 10000, "3 thousand" -> 3000)."""
    if isinstance(value, bool):
        return None
    import math

    number = None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # a 400-digit integer
            return None
    elif isinstance(value, str):
        match = re.search(r"(-?\d+(?:,\d{3})*(?:\.\d+)?)(?:\s*(thousand|million|billion|trillion)\b)?",
                          value.replace("\u00a0", " "), re.IGNORECASE)
        if match:
            try:
                number = float(match.group(1).replace(",", ""))
            except ValueError:
                return None
            if match.group(2):
                number *= SCALE_WORDS[match.group(2).lower()]
    return number if number is not None and math.isfinite(number) else None


def _text(value) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, dict):
        return _text(value.get("text"))
    return None


def lenient_prediction(doc_id: str, reply: dict) -> dict:
    """Text-only prediction records from a loosely shaped reply (an ``occurrence`` kept when it is a
    whole number >= 0); unknown fields are dropped."""
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
            occurrence = item.get("occurrence")
            if isinstance(occurrence, int) and not isinstance(occurrence, bool) and occurrence >= 0:
                record["occurrence"] = occurrence
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


def public_url(url: str) -> str:
    """The URL as shown in messages and files: any user:password@ part removed."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _url_for_messages(url: str) -> str:
    """``public_url``, or for a URL too malformed to split, the text with anything before an @ removed."""
    try:
        return public_url(url)
    except ValueError:
        return re.sub(r"//[^/]*@", "//", url)


def checked_url(base_url: str):
    """``--openai-base-url`` split (``urlsplit``), or InvalidInput before any request is made.

    The URL is printable ASCII (no space or line break: a CR/LF would be a header of its own), http or
    https, with a host and a valid port, and no ?query or #fragment (the request path goes after it).
    """
    from urllib.parse import urlsplit

    shown = show(_url_for_messages(base_url))

    def refuse(why: str):
        return InvalidInput([Problem("--openai-base-url", "", "", f"{shown} ({why})",
                                     "an http:// or https:// URL of the endpoint")])

    bad = re.search(r"[^\x21-\x7e]", base_url)
    if bad:
        char = bad.group()
        what = ("a line break" if char in "\r\n" else "a space" if char == " " else f"the control character {char!r}"
                if char < " " or char == "\x7f" else f"the character {char!r} (write an international host name in its xn-- form)")
        raise refuse(f"{what} at character {bad.start() + 1}")
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as err:
        raise refuse(str(err)) from None
    if parts.scheme not in ("http", "https"):
        raise refuse("not http or https" if parts.scheme else "no scheme")
    if not parts.hostname:
        raise refuse("no host")
    if parts.query or parts.fragment or "?" in base_url or "#" in base_url:
        raise refuse("a ?query or #fragment, where the request path /chat/completions would go")
    return parts


REDACTED = "[redacted]"
SECRET_SHAPES = re.compile(r"(?i:\bbearer)\s+(?=[\w.~+/=-]*\d)[\w.~+/=-]{8,}|\bsk-[\w-]{8,}")
MIN_SECRET = 6  # a shorter secret is not looked for (it would blank ordinary words)


class Redactor:
    """Secrets out of every text a run shows or writes: the run's own (the API key, a URL's password,
    the Authorization value) and anything shaped like one (``Bearer`` and a token with a digit,
    ``sk-`` and 8 or more characters), each replaced by ``[redacted]``.

    Applied to what an endpoint answers as it arrives (so predictions.jsonl, replies.jsonl and the
    reply cache never hold a key it echoed) and to every message of a failed run.
    """

    def __init__(self, *secrets: str | None):
        self.secrets = sorted({x for x in secrets if x and len(x) >= MIN_SECRET}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return SECRET_SHAPES.sub(REDACTED, text)

    def problem(self, problem: Problem) -> Problem:
        return Problem(self(problem.file), self(problem.where), problem.field, self(problem.found), self(problem.expected),
                       problem.line)


def _retry_after(value: str | None) -> float | None:
    """Seconds asked for by a Retry-After header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError):
            return None
    return seconds if seconds == seconds else None  # NaN: ignored


def backoff_delay(attempt: int, retry_after: str | None, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): Retry-After when given, else
    0.5, 1, 2, 4 ... seconds; never negative and never more than ``cap``."""
    asked = _retry_after(retry_after)
    delay = asked if asked is not None else BACKOFF_START * (2 ** attempt)
    return max(0.0, min(cap, delay))


class _Failure(Exception):
    """One document's request failed: a Problem, and whether trying again may help."""

    def __init__(self, problem: Problem, retry: bool = False, retry_after: str | None = None, status: int | None = None,
                 detail: str = ""):
        super().__init__(str(problem))
        self.problem, self.retry, self.retry_after, self.status = problem, retry, retry_after, status
        self.detail = detail  # the start of an error reply's body (what a server says it refused)


class ReplyCache:
    """Replies of an endpoint on disk, one JSON file per request, so that a rerun asks only for what is missing.

    A reply is keyed by the endpoint URL (without any user:password), the model name, the sha256
    of everything else the request sends but the article (``prompt_sha256``: the prompt, the worked
    examples, temperature, seed, max_tokens and any response_format) and the sha256 of the article
    (``document_sha256``): whatever changes the request changes the key. Files are
    written atomically; the key is stored beside the reply (never the API key), with the sha256 of
    both (``digest``): an entry that does not match it (edited by hand, or written by an older
    version), that cannot be read or that is a folder is skipped with a warning and asked again.
    The folder is checked (a folder one can write in, created if missing) before the first request.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def check(self) -> None:
        """InvalidInput (one line) unless the folder is, or can be made, a folder this process can write in."""
        import tempfile

        expected = "a folder for the replies that can be written in (created if missing)"
        if self.folder.exists() and not self.folder.is_dir():
            raise InvalidInput([Problem("--cache", "", "", f"{self.folder} is a file", expected)])
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.folder, prefix=".probe-"):
                pass
        except OSError as err:
            reason = err.strerror or type(err).__name__
            found = f"{self.folder}, which cannot be written in ({reason})"
            raise InvalidInput([Problem("--cache", "", "", found, expected)]) from None

    @staticmethod
    def key(endpoint: str, model: str, prompt_sha256: str, document_sha256: str) -> dict:
        return {"endpoint": endpoint, "model": model, "prompt_sha256": prompt_sha256, "document_sha256": document_sha256}

    @staticmethod
    def digest(key: dict, content: str) -> str:
        from newsclaims.jsonio import dumps_canonical

        return hashlib.sha256(dumps_canonical({"key": key, "content": content}).encode("utf-8", "surrogatepass")).hexdigest()

    def path(self, key: dict) -> Path:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        return self.folder / f"{digest}.json"

    @staticmethod
    def _warn(path: Path, what: str) -> None:
        print(f"{path}: warning: {what}; asking the endpoint again", file=sys.stderr)

    def get(self, key: dict) -> str | None:
        path = self.path(key)
        if not path.exists():
            return None
        if not path.is_file():
            self._warn(path, "a folder, not a cache entry")
            return None
        try:
            entry = parse_strict(path.read_text("utf-8"), str(path))
        except (InvalidInput, OSError, UnicodeDecodeError):
            self._warn(path, "an unreadable cache entry")
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("content"), str):
            return None
        if entry.get("sha256") != self.digest(key, entry["content"]):
            self._warn(path, "a cache entry that does not match its sha256 (edited, or written by an older version)")
            return None
        return entry["content"]

    def put(self, key: dict, content: str) -> None:
        """Keep a reply; one that cannot be written is a warning (the run has it, and so will replies.jsonl)."""
        from newsclaims.jsonio import dumps_canonical
        from newsclaims.safewrite import atomic_write_text

        path = self.path(key)
        try:
            atomic_write_text(path, dumps_canonical({"key": key, "content": content, "sha256": self.digest(key, content)}))
        except OSError as err:
            print(f"{path}: warning: the reply could not be kept in the cache ({err.strerror or type(err).__name__})",
                  file=sys.stderr)


class _Connections:
    """The run's HTTP connections: one per worker thread, kept open from one request to its next
    (keep-alive), and all shut at once on Ctrl-C so that no worker waits for its timeout.

    A kept connection that is readable before a request (the server closed it meanwhile, or sent
    something unasked) is replaced by a new one; one whose reply said it closes is not kept.
    """

    def __init__(self, url: str, timeout: float):
        from urllib.parse import urlsplit

        self.parts, self.timeout = urlsplit(url), timeout
        self.local = threading.local()
        self.lock = threading.Lock()
        self.open: set = set()
        self.stopped = False
        self.opened = 0

    def take(self):
        """This thread's kept connection if still usable, else a new one (connected by the caller)."""
        import http.client
        import select
        import ssl

        conn = getattr(self.local, "conn", None)
        self.local.conn = None
        if conn is not None:
            try:
                closed = conn.sock is None or bool(select.select([conn.sock], [], [], 0)[0])
            except (OSError, ValueError):
                closed = True
            if not closed:
                return conn
            self.discard(conn)
        parts = self.parts
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=self.timeout, context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        with self.lock:
            if self.stopped:
                raise KeyboardInterrupt
            self.open.add(conn)
            self.opened += 1
        return conn

    def keep(self, conn) -> None:
        self.local.conn = conn

    def discard(self, conn) -> None:
        with self.lock:
            self.open.discard(conn)
        conn.close()

    def close_all(self) -> None:
        """Ctrl-C: shut every socket, which ends whatever read a worker waits in."""
        import socket

        with self.lock:
            self.stopped = True
            conns = list(self.open)
        for conn in conns:
            sock = getattr(conn, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        """The run is over: close what is still open."""
        with self.lock:
            conns, self.open = list(self.open), set()
        for conn in conns:
            conn.close()


def _post_with_deadline(connections: _Connections, body: bytes, headers: dict, timeout: float, max_bytes: int, shown: str,
                        where: str) -> str:
    """POST and read the whole reply within ``timeout`` seconds of wall-clock time and ``max_bytes``.

    The deadline covers the whole exchange: connecting, sending, the status line and headers (a
    server may drip them a byte at a time) and the body. A timer shuts the socket down when it
    passes, which ends whatever read is waiting. The connection comes from ``connections`` and goes
    back to it when the reply was read whole and the server keeps it open.
    """
    import http.client
    import socket

    parts = connections.parts
    deadline = time.monotonic() + timeout
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn = connections.take()
    name = f"endpoint {shown}"
    expected = f"a whole reply within {timeout:g} s (--timeout)"
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def too_late(size: int | None = None) -> _Failure:
        so_far = "" if size is None else f" ({size} bytes so far)"
        return _Failure(Problem(name, where, "", f"no whole reply after {timeout:g} s{so_far}", expected))

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    size = 0
    reusable = False
    try:
        if conn.sock is None:
            conn.connect()
            if expired.is_set():  # the timer fired while connecting, before there was a socket to shut
                raise too_late()
        else:
            conn.sock.settimeout(timeout)
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise _Failure(Problem(name, where, "", f"a reply of {int(length)} bytes", f"at most {max_bytes} bytes (--max-reply-bytes)"))
        chunks = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise too_late(size)
            if conn.sock is not None:
                conn.sock.settimeout(remaining)
            chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise _Failure(Problem(name, where, "", f"a reply of more than {max_bytes} bytes", f"at most {max_bytes} bytes (--max-reply-bytes)"))
            chunks.append(chunk)
        if expired.is_set():  # the end of the body was the timer's shutdown, not the server's
            raise too_late(size)
        raw = b"".join(chunks)
        reusable = not response.will_close
        response.close()  # read to its end: the connection may carry the next request
        if response.status != 200:
            status = response.status
            raise _Failure(Problem(name, where, "", f"HTTP {status} {response.reason}", "HTTP 200"),
                           retry=status in RETRY_STATUSES or 500 <= status < 600,
                           retry_after=response.getheader("Retry-After"), status=status,
                           detail=raw[:300].decode("utf-8", "replace"))
    except _Failure:
        raise
    except (TimeoutError, OSError, http.client.HTTPException) as err:
        if connections.stopped:
            raise KeyboardInterrupt from None
        if expired.is_set() or isinstance(err, TimeoutError) or "timed out" in str(err):
            raise too_late(size or None) from None
        if isinstance(err, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
            raise _Failure(Problem(name, where, "", f"the connection reset ({type(err).__name__})", "a reply"), retry=True) from None
        if isinstance(err, http.client.HTTPException):  # RemoteDisconnected, IncompleteRead, BadStatusLine
            raise _Failure(Problem(name, where, "", f"a broken reply ({type(err).__name__})", "a complete HTTP reply"),
                           retry=True) from None
        reason = err.strerror or str(err) or type(err).__name__
        raise _Failure(Problem(name, where, "", f"no answer ({reason})", expected)) from None
    except ValueError as err:  # http.client refusing a header: its message may quote the key, so it is not shown
        raise _Failure(Problem(name, where, "", f"a request that cannot be sent ({type(err).__name__})",
                               "a URL and headers of printable characters")) from None
    finally:
        timer.cancel()
        if reusable and not expired.is_set():
            connections.keep(conn)
        else:
            connections.discard(conn)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _Failure(Problem(name, where, "", f"the byte 0x{raw[err.start]:02x} at byte {err.start} of the reply", "UTF-8 JSON")) from None


# --- what a run asks ----------------------------------------------------------------------------------

STRUCTURED_MODES = ("off", "auto", "on")
REFUSAL_STATUSES = frozenset({400, 422})  # how OpenAI, vLLM and llama.cpp's server refuse a request field they do not take
DEFAULT_WORKERS = 8  # see the --workers help: a served model batches concurrent requests
DEFAULT_TEMPERATURE = 0.0
DEFAULT_SEED = 0
DEFAULT_MAX_TOKENS = 4096
SHOTS_RULE = "the K documents after the scored one in doc_id order, wrapping around (never the scored one)"


@dataclass(frozen=True)
class ChatOptions:
    """What every request of a run sends besides the article; all of it is in report.json and the cache key.

    ``structured``: ``off`` sends no response_format (the prompt alone asks for JSON); ``auto`` sends
    the answer schema (``chat_prompt.response_format``) with the first document, as the probe, and
    keeps sending it if the server answers 200, else (HTTP 400 or 422) asks that document again and
    every other without it; ``on`` refuses the run unless the probe's reply follows the schema. A
    probe refused is kept in ``--cache`` as such, so a rerun sends no probe again.
    """

    prompt: Path | None = None  # None: the packaged default prompt
    shots: int = 0
    structured: str = "auto"
    temperature: float = DEFAULT_TEMPERATURE
    seed: int | None = DEFAULT_SEED
    max_tokens: int | None = DEFAULT_MAX_TOKENS


Examples = Mapping[str, tuple[str, Mapping[str, list]]]  # doc_id -> (text, gold records by layer), for the shots


class Requests:
    """The request body of each document: the prompt, its worked examples (the shots rule, in
    ``chat_prompt``), the options and the article."""

    def __init__(self, model: str, options: ChatOptions, doc_ids: list[str], examples: Examples | None):
        from .chat_prompt import check_shots, load_prompt

        if options.structured not in STRUCTURED_MODES:
            raise InvalidInput([Problem("--structured", "", "", show(options.structured), " or ".join(STRUCTURED_MODES))])
        self.model, self.options = model, options
        self.prompt = load_prompt(options.prompt)
        if options.shots:
            check_shots(options.shots, len(doc_ids))
            if examples is None:
                raise InvalidInput([Problem("--shots", "", "", "no gold to draw examples from", "a run on gold documents")])
        self.doc_ids, self.examples = doc_ids, examples

    def shots_of(self, doc_id: str) -> list[str]:
        from .chat_prompt import shot_documents

        return shot_documents(self.doc_ids, doc_id, self.options.shots) if self.options.shots else []

    def body(self, doc_id: str, text: str, structured: bool) -> tuple[dict, str]:
        """The request for ``text`` (document ``doc_id`` or a part of it), and the sha256 of all of it but the article."""
        from newsclaims.jsonio import dumps_canonical

        from .chat_prompt import messages, response_format

        examples = [self.examples[d] for d in self.shots_of(doc_id)]
        body: dict = {"model": self.model, "messages": messages(self.prompt, text, examples), "temperature": self.options.temperature}
        if self.options.seed is not None:
            body["seed"] = self.options.seed
        if self.options.max_tokens is not None:
            body["max_tokens"] = self.options.max_tokens
        if structured:
            body["response_format"] = response_format()
        unfilled = {**body, "messages": body["messages"][:-1] + [{"role": "user", "content": self.prompt.user}]}
        return body, hashlib.sha256(dumps_canonical(unfilled).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Completion:
    """One reply: its content, and what the server said of it (None where it said nothing)."""

    content: str
    cached: bool = False
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    seconds: float = 0.0


class _Refused(Exception):
    """The probe's response_format was refused (HTTP 400 or 422)."""

    def __init__(self, failure: _Failure):
        super().__init__(failure.problem.found)
        self.failure = failure


def _count(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class ChatClient:
    """Chat completions of one endpoint: the cache, authentication, retries and keep-alive connections
    (see ``run_openai``); ``complete`` is one request, ``requests_sent`` counts what went out."""

    def __init__(self, base_url: str, model: str, key_env: str, timeout: float, max_reply_bytes: int, retries: int,
                 sleep: Callable[[float], None], cache: ReplyCache | None):
        import base64
        from urllib.parse import unquote, urlsplit

        key = os.environ.get(key_env)
        if key and not re.fullmatch(r"[\x21-\x7e]+", key.strip()):
            raise InvalidInput([Problem(key_env, "", "", "a value with spaces, line breaks or non-ASCII characters (not shown)",
                                        "an API key of printable ASCII characters")])
        self.key = key.strip() if key else key
        url = base_url.rstrip("/") + "/chat/completions"
        self.shown = public_url(url)
        self.name = f"endpoint {self.shown}"
        parts = urlsplit(url)
        self.auth = None
        password = unquote(parts.password or "")
        if self.key:
            self.auth = f"Bearer {self.key}"
        elif parts.username is not None or parts.password is not None:
            userinfo = f"{unquote(parts.username or '')}:{password}"
            self.auth = "Basic " + base64.b64encode(userinfo.encode()).decode()
        self.redact = Redactor(self.key, password, self.auth, self.auth.split(" ", 1)[1] if self.auth else None)
        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        netloc += f":{parts.port}" if parts.port else ""
        self.connections = _Connections(parts._replace(netloc=netloc).geturl(), timeout)
        self.model, self.key_env, self.timeout, self.max_reply_bytes = model, key_env, timeout, max_reply_bytes
        self.retries, self.sleep, self.cache = retries, sleep, cache
        self.lock = threading.Lock()
        self.requests_sent = 0
        self.told_no_key = False

    def _tell_no_key(self) -> None:
        """Once, when the endpoint first answers a request sent with no Authorization (a 401 says it instead)."""
        with self.lock:
            if self.told_no_key:
                return
            self.told_no_key = True
        state = "unset" if self.key_env not in os.environ else "empty"
        print(f"{self.name}: warning: no API key sent ({self.key_env} is {state}); fine for a local server without auth, "
              f"else set {self.key_env} or name another variable with --openai-api-key-env", file=sys.stderr)

    def cache_key(self, prompt_sha256: str, article: str) -> dict:
        return ReplyCache.key(self.shown, self.model, prompt_sha256, hashlib.sha256(article.encode("utf-8", "surrogatepass")).hexdigest())

    def complete(self, body: dict, prompt_sha256: str, article: str, where: str, refusal_is_answer: bool = False) -> Completion:
        """The reply to ``body`` (from the cache when it holds it). With ``refusal_is_answer``, an
        HTTP 400 or 422 raises ``_Refused`` instead of failing the run."""
        key = self.cache_key(prompt_sha256, article)
        if self.cache is not None:
            cached = self.cache.get(key)
            if cached is not None:
                return Completion(cached, cached=True)
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.auth:
            headers["Authorization"] = self.auth
        started = time.perf_counter()
        for attempt in range(self.retries + 1):
            with self.lock:
                self.requests_sent += 1
            try:
                raw = _post_with_deadline(self.connections, data, headers, self.timeout, self.max_reply_bytes, self.shown, where)
                break
            except _Failure as failure:
                if failure.status == 401 and not self.key:
                    state = "unset" if self.key_env not in os.environ else "empty"
                    raise InvalidInput([Problem(self.name, where, "", f"HTTP 401 Unauthorized, and the variable {self.key_env} is {state}",
                                                f"the API key in {self.key_env} (or name another variable with --openai-api-key-env)")]) from None
                if refusal_is_answer and failure.status in REFUSAL_STATUSES:
                    raise _Refused(failure) from None
                if not failure.retry or attempt == self.retries:
                    problem = failure.problem
                    if failure.retry and self.retries:
                        problem = Problem(problem.file, problem.where, problem.field, f"{problem.found} after {self.retries + 1} tries",
                                          problem.expected)
                    raise InvalidInput([problem]) from None
                self.sleep(backoff_delay(attempt, failure.retry_after))
                if self.connections.stopped:
                    raise KeyboardInterrupt from None
        seconds = time.perf_counter() - started
        if not self.auth:
            self._tell_no_key()
        try:
            completion = parse_strict(raw, self.name, where=where)
            choice = completion["choices"][0]
            content = choice["message"]["content"]
            if not isinstance(content, str):
                raise TypeError
        except (InvalidInput, KeyError, IndexError, TypeError):
            raise InvalidInput([Problem(self.name, where, "", f"a body that is not a chat completion: {show(self.redact(raw)[:80])}",
                                        "JSON with choices[0].message.content")]) from None
        content = self.redact(content)  # before it is kept anywhere: the cache, replies.jsonl, predictions.jsonl
        if self.cache is not None:
            self.cache.put(key, content)
        usage = completion.get("usage") if isinstance(completion.get("usage"), dict) else {}
        model = completion.get("model")
        reason = choice.get("finish_reason") if isinstance(choice, dict) else None
        return Completion(content, False, self.redact(model) if isinstance(model, str) else None, _count(usage.get("prompt_tokens")),
                          _count(usage.get("completion_tokens")), reason if isinstance(reason, str) else None, seconds)


def _probe(client: ChatClient, requests: Requests, doc_id: str, text: str, mode: str) -> tuple[dict, Completion | None]:
    """Send the first document with response_format (``ChatOptions``): what the server did with it, and
    its reply when that is the document's answer (None when the format was refused)."""
    from .chat_prompt import follows_schema

    where = f"document {doc_id}"
    body, digest = requests.body(doc_id, text, structured=True)
    verdict_key = {**client.cache_key(digest, text), "probe": "response_format"}
    found = client.cache.get(verdict_key) if client.cache is not None else None
    from_cache = found is not None
    completion = None
    if found is None:
        try:
            completion = client.complete(body, digest, text, where, refusal_is_answer=True)
        except _Refused as refused:
            detail = refused.failure.detail.strip()
            found = client.redact(refused.failure.problem.found + (f": {detail}" if detail else ""))
    if completion is None:
        if mode == "on":
            raise InvalidInput([Problem(client.name, where, "response_format", found[:200],
                                        "a server that enforces a JSON Schema (--structured on; auto falls back to prompt-only JSON)")])
        if client.cache is not None and not from_cache:
            client.cache.put(verdict_key, found)
        return {"doc_id": doc_id, "outcome": "refused", "found": found, "from_cache": from_cache}, None
    followed = follows_schema(completion.content)
    if not followed and mode == "on":
        raise InvalidInput([Problem(client.name, where, "response_format",
                                    f"a reply that does not follow the JSON Schema: {show(completion.content[:60])}",
                                    "a server that enforces a JSON Schema (--structured on; this one ignores response_format)")])
    return {"doc_id": doc_id, "outcome": "followed" if followed else "ignored", "from_cache": completion.cached}, completion


def _run_record(client: ChatClient, requests: Requests, structured: dict, completions: dict[str, list[Completion]]) -> dict:
    """What report.json says of an endpoint run (its ``predictions`` entry): prompt, examples, options,
    structured output, and the server's own account of each reply (model, tokens, latency)."""
    from .chat_prompt import follows_schema

    per_document = []
    for doc_id, parts in completions.items():
        asked = [c for c in parts if not c.cached]
        tokens = {k: (sum(getattr(c, k) for c in asked) if asked and all(getattr(c, k) is not None for c in asked) else None)
                  for k in ("prompt_tokens", "completion_tokens")}
        per_document.append({"doc_id": doc_id, **tokens, "seconds": round(sum(c.seconds for c in asked), 3),
                             "cached": not asked, "finish_reason": ",".join(sorted({c.finish_reason for c in parts if c.finish_reason})) or None})
    asked_rows = [r for r in per_document if not r["cached"]]
    totals = {k: (sum(r[k] for r in asked_rows) if asked_rows and all(r[k] is not None for r in asked_rows) else None)
              for k in ("prompt_tokens", "completion_tokens")}
    seconds = [r["seconds"] for r in asked_rows]
    everything = [c for parts in completions.values() for c in parts]
    if structured["sent"]:
        structured = {**structured, "replies_following_schema": sum(follows_schema(c.content) for c in everything),
                      "replies": len(everything)}
    options = requests.options
    return {
        "model": client.model,
        "models_reported": sorted({c.model for c in everything if c.model}),
        "prompt": requests.prompt.describe(),
        "shots": {"count": options.shots, "rule": SHOTS_RULE if options.shots else None,
                  "by_document": {d: requests.shots_of(d) for d in completions} if options.shots else {}},
        "request": {"temperature": options.temperature, "seed": options.seed, "max_tokens": options.max_tokens},
        "structured": structured,
        "usage": {**totals, "requests_sent": client.requests_sent, "connections_opened": client.connections.opened,
                  "replies_from_cache": len(per_document) - len(asked_rows),
                  "latency_seconds": {"total": round(sum(seconds), 3), "mean": round(sum(seconds) / len(seconds), 3) if seconds else None,
                                      "max": max(seconds) if seconds else None}},
        "per_document": per_document,
    }


def run_openai(base_url: str, model: str, texts: dict[str, str], workers: int = 1, timeout: float = 120.0,
               key_env: str = DEFAULT_KEY_ENV, *, cache_dir: Path | None = None,
               max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES, retries: int = DEFAULT_RETRIES,
               sleep: Callable[[float], None] | None = None, options: ChatOptions = ChatOptions(),
               examples: Examples | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[Predictions, dict]:
    """Predictions from a chat endpoint, and each raw reply (kept beside the report). The
    predictions' ``source_details`` is the run's record for report.json (``_run_record``).

    - Each request is ``Requests.body``: the prompt, ``options.shots`` worked examples drawn from
      ``examples`` (the gold), temperature, seed, max_tokens and, by ``options.structured``, the
      answer schema as response_format (``ChatOptions``: the first document is the probe).
    - 429, 5xx, connection resets and broken replies are retried up to ``retries`` times, waiting
      ``backoff_delay`` (Retry-After honoured, at most 30 s a wait); other failures are not retried.
    - ``timeout`` covers each whole request (connecting, headers, body) by the wall clock, and again
      the search for the JSON object in the reply; a reply longer than ``max_reply_bytes`` is refused.
    - Each worker thread keeps its connection open between requests (``_Connections``).
    - With ``cache_dir`` every reply is stored as it arrives (see ``ReplyCache``) and reused, so a
      rerun after a failure or Ctrl-C asks only for what is missing, and a complete rerun sends nothing.
    - The first failed document stops the run (replies in flight are still kept); the one line
      names it and says how many documents were answered.
    - The API key is read from ``key_env`` only and is never shown; a user:password in the URL is
      sent as HTTP basic authentication and removed from every message and file. Whatever the
      endpoint answers goes through ``Redactor`` (a reply echoing the key keeps none of it).
    - With no key and no user:password, no Authorization header is sent: said once, in a warning,
      when the endpoint first answers (a 401 says it as the error instead).
    - A malformed base URL (``checked_url``), an unusable cache folder, a bad prompt file and too
      many shots are refused before any request.
    - A document longer than ``max_chars`` is asked in chunks (``chunks``); its replies are a list of
      ``{"characters": [start, end], "reply": ...}``.
    """
    sleep = sleep or SLEEP
    checked_url(base_url)  # a malformed URL is refused before anything else
    cache = ReplyCache(cache_dir) if cache_dir is not None else None
    if cache is not None:
        from newsclaims.safewrite import refuse_protected

        refuse_protected(cache_dir, "--cache")
        cache.check()
    requests = Requests(model, options, list(texts), examples)
    client = ChatClient(base_url, model, key_env, timeout, max_reply_bytes, retries, sleep, cache)
    name = client.name
    replies: dict[str, str | list[dict]] = {}
    completions: dict[str, list[Completion]] = {d: [] for d in texts}
    lock = threading.Lock()
    structured = {"mode": options.structured, "sent": options.structured != "off", "probe": None}
    # The first request of the first document is the probe (ChatOptions); every other request waits for its outcome.
    probe_doc = next(iter(texts), None)
    probed = threading.Event()
    probe_failure: list[BaseException] = []  # raised by every request that waited for it, so the run fails with it, whoever is first
    if not structured["sent"]:
        probed.set()

    def probe(doc_id: str, text: str) -> Completion | None:
        try:
            structured["probe"], reply = _probe(client, requests, doc_id, text, options.structured)
            structured["sent"] = reply is not None
            return reply
        except BaseException as err:
            probe_failure.append(err)
            raise
        finally:
            probed.set()

    def ask(doc_id: str, text: str, where: str) -> Completion:
        """One request for ``text`` (the document ``doc_id``, or a part of it), recorded for the report."""
        completion = None
        if not probed.is_set():
            if doc_id == probe_doc:
                completion = probe(doc_id, text)
            else:
                probed.wait()
        if probe_failure:
            raise probe_failure[0]
        if completion is None:
            completion = client.complete(*requests.body(doc_id, text, structured["sent"]), text, where)
        with lock:
            completions[doc_id].append(completion)
        return completion

    def one(doc_id: str):
        try:
            return doc_id, ask_in_chunks(doc_id, texts[doc_id], max_chars, lambda text, chunk: answer(doc_id, text, chunk))
        finally:
            if doc_id == probe_doc:
                probed.set()  # a first document that sent nothing releases the others (structured as asked, unprobed)

    def answer(doc_id: str, text: str, chunk: tuple[int, int] | None) -> dict:
        where = f"document {doc_id}" + (f", characters {chunk[0]}-{chunk[1]}" if chunk else "")
        content = ask(doc_id, text, where).content
        with lock:
            if chunk is None:
                replies[doc_id] = content
            else:
                replies.setdefault(doc_id, []).append({"characters": list(chunk), "reply": content})
        try:
            reply = _first_json_object(content, time.monotonic() + timeout)
        except TimeoutError:
            found = f"no JSON object found within {timeout:g} s in {len(content)} characters"
            raise InvalidInput([Problem(name, where, "choices[0].message.content", found,
                                        "a JSON object with entities, quotes and numeric_claims")]) from None
        if reply is None:
            raise InvalidInput([Problem(name, where, "choices[0].message.content", show(content[:80]),
                                        "a JSON object with entities, quotes and numeric_claims")])
        return lenient_prediction(doc_id, reply)

    try:
        answers = map_documents(one, list(texts), workers, model, on_interrupt=client.connections.close_all)
    except InvalidInput as err:
        answered_count = len(replies)
        resume = (f"{answered_count} of {len(texts)} documents answered and kept in {cache_dir}; rerun the same command to resume"
                  if cache is not None else f"{answered_count} of {len(texts)} documents answered; rerun with --cache DIR to resume")
        first_problem = err.problems[0]
        problems = [Problem(first_problem.file, first_problem.where, first_problem.field, first_problem.found,
                            f"{first_problem.expected} ({resume})", first_problem.line)]
        raise InvalidInput([client.redact.problem(p) for p in problems + err.problems[1:]]) from None
    finally:
        client.connections.close()
    predictions = collect(name, texts, answers)
    predictions.source_details = _run_record(client, requests, structured, completions)
    return predictions, replies


def request_preview(model: str, texts: dict[str, str], doc_id: str, options: ChatOptions = ChatOptions(),
                    examples: Examples | None = None) -> dict:
    """The request body ``run_openai`` would send for ``doc_id`` (``--show-prompt``), sending nothing.
    With ``--structured auto`` it is the probe's form, with response_format."""
    requests = Requests(model, options, list(texts), examples)
    if doc_id not in texts:
        known = ", ".join(list(texts)[:3]) + (", ..." if len(texts) > 3 else "")
        raise InvalidInput([Problem("--show-prompt", "", "", show(doc_id), f"a doc_id of the data ({known})")])
    return requests.body(doc_id, texts[doc_id], options.structured != "off")[0]
