"""The numbers README.md states, written into its generated blocks from the data itself.

    python -m newsclaims.readme            rewrite the blocks of the checkout's README.md
    python -m newsclaims.readme --check    write nothing; exit 1 when a block is out of date

The checkout is the one holding the current folder, as for ``newsclaims build``
(``safewrite.find_checkout``), never where the package happens to be installed from; ``--repo``
names another.

Each block sits between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` and is filled
by the same function that fills DATASHEET.md's blocks (``newsclaims.build.fill_blocks``): the data's
size and version from ``dataset/build_info.json`` and the gold, the agreement of the two passes (the
block DATASHEET.md and the dataset card show), and the baselines' main scores from
``baselines/results.json`` (written by ``newsclaims baselines refresh``). The benchmark table between
``<!-- bench -->`` markers is written by ``python -m newsclaims.eval.bench --write-readme``. The test
suite fails while any block differs from what this module writes, so re-run it after the data, the
baselines or the agreement change.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

README_BLOCKS = ("data", "configs", "agreement", "baselines")


def _score(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def baselines_table(results: dict) -> str:
    """Main scores of the shipped baselines (not the ablations), as results.json records them."""
    from .labels import LAYERS

    lines = ["| baseline | " + " | ".join(LAYERS) + " |", "|---|" + "---|" * len(LAYERS)]
    for name in ("rules", "sklearn", "spacy"):
        r = results["baselines"].get(name)
        if r is None:
            continue
        if "not_run" in r:
            needs = "needs a spaCy pipeline" if "spaCy" in r["not_run"] else "not run"
            lines.append(f"| `{name}` | {needs} | " + " | ".join(["-"] * (len(LAYERS) - 1)) + " |")
            continue
        cells = []
        for layer in LAYERS:
            s = r["main_scores"][layer]
            low, high = s["ci95"]
            cells.append(f"{_score(s['value'])} [{low:.3f}, {high:.3f}]" if isinstance(s["value"], float) else str(s["value"]))
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines += ["", f"Main scores on data {results['data_version']} with 95% document-level bootstrap intervals, from "
              "`baselines/results.json`. The `rules` patterns were written with these five test documents in view (there "
              "is no development split), so their scores are an upper bound for rules of this kind."]
    return "\n".join(lines)


def readme_blocks(repo: Path) -> dict[str, str]:
    """Every README block's Markdown, from the checkout at ``repo``."""
    from . import build
    from .corpus import load_annotation_set, load_corpus
    from .stats import annotation_stats

    corpus = load_corpus(repo / "seeds")
    ann = load_annotation_set(repo / "annotations", corpus)
    info = json.loads((repo / "dataset" / build.BUILD_INFO).read_text("utf-8"))
    stats = annotation_stats(corpus, ann)
    totals, quotes = stats["totals"], stats["per_label"]["quotes"]
    chars = sum(d["chars"] for d in stats["per_document"].values())
    data = (f"Data {info['data_version']}: {stats['documents']} articles ({chars:,} characters), "
            f"{totals['entities']} entity mentions linked to {stats['kb_entities']} knowledge-base entities, "
            f"{totals['quotes']} quotes ({quotes['direct']} direct, {quotes['indirect']} indirect) in "
            f"{stats['quote_groups']} cross-article quote groups, {totals['numeric_claims']} numeric claims in "
            f"{stats['claim_groups']} claim groups. Gold digest `{info['gold_sha256'][:12]}…` (`dataset/build_info.json`).")
    configs = ["| config | rows | fold |", "|---|---|---|"]
    for config in build.CONFIGS:
        has_fold = any(name == "fold" for name, _ in config.features)
        configs.append(f"| `{config.name}` | {info['rows'][config.name]} | {'yes' if has_fold else 'no (shared by all documents)'} |")
    results = json.loads((repo / "baselines" / "results.json").read_text("utf-8"))
    return {"data": data, "configs": "\n".join(configs), "agreement": build.generated_blocks(corpus, ann)["agreement"],
            "baselines": baselines_table(results)}


def main(argv: list[str] | None = None) -> int:
    from .build import fill_blocks
    from .problems import InvalidInput
    from .safewrite import atomic_write_text, find_checkout

    parser = argparse.ArgumentParser(prog="python -m newsclaims.readme", description="Fill README.md's generated blocks.")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when README.md is out of date")
    parser.add_argument("--repo", type=Path, help="the checkout (default: the one holding the current folder, as newsclaims build)")
    args = parser.parse_args(argv)
    args.repo = args.repo or find_checkout()
    if args.repo is None:
        print(f"python -m newsclaims.readme: {Path.cwd()} is not inside a source checkout; run it in a clone, or give --repo",
              file=sys.stderr)
        return 2
    readme = args.repo / "README.md"
    try:
        old = readme.read_text("utf-8")
        new = fill_blocks(old, readme_blocks(args.repo), str(readme))
    except InvalidInput as err:
        print(err, file=sys.stderr)
        return 2
    if args.check:
        if new != old:
            print(f"{readme}: generated blocks are out of date; run: python -m newsclaims.readme", file=sys.stderr)
            return 1
        print(f"ok: {readme} is up to date")
        return 0
    if new != old:
        atomic_write_text(readme, new)
    print(f"{'wrote' if new != old else 'unchanged'}: {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
