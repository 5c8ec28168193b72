"""Long documents at an OpenAI-compatible endpoint (eval/adapters/chunks.py, issue 22 item 4): cut at
paragraphs, else sentences, else words, else hard; asked per chunk; answers placed in their chunk,
shifted to document offsets and merged once. The endpoint is a fake on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsclaims.eval.adapters.chunks import DEFAULT_MAX_CHARS, chunk_spans, merge_chunk_answers
from newsclaims.eval.adapters.openai_client import run_openai
from newsclaims.eval.gold import GoldData
from newsclaims.eval.pipeline import OpenAIEndpoint, evaluate

NAMES = {"Zorvania": "GPE", "Quillby Marsh": "PERSON", "Ostrel Council": "ORG"}
QUOTE = "we won’t give up the line at the river"  # typed with a straight apostrophe by the fake
STRAIGHT = str.maketrans({"“": '"', "”": '"', "’": "'"})


def paragraph(i: int) -> str:
    sentences = [f"Paragraph {i} opens with news from Zorvania about the harvest.",
                 f"Quillby Marsh met the Ostrel Council for the {i}th time and spoke at length.",
                 "Nothing else of note happened that day, officials said, and the markets were calm."]
    if i == 7:
        sentences.insert(1, f"Quillby Marsh said “{QUOTE}” to the press.")
    return " ".join(sentences)


def long_document(paragraphs: int = 30, joiner: str = "\n") -> str:
    return joiner.join(paragraph(i) for i in range(paragraphs)) + "\n"


def gold_for(text: str) -> GoldData:
    entities = [{"start": m.start(), "end": m.end(), "text": m.group(), "label": label, "entity_id": name.lower()}
                for name, label in NAMES.items() for m in re.finditer(re.escape(name), text)]
    entities.sort(key=lambda r: r["start"])
    q = text.index(QUOTE)
    quotes = [{"start": q, "end": q + len(QUOTE), "text": QUOTE, "type": "direct", "speaker": None, "speaker_id": None,
               "cue": None, "quote_group": None}]
    kb = {"quillby": {"id": "quillby", "name": "Quillby Marsh", "type": "PERSON", "aliases": []}}
    return GoldData(Path("synthetic"), {"long": text}, {"entities": {"long": entities}, "quotes": {"long": quotes},
                                                         "numeric_claims": {"long": []}}, kb,
                    {"data_version": "0", "gold_sha256": "0" * 64})


class ChunkReader:
    """A chat endpoint that answers like a careful model: every name of NAMES once per mention in the
    article it was sent, and the quote typed plainly (straight quotes) when the article holds it."""

    def __init__(self):
        self.articles: list[str] = []
        self.lock = threading.Lock()
        reader = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - the http.server API
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                user = [m["content"] for m in request["messages"] if m["role"] == "user"][-1]
                article = user.rsplit("<<<\n", 1)[-1].split("\n>>>", 1)[0]
                with reader.lock:
                    reader.articles.append(article)
                entities = [{"text": name, "label": label} for name, label in NAMES.items()
                            for _ in re.finditer(re.escape(name), article)]
                quotes = [{"text": QUOTE.translate(STRAIGHT), "type": "direct"}] if QUOTE in article else []
                body = json.dumps({"choices": [{"message": {"role": "assistant", "content": json.dumps(
                    {"entities": entities, "quotes": quotes, "numeric_claims": []})}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def reader():
    server = ChunkReader()
    yield server
    server.httpd.shutdown()


# --- Cutting ---------------------------------------------------------------------------------------

def covers(text: str, spans: list[tuple[int, int]], max_chars: int) -> None:
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        assert s1 < s2 <= e1 < e2  # in order, no gap
    assert all(e - s <= max_chars for s, e in spans)


def test_a_short_document_is_one_chunk():
    assert chunk_spans("short text", DEFAULT_MAX_CHARS) == [(0, 10)]


def test_paragraph_cuts_do_not_overlap():
    text = long_document()
    spans = chunk_spans(text, 1000)
    covers(text, spans, 1000)
    assert len(spans) > 5
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start == end and text[end - 1] == "\n"


def test_without_paragraphs_cuts_follow_sentences_and_overlap_a_little():
    text = long_document(joiner=" ")
    spans = chunk_spans(text, 1000)
    covers(text, spans, 1000)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert text[end - 2] == "." and text[start - 2] == "."  # ends and begins at a sentence
        assert 0 < end - start <= 1000 // 8


def test_a_broken_word_is_no_paragraph_and_no_space_means_a_hard_cut():
    text = ("word " * 150) + "sovereign t\nerritory " + ("word " * 60)
    (_, end), (start, _) = chunk_spans(text, 800)[:2]
    assert text[end - 1] == " " and "t\ne" not in text[end - 3:end + 3]
    spans = chunk_spans("x" * 2500, 1000)
    covers("x" * 2500, spans, 1000)
    assert spans[:2] == [(0, 1000), (875, 1875)]


# --- Merging ---------------------------------------------------------------------------------------

def test_answers_are_placed_in_their_chunk_and_merged_once():
    text = "Zorvania wins. Then Zorvania loses. At last Zorvania draws."
    spans = [(0, 36), (15, 59)]  # overlapping: "Then Zorvania loses. " is in both
    answers = [{"entities": [{"text": "Zorvania", "label": "GPE"}] * 2},
               {"entities": [{"text": "Zorvania", "label": "GPE"}] * 2}]
    merged = merge_chunk_answers("d", text, spans, answers)["entities"]
    assert sorted(r["start"] for r in merged) == [0, 20, 44]  # the second chunk's are its own two, not the first two
    assert all(r["text"] == "Zorvania" for r in merged)


def test_a_record_seen_cut_by_the_edge_is_dropped_and_text_not_in_its_chunk_stays_text():
    text = "The Ostrel Council met. Quillby Marsh spoke."
    spans = [(0, 30), (24, 44)]  # the first chunk ends inside "Quillby Marsh"
    answers = [{"entities": [{"text": "Ostrel Council", "label": "ORG"}, {"text": "Quillb", "label": "PERSON"},
                             {"text": "Nowhere", "label": "GPE"}]},
               {"entities": [{"text": "Quillby Marsh", "label": "PERSON"}]}]
    merged = merge_chunk_answers("d", text, spans, answers)["entities"]
    assert [(r.get("start"), r["text"]) for r in merged] == [(4, "Ostrel Council"), (24, "Quillby Marsh"), (None, "Nowhere")]


def test_speakers_stay_text_for_the_whole_document_placement():
    text = "Marsh said it. " * 3 + "Later Marsh said “no”."
    answers = [{"quotes": [{"text": "no", "speaker": "Marsh", "cue": {"text": "said"}}]}]
    (quote,) = merge_chunk_answers("d", text, [(0, len(text))], answers)["quotes"]
    assert quote["start"] == text.index("no”") and quote["cue"] == {"text": "said"} and quote["speaker"] == "Marsh"


# --- Against an endpoint ---------------------------------------------------------------------------

@pytest.mark.parametrize("joiner", ["\n", " "])
def test_a_long_document_scores_as_if_read_whole(reader, joiner):
    text = long_document(joiner=joiner)
    gold = gold_for(text)
    result = evaluate(OpenAIEndpoint(reader.url, "fake", max_chars=1500), gold, resamples=10)
    spans = chunk_spans(text, 1500)
    assert len(reader.articles) == len(spans) >= 5
    assert reader.articles == [text[s:e] for s, e in spans] and all(len(a) <= 1500 for a in reader.articles)
    main = result.report["main_scores"]
    assert main["entities"]["value"] == 1.0 and main["entities"]["predicted"] == len(gold.layers["entities"]["long"])
    assert main["quotes"]["value"] == 1.0
    predicted = result.predictions.by_doc["long"]["entities"]
    assert len({(r["start"], r["end"]) for r in predicted}) == len(predicted)  # each mention once, overlaps merged
    replies = [json.loads(line) for line in result.files["replies.jsonl"].splitlines()]
    assert [part["characters"] for part in replies[0]["reply"]] == [list(span) for span in spans]


def test_a_document_within_max_chars_is_asked_once_and_the_cache_keeps_chunks(reader, tmp_path):
    text = long_document()
    preds, replies = run_openai(reader.url, "fake", {"long": text}, max_chars=len(text))
    assert len(reader.articles) == 1 and isinstance(replies["long"], str)
    run_openai(reader.url, "fake", {"long": text}, max_chars=2000, cache_dir=tmp_path / "cache")
    asked = len(reader.articles)
    again, _ = run_openai(reader.url, "fake", {"long": text}, max_chars=2000, cache_dir=tmp_path / "cache")
    assert len(reader.articles) == asked and again.by_doc["long"]["entities"]


def test_max_chars_is_refused_with_other_sources(cli, tmp_path):
    result = cli("eval", "--predictions", tmp_path / "p.jsonl", "--max-chars", "2000")
    assert result.code == 2 and "--max-chars only with --openai-base-url" in result.err
    assert len(result.err.strip().splitlines()) == 1
