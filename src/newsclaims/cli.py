"""The ``newsclaims`` command. Each subcommand imports what it needs when it runs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .corpus import shown_path
from .problems import EXIT_BAD_INPUT, InvalidInput, Problem, show

EXAMPLES = """examples:
  newsclaims eval --predictions predictions.jsonl    score predictions; add --output DIR for reports
  newsclaims validate                          check the packaged seeds and gold
  newsclaims validate annotations/passes/a     check an annotation set (gold/, entities.json, ...)
  newsclaims validate predictions.jsonl        check a predictions file against the seed texts
  newsclaims stats                             counts per document, layer and label
  newsclaims build                             regenerate dataset/ from seeds/ and annotations/
  newsclaims build --check                     exit 1 when dataset/ is stale
  newsclaims agree annotations/passes/a annotations/passes/b   inter-annotator agreement
"""


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are one line too (``newsclaims eval: argument --workers: found 0; expected ...``), exit 2.

    An option's help may be filled in when help is shown (``action.late_help``, a function): the
    ``--model`` help names the shipped baselines without importing the harness for every command."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")

    def format_help(self) -> str:
        for action in self._actions:
            if callable(getattr(action, "late_help", None)):
                action.help = action.late_help()
        return super().format_help()


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help wrapped to the terminal: prose lines of a description or epilog are filled to its width;
    indented lines (the examples, commands to copy) are kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        lines = []
        for line in text.splitlines():
            if not line.strip() or line.startswith(" "):
                lines.append(indent + line)
            else:
                lines += textwrap.wrap(line, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False)
        return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def _number_option(kind: type, what: str, minimum: float, strict: bool = False):
    """An argparse type: a finite number of ``kind`` >= minimum (> minimum when ``strict``)."""
    import math

    bound = f"> {minimum:g}" if strict else f">= {minimum:g}"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        ok = value is not None and math.isfinite(value) and (value > minimum if strict else value >= minimum)
        if not ok:
            raise argparse.ArgumentTypeError(f"found {text!r}; expected {what} {bound}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


positive_seconds = _number_option(float, "a finite number of seconds", 0, strict=True)
worker_count = _number_option(int, "a whole number of workers", 1)
def _warn(warning: str) -> None:
    print(warning, file=sys.stderr)


def _cmd_validate(args: argparse.Namespace) -> int:
    from . import corpus as corpus_mod

    corpus = corpus_mod.load_corpus(args.seeds)
    targets = args.paths or [None]
    for target in targets:
        if target is None:
            ann = corpus_mod.load_annotation_set(args.annotations, corpus, warn=_warn)
            print(f"ok: {len(corpus.documents)} seed documents (checksums match) and the gold annotation set "
                  f"{shown_path(ann.root)} ({_record_counts(ann)})")
            continue
        kind = args.kind or _detect_kind(target)
        if kind == "set" and not target.is_dir():
            raise InvalidInput([Problem(str(target), "", "", "a file" if target.exists() else "nothing",
                                        "an annotation set folder (gold/, entities.json, claim_groups.json, quote_groups.json)")])
        if kind == "set":
            ann = corpus_mod.load_annotation_set(target, corpus, warn=_warn)
            print(f"ok: {target}: annotation set ({_record_counts(ann)})")
        elif kind == "gold":
            doc = corpus_mod.validate_gold_file(target, corpus)
            print(f"ok: {target}: gold document {doc['doc_id']}")
        elif kind == "registry":
            count = corpus_mod.validate_registry(target, corpus, warn=_warn)
            print(f"ok: {target}: {count} records")
        else:
            from .eval.predictions import load_predictions

            preds = load_predictions(target, {d: doc.text for d, doc in corpus.documents.items()})
            for warning in preds.warnings:
                print(warning, file=sys.stderr)
            print(f"ok: {target}: predictions for {len(preds.by_doc)} documents")
    return 0


def _detect_kind(path: Path) -> str:
    from .corpus import CLAIM_GROUPS_FILE, KB_FILE, QUOTE_GROUPS_FILE

    if path.is_dir():
        return "set"
    if path.suffix == ".jsonl" or str(path) == "-":
        return "predictions"
    if path.name in (KB_FILE, CLAIM_GROUPS_FILE, QUOTE_GROUPS_FILE):
        return "registry"
    return "gold"


def _record_counts(ann) -> str:
    from .labels import LAYERS

    counts = ", ".join(f"{sum(len(d[layer]) for d in ann.documents.values())} {layer}" for layer in LAYERS)
    return f"{len(ann.documents)} documents, {counts}, {len(ann.kb)} kb entities"


def _cmd_stats(args: argparse.Namespace) -> int:
    import json

    from .corpus import load_annotation_set, load_corpus
    from .stats import annotation_stats, conflicts, format_conflicts, format_stats

    corpus = load_corpus(args.seeds)
    ann = load_annotation_set(args.annotations, corpus)
    if args.conflicts:
        view = conflicts(corpus, ann)
        print(json.dumps(view, indent=2, ensure_ascii=False) if args.json else format_conflicts(corpus, ann, view))
        return 0
    stats = annotation_stats(corpus, ann)
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from . import build, paths
    from .corpus import load_annotation_set, load_corpus
    from .safewrite import atomic_write_text
    from .safewrite import file_target, find_checkout, recover, refuse_protected

    # Write targets come from the options or the checkout holding the current folder, never from
    # where the package is installed (an editable install run from another clone writes there).
    repo = find_checkout()
    if repo is None and not (args.out and args.changelog):
        print(f"newsclaims build: {shown_path(Path.cwd())} is not inside a source checkout; run it in a clone, or give "
              "--out DIR and --changelog FILE (and --annotations/--seeds to build other data)", file=sys.stderr)
        return EXIT_BAD_INPUT
    seeds = args.seeds or (repo / "seeds" if repo is not None else paths.seeds_dir())
    annotations = args.annotations or (repo / "annotations" if repo is not None else paths.annotations_dir())
    out = args.out or repo / "dataset"
    changelog = args.changelog or repo / "CHANGELOG.md"
    if not args.check:
        build.check_out_target(out)  # refuse before any work; nothing is touched
        if recover(out):  # an interrupted earlier swap: its complete old folder is back
            print(f"restored: {shown_path(out)} from an interrupted build", file=sys.stderr)
    corpus = load_corpus(seeds)
    ann = load_annotation_set(annotations, corpus, warn=_warn)
    digest = build.gold_digest(annotations, seeds)
    version, released = build.data_version(changelog, digest)
    files = build.render(corpus, ann, version, digest, released)
    stale = build.stale_files(out, files)
    data_stale = bool(stale)
    datasheet = args.datasheet or (repo / build.DATASHEET if repo is not None and args.annotations is None else None)
    sheet_old = sheet_new = None
    if datasheet is not None:
        if not args.check:
            refuse_protected(datasheet, "--datasheet")
        sheet_old = Path(file_target(datasheet, "--datasheet")).read_text("utf-8")
        sheet_new = build.fill_blocks(sheet_old, build.generated_blocks(corpus, ann), str(datasheet))
        if sheet_new != sheet_old:
            stale.append(shown_path(datasheet))
    if args.check:
        if stale:
            print(f"{shown_path(out)} is stale ({len(stale)} files differ: {', '.join(stale[:5])}); run: newsclaims build", file=sys.stderr)
            return 1
        print(f"ok: {shown_path(out)} is up to date (data {version})")
        return 0
    if data_stale:
        build.write_tree(out, files)
    if sheet_new is not None and sheet_new != sheet_old:
        atomic_write_text(datasheet, sheet_new)
    for name in build.empty_configs(files):
        print(f"warning: config {name} has no rows yet; datasets cannot load an empty split", file=sys.stderr)
    print(f"{'wrote' if stale else 'unchanged'}: {shown_path(out)} (data {version}, {len(files)} files, gold sha256 {digest[:12]})")
    return 0


def _cmd_agree(args: argparse.Namespace) -> int:
    import json

    from .corpus import load_annotation_set, load_corpus
    from .agreement import agreement, agreement_markdown
    from .safewrite import atomic_write_text

    corpus = load_corpus(args.seeds)
    report = agreement(load_annotation_set(args.pass_a, corpus), load_annotation_set(args.pass_b, corpus))
    command = f"newsclaims agree {shown_path(args.pass_a)} {shown_path(args.pass_b)}" + (f" --write {shown_path(args.write)}" if args.write else "")
    text = agreement_markdown(report, command)
    if args.write:
        from .safewrite import file_target, refuse_protected

        refuse_protected(file_target(args.write, "--write"), "--write")
        atomic_write_text(args.write, text + "\n")
        print(f"wrote: {shown_path(args.write)}")
    print(json.dumps(report, indent=2) if args.json else text)
    return 0


def _cmd_adjudicate(args: argparse.Namespace) -> int:
    from .corpus import load_annotation_set, load_corpus
    from .agreement import adjudication_markdown, agreed_corrections, disagreements
    from .jsonio import expect_object, read_json
    from .safewrite import atomic_write_text

    from .safewrite import find_checkout, require_source_checkout

    # ADJUDICATION.md goes beside the gold it explains: --gold, else the checkout holding the
    # current folder (never the installed package).
    checkout = find_checkout()
    gold_root = args.gold or (checkout / "annotations" if checkout is not None else None)
    if gold_root is None:
        raise InvalidInput([Problem("newsclaims adjudicate", "", "", f"{Path.cwd()}, which is not inside a source checkout",
                                    "to be run in a clone (a maintainer command), or --gold DIR")])
    require_source_checkout(gold_root, "newsclaims adjudicate")
    corpus = load_corpus(args.seeds)
    gold = load_annotation_set(gold_root, corpus)
    pass_a, pass_b = load_annotation_set(args.pass_a, corpus), load_annotation_set(args.pass_b, corpus)
    entries = disagreements(pass_a, pass_b, gold)
    corrections = agreed_corrections(pass_a, pass_b, gold)
    rules_path = Path(gold.root) / "adjudication_rules.json"
    decisions = expect_object(read_json(rules_path), str(rules_path)) if rules_path.exists() else {"rules": {}, "decisions": {}}
    for key in ("rules", "decisions"):
        table = decisions.get(key)
        if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
            raise InvalidInput([Problem(shown_path(rules_path), "", key, show(table), "an object mapping names to strings")])
    unknown = sorted(set(decisions["decisions"].values()) - set(decisions["rules"]))
    if unknown:
        raise InvalidInput([Problem(shown_path(rules_path), "", "decisions", show(unknown), "rule names defined under rules")])
    command = f"newsclaims adjudicate {shown_path(args.pass_a)} {shown_path(args.pass_b)}"
    text, missing = adjudication_markdown(entries, corrections, decisions, command)
    for key in missing:
        print(f"{shown_path(rules_path)}: decisions: found no decision for {key}; expected the rule that decided it", file=sys.stderr)
    if missing:
        return EXIT_BAD_INPUT
    target = Path(gold.root) / "ADJUDICATION.md"
    atomic_write_text(target, text)
    print(f"wrote: {shown_path(target)} ({len(entries)} disagreements, {len(corrections)} corrections where the passes agreed)")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    import time

    from .eval.gold import load_gold_data
    from .eval.pipeline import evaluate, parse_layers
    from .eval.report import format_terminal

    started = time.perf_counter()
    layers = parse_layers(args.layers)
    gold = load_gold_data(args.data)
    if args.output:
        from .safewrite import check_report_target

        check_report_target(args.output)  # refused before any model runs; nothing touched
    source = _eval_source(args)
    if args.show_prompt is not None:  # the request as it would be sent; nothing is sent, nothing scored
        print(json.dumps(source.request(args.show_prompt, gold), indent=2, ensure_ascii=False))
        return 0
    given = {name: getattr(args, name) for name in ("workers", "timeout") if getattr(args, name) is not None}
    run = evaluate(source, gold, layers, **given, resamples=args.resamples, seed=args.seed,
                   warn=_warn, started=started)
    print(json.dumps(run.report, indent=2, ensure_ascii=False) if args.json else format_terminal(run.report))
    if args.output:
        kept = run.write(args.output)
        print(f"wrote: {args.output}/report.json, report.md, report.html" + ("" if run.model_lines is None else ", predictions.jsonl"),
              file=sys.stderr)
        if kept:
            print(f"kept: {', '.join(kept)} in {args.output} (not written by newsclaims eval)", file=sys.stderr)
    return 0


SOURCES = ("--predictions", "--model", "--command", "--openai-base-url")
# The sources each option acts on; given with any other source (or the default --model rules) it is refused.
IDLE_OPTIONS = {
    "--workers": ("--model", "--command", "--openai-base-url"),
    "--timeout": ("--command", "--openai-base-url"),
    **{option: ("--openai-base-url",) for option in ("--openai-model", "--openai-api-key-env", "--cache", "--max-reply-bytes",
                                                      "--retries", "--prompt", "--shots", "--structured", "--temperature",
                                                      "--openai-seed", "--max-tokens", "--show-prompt")},
}
# ChatOptions' field of each endpoint option that shapes the requests (None: the option was not given).
CHAT_OPTIONS = {"prompt": "prompt", "shots": "shots", "structured": "structured", "temperature": "temperature",
                "openai_seed": "seed", "max_tokens": "max_tokens"}


def _dest(option: str) -> str:
    return option.removeprefix("--").replace("-", "_")


def _model_help() -> str:
    from .eval.adapters.callables import baseline_names

    return (f"a shipped baseline ({', '.join(baseline_names())}; spacy:NAME_OR_PATH scores an installed spaCy pipeline or a pipeline folder; see the "
            "README's Baselines), or module:callable taking {'doc_id', 'text'}")


def _eval_source(args: argparse.Namespace):
    """What ``newsclaims eval`` scores: at most one of its source options, else the default baseline.
    An option that does nothing for that source is refused (``IDLE_OPTIONS``), in one line."""
    from .eval import pipeline

    # Given means given, even empty: --command "" or --model "" is refused by its source, never the default baseline.
    chosen = [option for option in SOURCES if getattr(args, _dest(option)) is not None]
    if len(chosen) > 1:
        raise InvalidInput([Problem("newsclaims eval", "", "", f"{len(chosen)} prediction sources",
                                    "at most one of " + ", ".join(SOURCES))])
    source = chosen[0] if chosen else "--model"
    for option, sources in IDLE_OPTIONS.items():
        if getattr(args, _dest(option)) is not None and source not in sources:
            used = source if chosen else f"the default --model {pipeline.DEFAULT_MODEL}"
            raise InvalidInput([Problem("newsclaims eval", "", "", f"{option} with {used}, which it does nothing for",
                                        f"{option} only with {' or '.join([', '.join(sources[:-1])] * (len(sources) > 1) + [sources[-1]])}")])
    if args.predictions is not None:
        return pipeline.PredictionsFile(args.predictions)
    if args.command is not None:
        return pipeline.Command(args.command)
    if args.openai_base_url is not None:
        from .eval.adapters.openai_client import ChatOptions

        options = {"key_env": args.openai_api_key_env, "cache_dir": args.cache, "max_reply_bytes": args.max_reply_bytes,
                   "retries": args.retries}
        chat = ChatOptions(**{field: getattr(args, dest) for dest, field in CHAT_OPTIONS.items() if getattr(args, dest) is not None})
        return pipeline.OpenAIEndpoint(args.openai_base_url, args.openai_model, options=chat,
                                       **{name: value for name, value in options.items() if value is not None})
    if args.model is None:
        print(f"newsclaims eval: no predictions given; scoring the default baseline --model {pipeline.DEFAULT_MODEL}",
              file=sys.stderr)
    return pipeline.Model(pipeline.DEFAULT_MODEL if args.model is None else args.model)


def _cmd_baselines(args: argparse.Namespace) -> int:
    from .baselines.refresh import run_all

    results, seconds = run_all()
    for name, r in results["baselines"].items():
        if "not_run" in r:
            print(f"{name}: not run ({r['not_run']})", file=sys.stderr)
        else:
            scores = ", ".join(f"{layer} {v['value']:.3f}" if isinstance(v["value"], float) else f"{layer} {v['value']}"
                               for layer, v in r["main_scores"].items())
            print(f"{name}: {scores} ({seconds[name]:.1f} s)")
    print("wrote: baselines/README.md, baselines/results.json, baselines/predictions/")
    return 0


def _preannotations(source: str, corpus, gold) -> tuple[dict[str, dict] | None, str]:
    """Documents to pre-annotate tasks with, and their model_version, from ``--source``: ``none``, ``gold``,
    ``model:NAME`` (a baseline or callable run on the seed texts) or the path of a predictions file."""
    if source == "none":
        return None, "none"
    if source == "gold":
        return gold.documents, "gold"
    from .eval.pipeline import Model, PredictionsFile, preannotations

    texts = {d: doc.text for d, doc in corpus.documents.items()}
    if source.startswith("model:"):
        name = source.split(":", 1)[1]
        return preannotations(Model(name), texts), name
    return preannotations(PredictionsFile(Path(source)), texts), Path(source).stem


def _checkout_passes(annotations: Path | None) -> Path:
    """Where ls import puts annotator sets without --passes: beside --annotations, else in the
    checkout holding the current folder (never the installed package or another clone)."""
    from .safewrite import find_checkout

    if annotations is not None:
        return Path(annotations) / "passes"
    checkout = find_checkout()
    if checkout is None:
        raise InvalidInput([Problem("--passes", "", "", f"nothing, and {Path.cwd()} is not inside a source checkout",
                                    "--passes DIR, or to be run in a clone")])
    return checkout / "annotations" / "passes"


def _cmd_ls(args: argparse.Namespace) -> int:
    import os

    from . import labelstudio as ls
    from .corpus import load_annotation_set, load_corpus
    from .jsonio import read_json
    from .safewrite import atomic_write_text

    def emit(text: str, note: str) -> int:
        """Write to --out (whole or not at all), or print."""
        if args.out:
            from .safewrite import file_target, refuse_protected

            refuse_protected(file_target(args.out, "--out"), "--out")
            atomic_write_text(args.out, text)
            print(f"wrote: {args.out}{note}")
        else:
            print(text, end="")
        return 0

    corpus = load_corpus(args.seeds)
    if args.action == "config":
        return emit(ls.label_config(), "")
    if args.action in ("export", "import", "push"):
        gold = load_annotation_set(args.annotations, corpus)

    def task_list() -> tuple[list[dict], str]:
        documents, version = _preannotations(args.source, corpus, gold)
        return ls.tasks(corpus, documents, version, ls.Registry.of(gold)), version

    if args.action == "export":
        tasks, version = task_list()
        return emit(ls.task_file_json(tasks), f" ({len(corpus.documents)} tasks, pre-annotations: {version})")
    if args.action == "import":
        if not args.file:
            raise InvalidInput([Problem("newsclaims ls import", "", "", "no export file", "the path of a Label Studio JSON export")])
        from .safewrite import refuse_protected

        passes = Path(args.passes or _checkout_passes(args.annotations))  # never the installed or another checkout's
        refuse_protected(passes, "--passes", allow_data=True)
        plan = ls.read_export(args.file, corpus, gold, passes)
        for note in plan.notes:
            print(note, file=sys.stderr)
        if not plan.sets:
            print("nothing to import: every annotation in the export was skipped; no pass changed")
            return 0
        if args.dry_run:
            ls.check_import(plan, passes, corpus, gold)
            print(ls.diff_summary(plan, gold))
            print("dry run: the import would succeed; nothing written")
            return 0
        for target in ls.write_sets(plan, passes, corpus, gold):
            print(f"wrote: {shown_path(target)} ({len(plan.sets[target.name])} documents from this export merged into the pass)")
        return 0
    if args.action == "status" and args.file:
        print(ls.status(read_json(args.file, str(args.file)), corpus))
        return 0
    key = os.environ.get("LABEL_STUDIO_API_KEY")
    if not key:
        raise InvalidInput([Problem("LABEL_STUDIO_API_KEY", "", "", "an unset variable", "the API token of the Label Studio user")])
    if not args.url:
        raise InvalidInput([Problem("--url", "", "", "nothing", "the Label Studio server's address, e.g. http://127.0.0.1:8080")])
    if args.action == "push":
        tasks, version = task_list()
        result = ls.push(args.url, key, args.title, ls.label_config(), tasks, version, update_predictions=args.update_predictions)
        print(result.summary(args.title, version))
        return 0
    if args.action == "status":
        print(ls.status(ls.pull(args.url, key, args.title), corpus))
        return 0
    out = args.out or Path("label_studio_export.json")
    from .safewrite import file_target, refuse_protected

    refuse_protected(file_target(out, "--out"), "--out")  # before asking the server
    export = ls.pull(args.url, key, args.title)
    atomic_write_text(out, json.dumps(export, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote: {out} ({len(export)} tasks); next: newsclaims ls import {out}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from .eval.compare import format_leaderboards, leaderboards, read_report

    reports = [(str(path), read_report(path)) for path in args.reports]
    sys.stdout.write(format_leaderboards(leaderboards(reports, args.resamples, args.seed)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="newsclaims",
        description="A benchmark of who said what, and how many, in news text.",
        epilog=EXAMPLES,
        formatter_class=_HelpFormatter,
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"newsclaims {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    def add(name: str, help_text: str, examples: str, seeds: bool = True):
        p = sub.add_parser(name, help=help_text, description=help_text, epilog="examples:\n" + examples,
                           formatter_class=_HelpFormatter)
        if seeds:  # compare reads reports and baselines the packaged gold: no seeds option to ignore
            p.add_argument("--seeds", type=Path, help="seed folder with MANIFEST.json (default: the packaged seeds)")
        return p

    p = add("validate", "Check seeds, annotation sets, gold files, registries or predictions files; exit 2 on any problem.",
            "  newsclaims validate\n  newsclaims validate annotations/passes/a annotations/gold/000_956b89daf0f4f269.json\n"
            "  newsclaims validate predictions.jsonl\n")
    p.add_argument("paths", nargs="*", type=Path, help="files or annotation-set folders (default: the packaged gold); - reads a predictions file from standard input")
    p.add_argument("--kind", choices=["set", "gold", "registry", "predictions"], help="what the paths are (default: guessed from the name)")
    p.add_argument("--annotations", type=Path, help="annotation set checked when no path is given (default: the packaged gold)")
    p.set_defaults(run=_cmd_validate)

    p = add("stats", "Counts per document, layer and label of an annotation set.",
            "  newsclaims stats\n  newsclaims stats --conflicts\n  newsclaims stats --annotations annotations/passes/a --json\n")
    p.add_argument("--annotations", type=Path, help="annotation set (default: the packaged gold)")
    p.add_argument("--conflicts", action="store_true",
                   help="per claim group each article's value, approximation and source; per quote group each article's speaker")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=_cmd_stats)

    p = sub.add_parser("eval", help="Score predictions against the gold: every metric, intervals, reports.",
                       description="Score a predictions file, a Python model, a command or an OpenAI-compatible endpoint "
                                   "against the gold. Main scores: entities strict micro F1; quotes end-to-end quote+speaker "
                                   "F1 (overlap matching); numeric claims end-to-end claim F1; each with a 95% document-level "
                                   "bootstrap interval.",
                       epilog="examples:\n"
                              "  newsclaims eval                                   the default baseline (rules)\n"
                              "  newsclaims eval --predictions predictions.jsonl\n"
                              "  newsclaims eval --predictions predictions.jsonl --layers entities --output runs/mine\n"
                              "  newsclaims eval --model mypackage.extract:predict --workers 4 --output runs/mine\n"
                              "  newsclaims eval --command \"python my_tagger.py\" --timeout 30\n"
                              "  OPENAI_API_KEY=... newsclaims eval --openai-base-url http://127.0.0.1:8000/v1 --openai-model qwen2.5-7b-instruct\n"
                              "  newsclaims compare runs/*/report.json\n",
                       formatter_class=_HelpFormatter)
    source = p.add_argument_group("what to score (one of these or --openai-base-url; default --model rules)")
    source.add_argument("--predictions", type=Path, metavar="FILE.jsonl",
                        help="a predictions file (see the README for the format); - reads standard input")
    model = source.add_argument("--model", metavar="NAME|module:callable", help="a shipped baseline, or a callable taking {'doc_id', 'text'}")
    model.late_help = _model_help
    source.add_argument("--command", metavar="CMD", help="a program reading document JSON lines on stdin, writing prediction lines")
    p.add_argument("--data", type=Path, metavar="DIR", help="a dataset folder built by newsclaims build, its files checked against "
                   "the checksums in its build_info.json (default: the packaged gold)")
    p.add_argument("--layers", metavar="LIST", help="comma-separated layers to score (default: all)")
    p.add_argument("--output", type=Path, metavar="DIR", help="write report.json, report.md, report.html (and a model's predictions.jsonl)")
    # Options that act on some sources only default to None here, so that one given for another source is
    # refused (IDLE_OPTIONS); the defaults the help names are those of pipeline.evaluate and OpenAIEndpoint.
    p.add_argument("--workers", type=worker_count, metavar="N",
                   help="documents processed in parallel by a model, command or endpoint, at most N at a time (default 1; "
                        "8 for an endpoint: a served model answers concurrent requests in one batch, so a run takes about "
                        "documents / workers x latency; vLLM, llama.cpp --parallel and Ollama batch 4 to 256 at once, and "
                        "a hosted API's 429s are retried)")
    p.add_argument("--timeout", type=positive_seconds, metavar="S",
                   help="seconds per document for a command or endpoint, > 0 (default 60)")
    endpoint = p.add_argument_group("OpenAI-compatible endpoint runs")
    endpoint.add_argument("--openai-base-url", metavar="URL", help="score the endpoint at URL (vLLM, llama.cpp server, Ollama); "
                          "a source, like those above")
    endpoint.add_argument("--openai-model", metavar="NAME", help="the model name sent to the endpoint (required with --openai-base-url)")
    endpoint.add_argument("--openai-api-key-env", metavar="VAR",
                          help="environment variable holding the API key (default OPENAI_API_KEY); the key is never printed or written")
    endpoint.add_argument("--cache", type=Path, metavar="DIR",
                          help="keep every reply in DIR (keyed by endpoint, model, prompt and document); a rerun asks only for what is missing")
    endpoint.add_argument("--max-reply-bytes", type=_number_option(int, "a whole number of bytes", 1), metavar="N",
                          help="refuse a reply longer than N bytes (default 8 MiB)")
    endpoint.add_argument("--retries", type=_number_option(int, "a whole number of retries", 0), metavar="N",
                          help="retries after HTTP 429/5xx or a reset connection, with backoff honouring Retry-After (default 4)")
    endpoint.add_argument("--prompt", type=Path, metavar="FILE", help='a prompt file {"id", "version", "system", "user"} '
                          "(the user template holds {text}) instead of the packaged eval/prompts/extract.json")
    endpoint.add_argument("--shots", type=_number_option(int, "a whole number of examples", 0), metavar="K",
                          help="K worked examples before each article: the gold of the K documents after it in doc_id "
                               "order, wrapping around, never the scored one (default 0)")
    endpoint.add_argument("--structured", choices=["off", "auto", "on"],
                          help="send the answer's JSON Schema as response_format: auto probes with the first document "
                               "and falls back to prompt-only JSON if the server refuses it; on refuses such a server "
                               "(default auto)")
    endpoint.add_argument("--temperature", type=_number_option(float, "a finite temperature", 0), metavar="T",
                          help="sampling temperature sent (default 0)")
    endpoint.add_argument("--openai-seed", type=_number_option(int, "a whole number", 0), metavar="N",
                          help="sampling seed sent, for servers that honour one (default 0)")
    endpoint.add_argument("--max-tokens", type=_number_option(int, "a whole number of tokens", 1), metavar="N",
                          help="max_tokens sent: the longest reply the server may generate (default 4096)")
    endpoint.add_argument("--show-prompt", metavar="DOC",
                          help="print the request that would be sent for document DOC (JSON: model, messages, options) "
                               "and exit without sending it")
    p.add_argument("--json", action="store_true", help="print report.json instead of the table")
    p.add_argument("--resamples", type=_number_option(int, "a whole number of resamples", 1), default=1000, metavar="N", help="bootstrap resamples for the 95%% intervals (default 1000)")
    p.add_argument("--seed", type=_number_option(int, "a whole number", 0), default=0, metavar="N", help="bootstrap seed (default 0); recorded in report.json")
    p.set_defaults(run=_cmd_eval)

    p = add("compare", "One leaderboard per layer, ranked by its main score, with paired permutation tests between systems.",
            "  newsclaims compare runs/rules/report.json runs/sklearn/report.json\n", seeds=False)
    p.add_argument("reports", nargs="+", type=Path, help="report.json files written by newsclaims eval --output")
    p.add_argument("--resamples", type=_number_option(int, "a whole number of resamples", 1), default=1000, metavar="N", help="paired bootstrap resamples for the 95%% interval of a difference (default 1000)")
    p.add_argument("--seed", type=_number_option(int, "a whole number", 0), default=0, metavar="N", help="seed of the bootstrap and of a Monte Carlo permutation test (default 0)")
    p.set_defaults(run=_cmd_compare)

    p = add("ls", "Label Studio: the labeling config, tasks with pre-annotations, validated import, push, pull and status.",
            "  newsclaims ls config --out annotations/label_studio/config.xml\n"
            "  newsclaims ls export --source gold --out tasks.json\n"
            "  newsclaims ls export --source model:rules --out tasks.json\n"
            "  newsclaims ls import export.json --dry-run\n"
            "  LABEL_STUDIO_API_KEY=... newsclaims ls push --url http://127.0.0.1:8080 --source gold\n"
            "  LABEL_STUDIO_API_KEY=... newsclaims ls push --url http://127.0.0.1:8080 --source model:rules --update-predictions\n"
            "  LABEL_STUDIO_API_KEY=... newsclaims ls pull --url http://127.0.0.1:8080 --out export.json\n"
            "  LABEL_STUDIO_API_KEY=... newsclaims ls status --url http://127.0.0.1:8080\n"
            "  newsclaims ls status export.json\n")
    p.add_argument("action", choices=["config", "export", "import", "push", "pull", "status"])
    p.add_argument("file", nargs="?", type=Path, help="import/status: a Label Studio JSON export (status: instead of --url)")
    p.add_argument("--source", default="gold", help="pre-annotations: gold, model:NAME, a predictions file, or none (default gold)")
    p.add_argument("--annotations", type=Path, help="the gold annotation set (default: the packaged gold)")
    p.add_argument("--passes", type=Path, help="import: where annotator sets go (default: annotations/passes)")
    p.add_argument("--dry-run", action="store_true",
                   help="import: run every check of the import and print the differences from the gold; write nothing")
    p.add_argument("--update-predictions", action="store_true",
                   help="push: replace the pre-annotations of tasks already in the project by --source's")
    p.add_argument("--out", type=Path, help="config/export/pull: the file to write")
    p.add_argument("--url", help="push/pull: the Label Studio server (token from LABEL_STUDIO_API_KEY)")
    p.add_argument("--title", default="newsclaims", help="push/pull: the project title (default newsclaims)")
    p.set_defaults(run=_cmd_ls)

    p = add("baselines", "Re-run every baseline, keep its predictions and regenerate baselines/README.md.",
            "  newsclaims baselines refresh\n", seeds=False)
    p.add_argument("action", choices=["refresh"], help="refresh: run the baselines and rewrite their results")
    p.set_defaults(run=_cmd_baselines)

    p = add("agree", "Agreement between two annotation sets per layer: strict and overlap F1, attribute agreement.",
            "  newsclaims agree annotations/passes/a annotations/passes/b\n"
            "  newsclaims agree annotations/passes/a annotations/passes/b --write annotations/AGREEMENT.md\n")
    p.add_argument("pass_a", type=Path, help="first annotation set folder")
    p.add_argument("pass_b", type=Path, help="second annotation set folder")
    p.add_argument("--write", type=Path, help="also write the Markdown report to this file")
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    p.set_defaults(run=_cmd_agree)

    p = add("adjudicate", "Write ADJUDICATION.md: every disagreement of two passes, what the gold kept and the rule that decided it.",
            "  newsclaims adjudicate annotations/passes/a annotations/passes/b\n")
    p.add_argument("pass_a", type=Path, help="first annotation pass")
    p.add_argument("pass_b", type=Path, help="second annotation pass")
    p.add_argument("--gold", type=Path, help="the adjudicated set holding adjudication_rules.json, where ADJUDICATION.md is "
                   "written (default: annotations/ of the checkout you are in; outside a checkout, --gold is needed)")
    p.set_defaults(run=_cmd_adjudicate)

    p = add("build", "Regenerate dataset/ (JSON Lines configs and the dataset card) from seeds/ and annotations/.",
            "  newsclaims build\n  newsclaims build --check\n")
    p.add_argument("--annotations", type=Path, help="annotation set (default: annotations/ of the checkout)")
    p.add_argument("--out", type=Path, help="output folder: a new path, an empty folder or one build wrote before (it has "
                   "build_info.json); replaced as a whole, crash-safe (default: dataset/ of the checkout you are in)")
    p.add_argument("--changelog", type=Path, help="CHANGELOG.md giving the data version (default: the checkout's)")
    p.add_argument("--datasheet", type=Path, help="DATASHEET.md whose generated blocks get the numbers (default: the checkout's, "
                   "when building its annotations)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when the output folder or datasheet differs from a fresh build")
    p.set_defaults(run=_cmd_build)
    return parser


def _terminate_as_interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM ends a run the way Ctrl-C does: children killed, one line, 130


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading

    parser = build_parser()
    args = parser.parse_args(argv)  # a usage error is one line and SystemExit(2) (see _Parser)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        return args.run(args)
    except InvalidInput as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileNotFoundError as err:
        print(f"{err.filename or err}: not found", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as err:  # adapters.pool.Interrupted says how far the run got
        print(f"newsclaims {args.run.__name__.removeprefix('_cmd_')}: {str(err) or 'interrupted'}", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"newsclaims {args.run.__name__.removeprefix('_cmd_')}: ran out of memory; nothing was written "
              "(score a smaller dataset or free memory)", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into a reader that stopped early (| head)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
