"""A stand-in for an OpenAI-compatible chat server on loopback, for the tests, the README's LLM
example and the throughput benchmark (``python -m newsclaims.eval.bench --llm-throughput``).

    python -m newsclaims.eval.bench.fake_chat --port 8000 [--kind accepts|refuses|ignores] [--delay 0.2]

``FakeChat(kind, delay)`` serves ``POST /v1/chat/completions`` on 127.0.0.1 (HTTP/1.1, keep-alive,
one thread per connection) as three kinds of server do:

- ``accepts``: takes ``response_format`` and answers with JSON that follows the answer schema (as
  vLLM or llama.cpp's server enforcing it would);
- ``refuses``: HTTP 400 to a request with ``response_format`` (a server without structured output);
- ``ignores``: takes ``response_format`` and answers as to the prompt alone, the JSON inside prose.

Its "model" tags every run of capitalised words of the article as a GPE and every number as a
claim, and it reports ``usage`` (a token per 4 characters) and the model name ``fake/NAME``. Each
reply waits ``delay`` seconds first (a served model's latency). It counts requests,
connections and the most requests answered at once, and keeps each request body.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = ("accepts", "refuses", "ignores")


def extract(article: str) -> dict:
    """The stand-in model's answer, in the answer schema's form."""
    entities = [{"text": m.group(), "occurrence": None, "label": "GPE"}
                for m in re.finditer(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)*", article)]
    claims = [{"text": m.group(), "occurrence": None, "value": float(m.group().replace(",", "")), "unit": None, "approx": None,
               "source": None} for m in re.finditer(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\b", article)]
    return {"entities": entities, "quotes": [], "numeric_claims": claims}


class FakeChat:
    def __init__(self, kind: str = "accepts", delay: float = 0.0, port: int = 0):
        if kind not in KINDS:
            raise ValueError(kind)
        self.kind, self.delay = kind, delay
        self.lock = threading.Lock()
        self.bodies: list[dict] = []
        self.connections = 0
        self.in_flight = self.most_in_flight = 0  # requests being answered at once
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm holds the body
                # back until the client's delayed ACK (40 ms a reply); real servers (uvicorn, llama.cpp) set it too.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with fake.lock:
                    fake.connections += 1

            def do_POST(self):  # noqa: N802 - the http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    fake.bodies.append(body)
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                try:
                    self.answer(body)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1

            def answer(self, body: dict):
                if fake.delay:
                    time.sleep(fake.delay)
                if fake.kind == "refuses" and "response_format" in body:
                    self.reply(400, {"error": {"code": 400, "type": "invalid_request_error",
                                               "message": "response_format is not supported"}})
                    return
                article = body["messages"][-1]["content"].split("<<<\n", 1)[-1].rsplit("\n>>>", 1)[0]
                answer = json.dumps(extract(article), ensure_ascii=False)
                if fake.kind == "ignores" or "response_format" not in body:
                    answer = f"Here is the JSON you asked for:\n```json\n{answer}\n```"
                prompt_chars = sum(len(m["content"]) for m in body["messages"])
                self.reply(200, {"id": "fake", "object": "chat.completion", "model": f"fake/{body.get('model')}",
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                                 "usage": {"prompt_tokens": prompt_chars // 4, "completion_tokens": len(answer) // 4,
                                           "total_tokens": prompt_chars // 4 + len(answer) // 4}})

            def reply(self, status: int, obj: dict):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # 64 workers connecting at once must not overflow the listen queue

        self.httpd = Server(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_port
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def requests(self) -> int:
        return len(self.bodies)

    def __enter__(self) -> FakeChat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsclaims.eval.bench.fake_chat", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--kind", choices=KINDS, default="accepts")
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    with FakeChat(args.kind, args.delay, args.port) as fake:
        print(f"serving {fake.url} ({args.kind})", flush=True)
        try:
            fake.thread.join()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
