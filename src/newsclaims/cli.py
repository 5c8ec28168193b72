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

    bench = _benchmark(args)
    corpus = corpus_mod.load_corpus(args.seeds or bench.seeds)
    targets = args.paths or [None]
    for target in targets:
        if target is None:
            ann = corpus_mod.load_annotation_set(args.annotations or bench.annotations, corpus, warn=_warn)
            print(f"ok: {len(corpus.documents)} seed documents (checksums match) and the gold annotation set "
                  f"{shown_path(ann.root)} ({_record_counts(ann)})")
            continue
        kind = args.kind or _detect_kind(target)
        if kind == "set" and not target.is_dir():
            raise InvalidInput([Problem(str(target), "", "", "a file" if target.exists() else "nothing",
                                        "an annotation set folder (gold/, entities.json, claim_groups.json, quote_groups.json)")])
        if kind == "set":
            ann = _load_named_set(target, corpus, warn=_warn)
            print(f"ok: {target}: annotation set ({_record_counts(ann)}){_held(ann, corpus)}")
        elif kind == "gold":
            doc = corpus_mod.validate_gold_file(target, corpus, args.annotations or bench.annotations)
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


def _load_named_set(path: Path, corpus, warn=None):
    from .pass_provenance import load_named_set

    return load_named_set(path, corpus, warn)


def _held(ann, corpus) -> str:
    """`` (holds 3 of 5 seed documents)`` for a set holding some documents only, else ""."""
    return f" (holds {len(ann.documents)} of {len(corpus.documents)} seed documents)" if len(ann.documents) < len(corpus.documents) else ""


def _cmd_stats(args: argparse.Namespace) -> int:
    import json

    from .corpus import load_annotation_set, load_corpus
    from .stats import annotation_stats, conflicts, format_conflicts, format_stats

    bench = _benchmark(args)
    corpus = load_corpus(args.seeds or bench.seeds)
    ann = _load_named_set(args.annotations, corpus) if args.annotations else load_annotation_set(bench.annotations, corpus)
    if args.conflicts:
        view = conflicts(corpus, ann)
        print(json.dumps(view, indent=2, ensure_ascii=False) if args.json else format_conflicts(corpus, ann, view))
        return 0
    stats = annotation_stats(corpus, ann)
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats) + ("\n" + _held(ann, corpus).strip(" ()") if _held(ann, corpus) else ""))
    return 0


def _benchmark(args: argparse.Namespace, writes: str | None = None):
    """The benchmark a command works on (``newsclaims.benchmark.Benchmark.resolve``: --root, the folder
    holding the current one, else the packaged data for a command that only reads)."""
    from .benchmark import Benchmark

    return Benchmark.resolve(getattr(args, "root", None), writes=writes)


def _seeds(args: argparse.Namespace) -> Path:
    return args.seeds or _benchmark(args).seeds


def _cmd_build(args: argparse.Namespace) -> int:
    from . import build
    from .safewrite import recover

    # Write targets come from the options or the benchmark (--root, else the one holding the current folder),
    # never from where the package is installed (an editable install run from another clone writes there).
    given = bool(args.out and args.changelog and args.root is None)  # nothing of a benchmark is written
    bench = _benchmark(args, writes=None if given else "newsclaims build")
    seeds = args.seeds or bench.seeds
    annotations = args.annotations or bench.annotations
    out = args.out or bench.dataset
    changelog = args.changelog or bench.changelog
    if not args.check:
        build.check_out_target(out)  # refuse before any work; nothing is touched
        if recover(out):  # an interrupted earlier swap: its complete old folder is back
            print(f"restored: {shown_path(out)} from an interrupted build", file=sys.stderr)
    datasheet = args.datasheet or (bench.root / build.DATASHEET if not given and args.annotations is None
                                   and (bench.root / build.DATASHEET).is_file() else None)
    plan = build.plan_build(seeds, annotations, out, changelog, datasheet, check=args.check, warn=_warn)
    if args.check:
        if plan.stale:
            print(f"{shown_path(out)} is stale ({len(plan.stale)} files differ: {', '.join(plan.stale[:5])}); run: newsclaims build",
                  file=sys.stderr)
            return 1
        print(f"ok: {shown_path(out)} is up to date (data {plan.version})")
        return 0
    build.write_build(plan)
    for name in build.empty_configs(plan.files):
        print(f"warning: config {name} has no rows yet; datasets cannot load an empty split", file=sys.stderr)
    print(f"{'wrote' if plan.stale else 'unchanged'}: {shown_path(out)} (data {plan.version}, {len(plan.files)} files, "
          f"gold sha256 {plan.digest[:12]})")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from .benchmark import init

    written = init(args.folder)
    print(f"wrote: {shown_path(args.folder)} (a new benchmark: {', '.join(written)}); next: newsclaims add FILE... --cluster ID "
          f"--description TEXT --root {shown_path(args.folder)}")
    return 0


def _cmd_add(args: argparse.Namespace) -> int:
    from .benchmark import add

    bench = _benchmark(args, writes="newsclaims add")
    provenance = {name: getattr(args, name) for name in ("outlet", "published", "author", "url", "received_as", "implied_date",
                                                         "evidence", "noise") if getattr(args, name) is not None}
    entries = add(bench, args.files, args.cluster, description=args.description, period=args.period, doc_ids=args.doc_id,
                  provenance=provenance)
    for entry in entries:
        print(f"added: {entry['doc_id']} ({entry['bytes']} bytes, sha256 {entry['sha256'][:12]}) to cluster {entry['cluster_id']}")
    print(f"wrote: {shown_path(bench.seeds / 'MANIFEST.json')} ({len(entries)} documents added)")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    import datetime

    from .release import changelog_entry, diff, format_diff, read_side, write_changelog

    bench = _benchmark(args, writes="newsclaims diff --write" if args.write and not args.changelog else None)
    result = diff(read_side(args.old, bench.dataset), read_side(args.new, bench.dataset))
    print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) if args.json else format_diff(result))
    if args.write:
        if result.bump is None:
            raise InvalidInput([Problem("newsclaims diff --write", "", "", "no change between the two", "a change to record")])
        changelog = args.changelog or bench.changelog
        from .safewrite import require_source_checkout

        require_source_checkout(changelog.parent, "newsclaims diff --write")
        write_changelog(changelog, changelog_entry(result, args.date or datetime.date.today().isoformat()), result.new.digest)
        print(f"wrote: {shown_path(changelog)} (data {result.new_version()}, {result.bump}); next: newsclaims build")
    return 0


def _cmd_agree(args: argparse.Namespace) -> int:
    import json

    from .agreement import agreement, agreement_markdown, load_passes
    from .corpus import load_corpus
    from .safewrite import atomic_write_text

    corpus = load_corpus(_seeds(args))
    report = agreement(*load_passes(args.pass_a, args.pass_b, corpus))
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
    from .agreement import adjudication_markdown, agreed_corrections, disagreements
    from .corpus import load_annotation_set, load_corpus
    from .jsonio import expect_object, read_json
    from .safewrite import atomic_write_text, require_source_checkout

    # ADJUDICATION.md goes beside the gold it explains: --gold, else the benchmark's (--root, or the one
    # holding the current folder; never the installed package).
    gold_root = args.gold or _benchmark(args, writes="newsclaims adjudicate").annotations
    require_source_checkout(gold_root, "newsclaims adjudicate")
    corpus = load_corpus(_seeds(args))
    if args.export or args.label_config or args.import_file:
        return _review_in_label_studio(args, corpus, gold_root)
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
    from .labelstudio.adjudication import with_reviews

    target = Path(gold.root) / "ADJUDICATION.md"
    atomic_write_text(target, with_reviews(text, target.read_text("utf-8") if target.is_file() else None))
    print(f"wrote: {shown_path(target)} ({len(entries)} disagreements, {len(corrections)} corrections where the passes agreed)")
    return 0


def _review_in_label_studio(args: argparse.Namespace, corpus, gold_root: Path) -> int:
    """adjudicate --export/--label-config/--import: see ``newsclaims.labelstudio.adjudication``."""
    from .agreement import load_passes
    from .corpus import load_annotation_set
    from .labelstudio import adjudication
    from .labelstudio.tasks import task_file_json
    from .safewrite import atomic_write_text, file_target, refuse_protected

    if args.import_file and (args.export or args.label_config):
        raise InvalidInput([Problem("newsclaims adjudicate", "", "", "--import with --export or --label-config",
                                    "--export/--label-config first, then --import the reviewed export")])
    gold = load_annotation_set(gold_root, corpus, require_complete=False)  # the reviewed documents have none yet
    pass_a, pass_b = load_passes(args.pass_a, args.pass_b, corpus)
    if args.label_config:
        refuse_protected(file_target(args.label_config, "--label-config"), "--label-config")
        atomic_write_text(args.label_config, adjudication.label_config())
        print(f"wrote: {shown_path(args.label_config)} (the reviewer's labeling config)")
    if args.export:
        tasks = adjudication.tasks(corpus, pass_a, pass_b, gold, replace=args.replace)
        if not tasks:
            raise InvalidInput([Problem("newsclaims adjudicate --export", "", "", "no document both passes hold without gold",
                                        "a document to review (--replace to review one that has gold)")])
        refuse_protected(file_target(args.export, "--export"), "--export")
        atomic_write_text(args.export, task_file_json(tasks))
        count = sum(t["data"]["disagreements"] for t in tasks)
        print(f"wrote: {shown_path(args.export)} ({len(tasks)} review tasks, {count} disagreements); next: import it into a "
              "Label Studio project with that config, review, export, then newsclaims adjudicate ... --import EXPORT")
    if args.import_file:
        reviews = adjudication.read_reviews(args.import_file, corpus, pass_a, pass_b, gold, replace=args.replace)
        if not reviews:
            print("nothing to import: no task of the export was reviewed; no gold changed")
            return 0
        names = (shown_path(args.pass_a), shown_path(args.pass_b))
        adjudication.write_reviews(reviews, corpus, gold, pass_a, pass_b, names)
        for review in reviews:
            from .labels import LAYERS

            counts = ", ".join(f"{len(review.gold[layer])} {layer}" for layer in LAYERS)
            print(f"wrote: gold {review.doc_id} ({counts}; {len(review.kept)} disagreements decided by {review.reviewer})")
        print(f"wrote: {shown_path(Path(gold_root) / 'ADJUDICATION.md')} ({len(reviews)} review sections)")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    import time

    from .batches import track_memory
    from .eval.gold import load_gold_data
    from .eval.pipeline import evaluate, parse_layers
    from .eval.report import format_terminal

    started = time.perf_counter()
    track_memory()  # report.json's memory counts the whole run, the gold's reading too
    layers = parse_layers(args.layers)
    gold = load_gold_data(args.data or _benchmark(args).dataset)
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


MIN_MAX_CHARS = 500  # --max-chars: a chunk of a few sentences at least
SOURCES = ("--predictions", "--model", "--command", "--openai-base-url")
# The sources each option acts on; given with any other source (or the default --model rules) it is refused.
IDLE_OPTIONS = {
    "--workers": ("--model", "--command", "--openai-base-url"),
    "--timeout": ("--command", "--openai-base-url"),
    **{option: ("--openai-base-url",) for option in ("--openai-model", "--openai-api-key-env", "--cache", "--max-reply-bytes",
                                                      "--retries", "--max-chars", "--prompt", "--shots", "--structured", "--temperature",
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
                   "retries": args.retries, "max_chars": args.max_chars}
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


def _checkout_passes(annotations: Path | None, root: Path | None = None) -> Path:
    """Where ls import puts annotator sets without --passes: beside --annotations, else in the
    benchmark's annotations/ (--root, or the one holding the current folder; never the installed package)."""
    from .benchmark import Benchmark

    if annotations is not None:
        return Path(annotations) / "passes"
    try:
        return Benchmark.resolve(root, writes="--passes").passes
    except InvalidInput:
        raise InvalidInput([Problem("--passes", "", "", f"nothing, and {Path.cwd()} is not inside a source checkout",
                                    "--passes DIR, or to be run in a clone or benchmark folder (or --root DIR)")]) from None


def _guidelines(annotations: Path | None) -> str:
    """GUIDELINES.md beside --annotations, else the packaged one."""
    from . import paths

    for root in ([annotations] if annotations else []) + [paths.annotations_dir()]:
        if (Path(root) / "GUIDELINES.md").is_file():
            return (Path(root) / "GUIDELINES.md").read_text("utf-8")
    return ""


def _status_passes(args: argparse.Namespace) -> Path | None:
    """The passes ls status compares with: --passes, else the checkout's when there is one (else none)."""
    if args.passes:
        return args.passes
    try:
        return _checkout_passes(args.annotations, args.root)
    except InvalidInput:
        return None


def _emit(text: str, out: Path | None, note: str) -> int:
    """Write to --out (whole or not at all), or print."""
    if out:
        from .safewrite import atomic_write_text, file_target, refuse_protected

        refuse_protected(file_target(out, "--out"), "--out")
        atomic_write_text(out, text)
        print(f"wrote: {out}{note}")
    else:
        print(text, end="")
    return 0


def _ls_tasks(args: argparse.Namespace, corpus, gold) -> tuple[list[dict], str]:
    from . import labelstudio as ls

    documents, version = _preannotations(args.source, corpus, gold)
    task_corpus = corpus
    if args.new_only:  # only the documents without gold; those with gold are never sent unless asked
        from dataclasses import replace

        task_corpus = replace(corpus, documents={d: doc for d, doc in corpus.documents.items() if d not in gold.documents})
    return ls.tasks(task_corpus, documents, version, ls.Registry.of(gold)), version


def _ls_gold(args: argparse.Namespace, corpus):
    """The gold an ls action checks against. Documents added since the last release have no gold yet:
    the set may lack them (``--new-only`` tasks are theirs)."""
    from .corpus import load_annotation_set

    return load_annotation_set(args.annotations or _benchmark(args).annotations, corpus, require_complete=False)


def _ls_server(args: argparse.Namespace) -> str:
    """The API token, after checking the server options: one line for each thing missing."""
    import os

    key = os.environ.get("LABEL_STUDIO_API_KEY")
    if not key:
        raise InvalidInput([Problem("LABEL_STUDIO_API_KEY", "", "", "an unset variable", "the API token of the Label Studio user")])
    if not args.url:
        raise InvalidInput([Problem("--url", "", "", "nothing", "the Label Studio server's address, e.g. http://127.0.0.1:8080")])
    return key


def _ls_config(args: argparse.Namespace) -> int:
    from . import labelstudio as ls

    return _emit(ls.label_config(), args.out, "")


def _ls_export(args: argparse.Namespace) -> int:
    from . import labelstudio as ls
    from .corpus import load_corpus

    corpus = load_corpus(_seeds(args))
    tasks, version = _ls_tasks(args, corpus, _ls_gold(args, corpus))
    return _emit(ls.task_file_json(tasks), args.out, f" ({len(tasks)} tasks, pre-annotations: {version})")


def _ls_import(args: argparse.Namespace) -> int:
    from . import labelstudio as ls
    from .corpus import load_corpus
    from .safewrite import refuse_protected

    corpus = load_corpus(_seeds(args))
    gold = _ls_gold(args, corpus)
    passes = Path(args.passes or _checkout_passes(args.annotations, args.root))  # never the installed or another checkout's
    refuse_protected(passes, "--passes", allow_data=True)
    plan = ls.read_export(args.file, corpus, gold, passes)
    for note in plan.notes:
        print(note, file=sys.stderr)
    if not plan.sets:
        print("nothing to import: every annotation in the export was skipped; no pass changed")
        return 0
    if args.dry_run:
        ls.check_import(plan, passes, corpus, gold, replace=args.replace)
        print(ls.diff_summary(plan, gold, passes, corpus))
        print("dry run: the import would succeed; nothing written")
        return 0
    for target in ls.write_sets(plan, passes, corpus, gold, replace=args.replace):
        print(f"wrote: {shown_path(target)} ({len(plan.sets[target.name])} documents from this export merged into the pass)")
    return 0


def _ls_push(args: argparse.Namespace) -> int:
    from . import labelstudio as ls
    from .corpus import load_corpus

    key = _ls_server(args)
    corpus = load_corpus(_seeds(args))
    tasks, version = _ls_tasks(args, corpus, _ls_gold(args, corpus))
    result = ls.push(args.url, key, args.title, ls.label_config(), tasks, version, update_predictions=args.update_predictions,
                     overlap=args.overlap, instructions=ls.instructions_html(_guidelines(args.annotations)))
    print(result.summary(args.title, version))
    return 0


def _ls_pull(args: argparse.Namespace) -> int:
    from . import labelstudio as ls
    from .corpus import load_corpus
    from .safewrite import atomic_write_text, file_target, refuse_protected

    key = _ls_server(args)
    corpus = load_corpus(_seeds(args))
    out = args.out or Path("label_studio_export.json")
    refuse_protected(file_target(out, "--out"), "--out")  # before asking the server
    export = ls.pull(args.url, key, args.title)
    ls.check_export(export, corpus, f"{args.url} project {args.title!r}")
    atomic_write_text(out, json.dumps(export, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote: {out} ({len(export)} tasks); next: newsclaims ls import {out}")
    return 0


def _ls_status(args: argparse.Namespace) -> int:
    from . import labelstudio as ls
    from .corpus import load_corpus
    from .jsonio import read_json

    if args.file and args.url:
        raise InvalidInput([Problem("newsclaims ls status", "", "", "an export file and --url", "one of them")])
    corpus = load_corpus(_seeds(args))
    if args.file:
        print(ls.status(read_json(args.file, str(args.file)), corpus, _status_passes(args), str(args.file)))
        return 0
    key = _ls_server(args)
    print(ls.status(ls.pull(args.url, key, args.title), corpus, _status_passes(args), f"{args.url} project {args.title!r}"))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from .eval.compare import format_leaderboards, leaderboards, read_report

    reports = [(str(path), read_report(path)) for path in args.reports]
    sys.stdout.write(format_leaderboards(leaderboards(reports, args.resamples, args.seed)))
    return 0


def _root_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", type=Path, metavar="DIR", help="the benchmark folder (seeds/, annotations/, dataset/, CHANGELOG.md; "
                   "default: the one holding the current folder, else the packaged data)")


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
            _root_option(p)
            p.add_argument("--seeds", type=Path, help="seed folder with MANIFEST.json (default: the benchmark's seeds/)")
        return p

    p = sub.add_parser("init", help="Create a new benchmark folder: seeds/ with an empty manifest, annotations/ with "
                       "GUIDELINES.md and empty registries, dataset/, CHANGELOG.md.",
                       description="Create a new benchmark folder with the packaged schema, guidelines and tools.",
                       epilog="examples:\n  newsclaims init my-bench\n", formatter_class=_HelpFormatter)
    p.add_argument("folder", type=Path, help="a new path or an empty folder")
    p.set_defaults(run=_cmd_init)

    p = add("add", "Add articles to seeds/: copied byte for byte under a stable doc_id, with their manifest entry.",
            "  newsclaims add article1.txt article2.txt --cluster floods_2025_03 --description 'River floods of March 2025'\n"
            "  newsclaims add story.txt --cluster floods_2025_03 --outlet 'Daily Example' --url https://example.org/a --root my-bench\n")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="UTF-8 text files, one article each")
    p.add_argument("--cluster", required=True, metavar="ID", help="the story cluster (lower_snake_case); a new one needs --description")
    p.add_argument("--description", help="makes a new cluster: what the story is")
    p.add_argument("--period", help="a new cluster's period (default: not stated)")
    p.add_argument("--doc-id", action="append", metavar="ID", help="the doc_id of each FILE, in order (default: NNN_ and the "
                   "first 16 hex digits of its sha256)")
    for name, what in (("outlet", "the publishing outlet"), ("published", "the publication date"), ("author", "the byline"),
                       ("url", "where the article was published"), ("received-as", "how the file was received"),
                       ("implied-date", "the date the content implies")):
        p.add_argument(f"--{name}", help=f"provenance: {what}")
    p.add_argument("--evidence", action="append", help="provenance: a piece of evidence for the date or source (repeatable)")
    p.add_argument("--noise", action="append", help="provenance: a noise the text carries as received (repeatable)")
    p.set_defaults(run=_cmd_add)

    p = add("validate", "Check seeds, annotation sets, gold files, registries or predictions files; exit 2 on any problem.",
            "  newsclaims validate\n  newsclaims validate annotations/passes/a annotations/gold/000_956b89daf0f4f269.json\n"
            "  newsclaims validate predictions.jsonl\n")
    p.add_argument("paths", nargs="*", type=Path,
                   help="files or annotation-set folders (default: the packaged gold); - reads a predictions file from standard input")
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
                   "the checksums in its build_info.json (default: the benchmark's dataset/)")
    _root_option(p)
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
    endpoint.add_argument("--max-chars", type=_number_option(int, "a whole number of characters", MIN_MAX_CHARS), metavar="N",
                          help="ask about a document longer than N characters in chunks cut at paragraphs, else sentences "
                          "(default 12000); the answers are merged")
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
    p.add_argument("--resamples", type=_number_option(int, "a whole number of resamples", 1), default=1000, metavar="N",
                   help="bootstrap resamples for the 95%% intervals (default 1000)")
    p.add_argument("--seed", type=_number_option(int, "a whole number", 0), default=0, metavar="N",
                   help="bootstrap seed (default 0); recorded in report.json")
    p.set_defaults(run=_cmd_eval)

    p = add("compare", "One leaderboard per layer, ranked by its main score, with paired permutation tests between systems.",
            "  newsclaims compare runs/rules/report.json runs/sklearn/report.json\n", seeds=False)
    p.add_argument("reports", nargs="+", type=Path, help="report.json files written by newsclaims eval --output")
    p.add_argument("--resamples", type=_number_option(int, "a whole number of resamples", 1), default=1000, metavar="N",
                   help="paired bootstrap resamples for the 95%% interval of a difference (default 1000)")
    p.add_argument("--seed", type=_number_option(int, "a whole number", 0), default=0, metavar="N",
                   help="seed of the bootstrap and of a Monte Carlo permutation test (default 0)")
    p.set_defaults(run=_cmd_compare)

    p = add("ls", "Label Studio: the labeling config, tasks with pre-annotations, push, pull, status and a validated import.",
            "  newsclaims ls config --out annotations/label_studio/config.xml\n"
            "  newsclaims ls export --source model:rules --out tasks.json\n"
            "  LABEL_STUDIO_API_KEY=... newsclaims ls push --url http://127.0.0.1:8080 --source model:rules\n"
            "  LABEL_STUDIO_API_KEY=... newsclaims ls status --url http://127.0.0.1:8080\n"
            "  LABEL_STUDIO_API_KEY=... newsclaims ls pull --url http://127.0.0.1:8080 --out export.json\n"
            "  newsclaims ls import export.json --dry-run\n"
            "  newsclaims ls import export.json\n", seeds=False)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=_Parser)

    def action(name: str, help_text: str, examples: str, run, seeds: bool = True):
        a = actions.add_parser(name, help=help_text, description=help_text, epilog="examples:\n" + examples,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        if seeds:
            _root_option(a)
            a.add_argument("--seeds", type=Path, help="seed folder with MANIFEST.json (default: the benchmark's seeds/)")
        a.set_defaults(run=run, prog=a.prog)  # an option another action takes is refused naming this one
        return a

    def gold_option(a) -> None:
        a.add_argument("--annotations", type=Path, help="the gold annotation set: registries for the pick lists and checks "
                       "(default: the packaged gold)")

    def source_option(a) -> None:
        a.add_argument("--source", default="gold", help="pre-annotations: gold, model:NAME, a predictions file, or none (default gold)")
        a.add_argument("--new-only", action="store_true", help="tasks only for the documents without gold (added since the release)")

    def server_options(a) -> None:
        a.add_argument("--url", help="the Label Studio server, e.g. http://127.0.0.1:8080 (token from LABEL_STUDIO_API_KEY)")
        a.add_argument("--title", default="newsclaims", help="the project title (default newsclaims)")

    a = action("config", "Print or write the labeling config (generated from the schema's labels).",
               "  newsclaims ls config --out annotations/label_studio/config.xml\n", _ls_config, seeds=False)
    a.add_argument("--out", type=Path, help="the file to write (default: print)")
    a = action("export", "Write the tasks (one per document, with pick lists and pre-annotations) as a JSON file to import by hand.",
               "  newsclaims ls export --source model:rules --out tasks.json\n", _ls_export)
    source_option(a)
    gold_option(a)
    a.add_argument("--out", type=Path, help="the file to write (default: print)")
    a = action("push", "Create or update the project (config, instructions, N-fold independent annotation) and add its tasks.",
               "  LABEL_STUDIO_API_KEY=... newsclaims ls push --url http://127.0.0.1:8080 --source model:rules\n"
               "  LABEL_STUDIO_API_KEY=... newsclaims ls push --url http://127.0.0.1:8080 --source gold --update-predictions\n",
               _ls_push)
    server_options(a)
    source_option(a)
    gold_option(a)
    a.add_argument("--overlap", type=_number_option(int, "a whole number of annotators", 1), default=2, metavar="N",
                   help="how many annotators annotate each task, each on their own (default 2, as the guidelines require)")
    a.add_argument("--update-predictions", action="store_true",
                   help="replace the pre-annotations of tasks already in the project by --source's (annotations are kept)")
    a = action("pull", "Write the project's JSON export (every annotation, region and relation) for ls import.",
               "  LABEL_STUDIO_API_KEY=... newsclaims ls pull --url http://127.0.0.1:8080 --out export.json\n", _ls_pull)
    server_options(a)
    a.add_argument("--out", type=Path, help="the file to write (default label_studio_export.json)")
    a = action("status", "Per annotator: done, skipped and open documents; duplicates, unsubmitted drafts, deleted tasks.",
               "  LABEL_STUDIO_API_KEY=... newsclaims ls status --url http://127.0.0.1:8080\n"
               "  newsclaims ls status export.json\n", _ls_status)
    a.add_argument("file", nargs="?", type=Path, help="a Label Studio JSON export (instead of --url)")
    server_options(a)
    gold_option(a)
    a.add_argument("--passes", type=Path, help="the passes to compare with (default: annotations/passes of the checkout)")
    a = action("import", "Merge every submitted annotation of an export into its annotator's pass, validated as the gold is.",
               "  newsclaims ls import export.json --dry-run\n  newsclaims ls import export.json\n", _ls_import)
    a.add_argument("file", type=Path, help="a Label Studio JSON export (ls pull writes one)")
    gold_option(a)
    a.add_argument("--passes", type=Path, help="where annotator passes go (default: annotations/passes beside --annotations, "
                   "else of the checkout)")
    a.add_argument("--dry-run", action="store_true",
                   help="run every check of the import, print the differences from each pass and from the gold; write nothing")
    a.add_argument("--replace", action="store_true",
                   help="replace documents even with an older annotation, one from another project or over a document that "
                        "did not come from Label Studio (refused without it, naming what would be lost)")

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
                   "written (default: annotations/ of the checkout you are in, or of --root; outside one, --gold is needed)")
    review = p.add_argument_group("review in Label Studio (documents both passes hold and the gold does not)")
    review.add_argument("--export", type=Path, metavar="FILE", help="write one review task per document: every disagreement "
                        "as a choice of pass a's or pass b's version")
    review.add_argument("--label-config", type=Path, metavar="FILE", help="write the reviewer's labeling config")
    review.add_argument("--import", dest="import_file", type=Path, metavar="EXPORT", help="read the reviewed Label Studio "
                        "export; write those documents' gold and their ADJUDICATION.md sections")
    review.add_argument("--replace", action="store_true", help="also review (and replace the gold of) documents that have gold")
    p.set_defaults(run=_cmd_adjudicate)

    p = add("diff", "What changed between two data versions, per layer and registry, and the CHANGELOG data entry saying so.",
            "  newsclaims diff dataset .                      the release against the benchmark as it stands\n"
            "  newsclaims diff dataset . --write              and record the new data version in CHANGELOG.md\n"
            "  newsclaims diff ../old-checkout/dataset dataset\n", seeds=False)
    _root_option(p)
    p.add_argument("old", help="a dataset folder built by newsclaims build, a benchmark folder, or the data version dataset/ holds")
    p.add_argument("new", help="the same kinds as OLD")
    p.add_argument("--write", action="store_true", help="add the data entry (minor: documents added; major: released gold "
                   "changed) with NEW's gold digest at the top of CHANGELOG.md")
    p.add_argument("--changelog", type=Path, help="the CHANGELOG.md to write (default: the benchmark's)")
    p.add_argument("--date", help="the entry's date (default: today)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.set_defaults(run=_cmd_diff)

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
    args, extra = parser.parse_known_args(argv)  # a usage error is one line and SystemExit(2) (see _Parser)
    if extra:
        prog = getattr(args, "prog", parser.prog)
        parser.exit(EXIT_BAD_INPUT, f"{prog}: unrecognized arguments: {' '.join(extra)} (see {prog} --help)\n")
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
