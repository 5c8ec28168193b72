"""Every command and snippet of README.md runs, and does what the text next to it says.

The README is parsed into its fenced blocks. Every line of a ``bash`` block must have an entry in
COMMANDS below (a new command without one fails the suite); each entry runs the command in a
temporary copy of the checkout, installed editable into its own virtual environment, with an empty
Hugging Face cache and no network, and checks its output or effect. A ``python`` block whose first
line is ``# path.py`` is a file the commands use; any other ``python`` block runs in an empty
folder, and the ``text`` block after it is its exact output. The ``json`` block is the predictions
example, scored by the README's own ``--predictions`` command. Network-bound commands get a
loopback stand-in (a fake OpenAI-compatible server) or are checked without running, with the
reason written here. Inline ``newsclaims ...`` commands must parse with the real command-line
parser and name folders that exist. The generated blocks must be what ``python -m
newsclaims.readme`` writes.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from conftest import REPO
from test_load_dataset import make_venv

README = (REPO / "README.md").read_text("utf-8")


@dataclass
class Block:
    lang: str
    body: str
    line: int  # 1-based line of the opening fence


def fenced_blocks(text: str = README) -> list[Block]:
    blocks = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.S | re.M):
        blocks.append(Block(match.group(1), match.group(2), text[:match.start()].count("\n") + 1))
    return blocks


def shell_lines() -> list[tuple[str, int]]:
    """Each command line of the bash blocks, without its trailing comment, with its README line."""
    out = []
    for block in fenced_blocks():
        if block.lang not in ("bash", "sh", "shell", "console"):
            continue
        for offset, line in enumerate(block.body.splitlines(), start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                out.append((re.sub(r"\s+#\s.*$", "", line).strip(), block.line + offset))
    return out


def file_blocks() -> dict[str, str]:
    """Python blocks that are files: first line '# relative/path.py'."""
    files = {}
    for block in fenced_blocks():
        first = block.body.splitlines()[0] if block.body else ""
        if block.lang == "python" and re.fullmatch(r"# [\w/]+\.py", first):
            files[first[2:]] = block.body
    return files


def snippet_blocks() -> list[tuple[Block, Block | None]]:
    """Python blocks that are snippets, each with the text block that shows its output (or None)."""
    blocks = fenced_blocks()
    out = []
    for i, block in enumerate(blocks):
        if block.lang == "python" and block.body.splitlines()[0:1] and not re.fullmatch(r"# [\w/]+\.py", block.body.splitlines()[0]):
            following = blocks[i + 1] if i + 1 < len(blocks) and blocks[i + 1].lang == "text" else None
            out.append((block, following))
    return out


# --- a temporary checkout with its own editable install -------------------------------------------

def tracked_files(repo: Path) -> list[str]:
    run = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, text=True)
    if run.returncode == 0 and run.stdout:
        return [p for p in run.stdout.split("\0") if p and (repo / p).is_file()]
    skip = {".git", ".venv", "build", "dist", "runs", "__pycache__", ".pytest_cache", ".hypothesis"}
    return [p.relative_to(repo).as_posix() for p in repo.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(repo).parts) and ".egg-info" not in p.as_posix()]


@dataclass
class Workspace:
    root: Path  # the copy of the checkout
    bin: Path
    env: dict
    empty: Path

    def run(self, command: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 600):
        return subprocess.run(["bash", "-c", command], cwd=cwd or self.root, env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    base = tmp_path_factory.mktemp("readme")
    root = base / "checkout"
    for rel in tracked_files(REPO):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    python = make_venv(base / "venv")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-build-isolation",
                    "-e", str(root)], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PYTHON", "NEWSCLAIMS_", "OPENAI", "VIRTUAL_ENV"))}
    env.update(PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}", HF_HOME=str(base / "hf"),
               HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", PYTHONNOUSERSITE="1", NO_COLOR="1")
    empty = base / "empty"
    empty.mkdir()
    for rel, body in file_blocks().items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    return Workspace(root, python.parent, env, empty)


# --- a loopback stand-in for an OpenAI-compatible server --------------------------------------------

class FakeChat(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeChat.seen.append((self.path, self.headers.get("Authorization"), body["model"]))
        content = json.dumps({"entities": [{"text": "North Korea", "label": "GPE", "entity_id": "north_korea"}]})
        reply = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


# --- what each README command must do ---------------------------------------------------------------

LAYERS = ("entities", "quotes", "numeric_claims")
EXAMPLE_DOC = "000_956b89daf0f4f269"


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def prints_main_scores(result, layers=LAYERS):
    """The table's main score of each layer with its interval; other layers say "not predicted"."""
    for layer in LAYERS:
        scored = rf"^{layer}\s+\S.*\s\d\.\d{{3}}\s+\[\d\.\d{{3}}, \d\.\d{{3}}\]"
        assert re.search(scored if layer in layers else rf"^{layer}\s+\S.*\snot predicted$", result.stdout, re.M), result.stdout
    assert "95% CI" in result.stdout


def check_setup_eval(ws, command):
    # `pip install .` itself is what tests/test_load_dataset.py does with a wheel; here: what it runs.
    prints_main_scores(ok(ws.run(command.split("&&", 1)[1].strip())))


def check_venv(ws, command):
    # Made in the copy of the clone (.venv/ is ignored by git), and active for what follows on the line.
    result = ok(ws.run(command + " && python -c 'import sys; print(sys.prefix)'"))
    assert Path(result.stdout.strip()) == ws.root / ".venv"
    assert ".venv/" in (REPO / ".gitignore").read_text().split()


def check_predictions_example(ws, command):
    example = next(b for b in fenced_blocks() if b.lang == "json")
    line = json.loads(example.body)
    (ws.root / "predictions.jsonl").write_text(json.dumps(line) + "\n")
    result = ok(ws.run(command))
    prints_main_scores(result)
    warnings = [l for l in result.stderr.splitlines() if "warning: no line for document" in l]
    assert {w.split("document ")[1].split(";")[0] for w in warnings} == {d for d in _doc_ids() if d != EXAMPLE_DOC}
    report = json.loads((ws.root / "runs" / "mine" / "report.json").read_text("utf-8"))
    for layer in LAYERS:
        for row in report["main_scores"][layer]["per_document"]:
            doc_id, correct, predicted, gold = row["doc_id"], row["tp"], row["predicted"], row["gold"]
            # "for article 000 in each layer, 1 correct of 1 predicted"; the others predicted nothing
            assert (correct, predicted) == ((1, 1) if doc_id == EXAMPLE_DOC else (0, 0)), (layer, doc_id)
            assert gold == len(_gold(doc_id)[layer])
    # "Each record is right in every field the gold has for it (e1, q2 and n1)"
    gold = _gold(EXAMPLE_DOC)
    by_id = {r["id"]: r for layer in LAYERS for r in gold[layer]}
    entity, quote, claim = line["entities"][0], line["quotes"][0], line["numeric_claims"][0]
    assert {k: by_id["e1"][k] for k in entity} == entity
    assert by_id["q2"]["text"] == quote["text"] and by_id["q2"]["type"] == quote["type"]
    assert by_id["q2"]["speaker"]["text"] == quote["speaker"] and by_id["q2"]["speaker_id"] == quote["speaker_id"]
    assert {k: by_id["n1"][k] for k in claim} == claim
    assert (ws.root / "runs" / "mine" / "report.html").is_file()
    assert "runs/" in (REPO / ".gitignore").read_text().split()


def check_model_callable(ws, command):
    result = ws.run(command)  # from the folder holding mypackage/, with no PYTHONPATH
    ok(result)
    prints_main_scores(result, layers=["entities"])  # the example predicts entities only


def check_command(ws, command):
    result = ok(ws.run(command))
    prints_main_scores(result, layers=["numeric_claims"])  # my_tagger.py predicts numbers only


def check_openai(ws, command):
    server = HTTPServer(("127.0.0.1", 0), FakeChat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeChat.seen = []
    try:
        local = command.replace("OPENAI_API_KEY=...", "OPENAI_API_KEY=sk-readme-test").replace(
            "http://127.0.0.1:8000/v1", f"http://127.0.0.1:{server.server_port}/v1")
        assert local != command, "the README's endpoint example changed: update the substitution"
        result = ok(ws.run(local))
    finally:
        server.shutdown()
    prints_main_scores(result, layers=["entities"])  # the stand-in replies with entities only
    assert sorted(FakeChat.seen) == [("/v1/chat/completions", "Bearer sk-readme-test", "NAME")] * len(_doc_ids())
    assert "sk-readme-test" not in result.stdout + result.stderr


def check_compare(ws, command):
    if not list((ws.root / "runs").glob("*/report.json")):
        pytest.fail("compare runs after the eval --output example in README order")
    result = ok(ws.run(command))
    reports = list((ws.root / "runs").glob("*/report.json"))
    boards = result.stdout.split("## ")[1:]  # "one leaderboard per layer"
    assert [b.splitlines()[0] for b in boards] == list(LAYERS), result.stdout
    for board in boards:
        rows = [line for line in board.splitlines()[2:] if line[:1].isdigit()]
        assert len(rows) == len(reports)  # one row per report, ranked
        assert all(f"({r.parent.name})" in board for r in reports)  # each system named by its run folder


_LLM_SERVER = []


def llm_server():
    """One loopback stand-in for the README's LLM section, started on first use (the commands name port 8000)."""
    from newsclaims.eval.bench.fake_chat import FakeChat

    if not _LLM_SERVER:
        _LLM_SERVER.append(FakeChat("accepts").__enter__())
    return _LLM_SERVER[0]


def run_llm(ws, command):
    """The command against the stand-in: its result and how many requests it sent."""
    fake = llm_server()
    local = command.replace("http://127.0.0.1:8000/v1", fake.url)
    assert local != command, "the README's LLM example changed: update the substitution"
    before = fake.requests
    result = ok(ws.run(local))
    return result, fake.requests - before


def check_llm_show_prompt(ws, command):
    result, sent = run_llm(ws, command)
    body = json.loads(result.stdout)  # "prints the request that would be sent ... and sends nothing"
    assert sent == 0
    assert [m["role"] for m in body["messages"]] == ["system"] + ["user", "assistant"] * 2 + ["user"]
    assert set(body) == {"model", "messages", "temperature", "seed", "max_tokens", "response_format"}
    assert _seed_text(EXAMPLE_DOC)[:100] in body["messages"][-1]["content"]


def check_llm_eval(ws, command):
    result, sent = run_llm(ws, command)
    prints_main_scores(result)  # the stand-in answers every layer (quotes with an empty list)
    assert sent == len(_doc_ids())
    assert "prompt newsclaims-extract v1" in result.stdout and "2 shots" in result.stdout
    source = json.loads((ws.root / "runs" / "qwen" / "report.json").read_text("utf-8"))["predictions"]
    assert source["prompt"]["id"] == "newsclaims-extract" and source["shots"]["count"] == 2
    assert source["structured"]["sent"] and source["structured"]["probe"]["outcome"] == "followed"
    assert source["usage"]["prompt_tokens"] > 0 and len(source["per_document"]) == len(_doc_ids())
    assert (ws.root / "runs" / "qwen" / "replies.jsonl").is_file()
    again, sent = run_llm(ws, command)  # "a rerun of the same command sends no request at all"
    assert sent == 0 and again.stdout.split("\n", 2)[2] == result.stdout.split("\n", 2)[2]


def check_rules_run(ws, command):
    prints_main_scores(ok(ws.run(command)))
    assert (ws.root / "runs" / "rules" / "report.json").is_file()


def check_llm_compare(ws, command):
    result = ok(ws.run(command))
    boards = result.stdout.split("## ")[1:]
    assert [b.splitlines()[0] for b in boards] == list(LAYERS), result.stdout
    for board in boards:
        rows = [line for line in board.splitlines()[2:] if line[:1].isdigit()]
        assert len(rows) == 2 and "(qwen)" in board and "(rules)" in board


def check_extra_exists(ws, command):
    # Installing packages needs a registry; the check is that the extra exists and holds the package.
    import tomllib

    extra = re.search(r"\.\[(\w+)\]", command).group(1)
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(dep.startswith(extra) for dep in extras[extra]), extras.get(extra)


def check_spacy_download(ws, command):
    # Not run: it downloads a pipeline from the network. Checked: spaCy has the command.
    pytest.importorskip("spacy")
    assert ok(ws.run(command.replace("download en_core_web_sm", "download --help"))).stdout


def check_spacy_eval(ws, command):
    spacy = pytest.importorskip("spacy")
    # A pipeline folder made here, offline: the README's NEWSCLAIMS_SPACY_MODEL route.
    folder = ws.root.parent / "spacy-pipeline"
    if not folder.exists():
        nlp = spacy.blank("en")
        nlp.add_pipe("entity_ruler").add_patterns([{"label": "GPE", "pattern": "North Korea"},
                                                   {"label": "CARDINAL", "pattern": "10,000"}])
        nlp.to_disk(folder)
    result = ok(ws.run(command, env={"NEWSCLAIMS_SPACY_MODEL": str(folder)}))
    prints_main_scores(result, layers=["entities", "numeric_claims"])  # the adapter predicts no quotes
    missing = ws.run(command, env={"NEWSCLAIMS_SPACY_MODEL": "no_such_pipeline_here"})
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "NEWSCLAIMS_SPACY_MODEL" in missing.stderr and "Traceback" not in missing.stderr


def not_run_here(reason: str):
    def check(ws, command):
        pytest.skip(reason)
    return check


COMMANDS = {
    "pip install . && newsclaims eval": check_setup_eval,
    "pip install -e '.[test]' && python -m pytest":
        not_run_here("the command running this suite; CI runs it verbatim (tests/test_packaging.py checks .ci/run)"),
    "python3 -m venv .venv && . .venv/bin/activate": check_venv,
    "newsclaims eval --predictions predictions.jsonl --output runs/mine": check_predictions_example,
    "newsclaims eval --model mypackage.extract:predict --workers 4": check_model_callable,
    'newsclaims eval --command "python my_tagger.py" --timeout 30': check_command,
    "OPENAI_API_KEY=... newsclaims eval --openai-base-url http://127.0.0.1:8000/v1 --openai-model NAME": check_openai,
    "newsclaims compare runs/*/report.json": check_compare,
    "pip install '.[spacy]'": check_extra_exists,
    "python -m spacy download en_core_web_sm": check_spacy_download,
    "newsclaims eval --model spacy": check_spacy_eval,
    "vllm serve Qwen/Qwen2.5-7B-Instruct --port 8000":
        not_run_here("starts a model server (the weights and a GPU); the commands after it run against a loopback stand-in"),
    "llama-server -m qwen2.5-7b-instruct-q4_k_m.gguf --port 8000 --parallel 8 -c 32768":
        not_run_here("starts a model server (a GGUF file); the commands after it run against a loopback stand-in"),
    "newsclaims eval --openai-base-url http://127.0.0.1:8000/v1 --openai-model Qwen/Qwen2.5-7B-Instruct --shots 2 "
    "--show-prompt 000_956b89daf0f4f269": check_llm_show_prompt,
    "newsclaims eval --openai-base-url http://127.0.0.1:8000/v1 --openai-model Qwen/Qwen2.5-7B-Instruct --shots 2 "
    "--cache runs/cache --output runs/qwen": check_llm_eval,
    "newsclaims eval --model rules --output runs/rules": check_rules_run,
    "newsclaims compare runs/qwen/report.json runs/rules/report.json": check_llm_compare,
}


def _doc_ids() -> list[str]:
    return [d["doc_id"] for d in json.loads((REPO / "seeds" / "MANIFEST.json").read_text("utf-8"))["documents"]]


def _seed_text(doc_id: str) -> str:
    return (REPO / "seeds" / f"{doc_id}.txt").read_text("utf-8")


def _gold(doc_id: str) -> dict:
    return json.loads((REPO / "annotations" / "gold" / f"{doc_id}.json").read_text("utf-8"))


def test_every_readme_command_is_covered_here():
    lines = [line for line, _ in shell_lines()]
    missing = [f"README.md:{n}: {line}" for line, n in shell_lines() if line not in COMMANDS]
    assert not missing, "README commands with no check in tests/test_readme.py COMMANDS:\n" + "\n".join(missing)
    assert len(lines) == len(set(lines))
    stale = sorted(set(COMMANDS) - set(lines))
    assert not stale, f"COMMANDS entries no longer in the README: {stale}"


def _params():
    out = []
    for line, number in shell_lines():
        check = COMMANDS.get(line)
        if check is None:
            continue
        if isinstance(check, type(pytest.param(None))):
            out.append(pytest.param(line, check.values[0], marks=check.marks, id=f"line{number}"))
        else:
            out.append(pytest.param(line, check, id=f"line{number}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("command,check", _params())
def test_readme_command(ws, command, check):
    check(ws, command)


@pytest.mark.slow
@pytest.mark.parametrize("snippet,output", snippet_blocks(), ids=lambda b: f"line{b.line}" if b else "")
def test_readme_python_snippet(ws, snippet, output):
    """Runs in an empty folder with an empty HF cache: the README says 'from any folder and offline'."""
    result = subprocess.run([str(ws.bin / "python"), "-c", snippet.body], cwd=ws.empty, env=ws.env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert output is not None, f"README.md:{snippet.line}: a snippet needs a ```text block after it with its output"
    assert result.stdout == output.body


def test_every_text_block_is_the_output_of_a_snippet():
    blocks = fenced_blocks()
    for i, block in enumerate(blocks):
        if block.lang == "text":
            assert i and blocks[i - 1].lang == "python", f"README.md:{block.line}: a text block that follows no snippet"
    assert {b.lang for b in blocks} <= {"bash", "python", "text", "json"}


def test_file_blocks_are_used_by_a_command():
    commands = " ".join(COMMANDS)
    for rel in file_blocks():
        module = rel.removesuffix(".py").replace("/", ".")
        assert rel in commands or module in commands, rel


def inline_commands() -> list[str]:
    """`newsclaims ...` code spans outside fenced blocks and outside generated blocks (which name commands, not run them)."""
    text = re.sub(r"^```.*?^```$", "", README, flags=re.S | re.M)
    text = re.sub(r"<!-- (bench|bench-llm) -->.*?<!-- /\1 -->", "", text, flags=re.S)
    text = re.sub(r"<!-- generated:(\w+) -->.*?<!-- /generated:\1 -->", "", text, flags=re.S)
    text = re.sub(r"\s*\n\s*", " ", text)  # spans broken over lines
    spans = re.findall(r"`([^`]+)`", text)
    return [re.sub(r"^(\w+=\S+ )+", "", s) for s in spans if re.match(r"^(\w+=\S+ )*newsclaims \w", s)]


def test_inline_commands_parse_and_name_existing_folders(capsys):
    from newsclaims.cli import build_parser

    commands = inline_commands()
    assert len(commands) >= 10
    for command in commands:
        argv = shlex.split(command)[1:]
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"README: `{command}` does not parse: {capsys.readouterr().err.strip()}")
        for arg in argv:
            if arg.startswith("annotations/") and "<" not in arg and not arg.endswith(".md"):
                assert (REPO / arg).exists(), f"README: `{command}` names {arg}, which does not exist"


def test_generated_blocks_are_up_to_date(capsys):
    from newsclaims.readme import main

    assert main(["--check", "--repo", str(REPO)]) == 0, capsys.readouterr().err


def test_timings_are_present_and_measured_against_the_peer_tool():
    bench = re.search(r"<!-- bench -->\n(.*?)<!-- /bench -->", README, re.S).group(1)
    assert re.search(r"^\| nervaluate [\d.]+ \| [\d.]+ s \|", bench, re.M)
    assert re.search(r"^\| newsclaims \| [\d.]+ s \|", bench, re.M)
    assert re.search(r"^\| newsclaims eval \| [\d.]+ s \| \d+ MB \| identical \|", bench, re.M)  # end to end
    assert len(re.findall(r"^\| ratio \| [\d.]+x (faster|slower) \|", bench, re.M)) == 2
    assert re.search(r"Large documents.*: [\d.]+ s, \d+ MB peak", bench)
    assert re.search(r"Cold start.*median of \d+ new processes: [\d.]+ s", bench)
    assert re.search(r"in one run on \d+ cores?, Python \d", bench)


def test_the_conflicting_figures_of_the_first_paragraph_are_in_the_data():
    first = README.split("<!-- setup -->")[0]
    figures = {float(x.replace(",", "")) for x in re.findall(r"(\d[\d,]*) vs", first) + re.findall(r"vs (\d[\d,]*)", first)}
    values = set()
    for doc_id in _doc_ids():
        values |= {c["value"] for c in _gold(doc_id)["numeric_claims"] if c["claim_group"] == "nk_troops_in_russia"}
    assert figures == {10000.0, 3000.0, 1500.0} and figures <= values
    flat = " ".join(first.split())
    assert "Every label was made by an AI model" in flat and "no person has reviewed them" in flat
    assert "between two runs of one model, so it is an upper bound" in flat
