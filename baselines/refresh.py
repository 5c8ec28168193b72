"""``newsclaims baselines refresh``: run every baseline, keep its predictions, regenerate the table.

Writes ``baselines/predictions/<name>.jsonl`` (regression files), ``baselines/results.json`` (main
scores with 95% intervals and per-document counts) and ``baselines/README.md`` (generated from
results.json; never edited by hand). A baseline that cannot run here (the spaCy pipeline is not
installed) is listed with the reason instead of scores. Timings are printed, not written: the
tracked files hold only what the data and the code decide, so a refresh on unchanged data leaves
git clean.
"""

from __future__ import annotations

from pathlib import Path

from newsclaims.counts import f1_score
from newsclaims.jsonio import dumps_canonical, dumps_line
from newsclaims.labels import LAYERS
from newsclaims.problems import InvalidInput
from newsclaims.safewrite import atomic_write_text

BASELINES_DIR = Path(__file__).resolve().parent
MAIN = [("rules", "rules"), ("sklearn", "sklearn"), ("spacy", "spacy")]
ABLATIONS = [(f"rules without {family.replace('_', ' ')}", f"newsclaims.baselines.rules:without_{family}")
             for family in ("entities", "direct_quotes", "speakers", "indirect_quotes", "numbers")]


def file_name(name: str) -> str:
    return name.replace(" ", "_") + ".jsonl"


def main_scores(scores) -> dict:
    """The main score of each layer of a run's ``Scores``: value, 95% interval, per-document counts."""
    out = {}
    for layer in LAYERS:
        m = scores.main(layer)
        if isinstance(m, str):
            out[layer] = {"value": m, "ci95": [None, None], "per_document": []}
        else:
            out[layer] = {"value": m["value"], "ci95": m["ci95"], "per_document": m["per_document"]}
    return out


def run_all(folder: Path = BASELINES_DIR) -> tuple[dict, dict[str, float]]:
    """Run every baseline and rewrite the files; (results.json's content, seconds each run took)."""
    from newsclaims.eval.gold import load_gold_data
    from newsclaims.eval.pipeline import Model, evaluate
    from newsclaims.safewrite import require_source_checkout

    require_source_checkout(folder, "newsclaims baselines refresh")  # never rewrite the shipped results in site-packages
    gold = load_gold_data()
    results = {"data_version": gold.info["data_version"], "gold_sha256": gold.info["gold_sha256"], "baselines": {}}
    seconds: dict[str, float] = {}
    for name, spec in MAIN + ABLATIONS:
        try:
            run = evaluate(Model(spec), gold)
        except InvalidInput as err:
            results["baselines"][name] = {"spec": spec, "not_run": "; ".join(str(p) for p in err.problems)}
            continue
        assert run.model_lines is not None  # a model's run keeps what it answered
        atomic_write_text(folder / "predictions" / file_name(name), "".join(dumps_line(line) for line in run.model_lines))
        results["baselines"][name] = {"spec": spec, "main_scores": main_scores(run.scores)}
        seconds[name] = run.predict_seconds
    atomic_write_text(folder / "results.json", dumps_canonical(results))
    atomic_write_text(folder / "README.md", render_readme(results))
    return results, seconds


def _cell(score: dict) -> str:
    value = score["value"]
    if isinstance(value, str):
        return value
    low, high = score["ci95"]
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def render_readme(results: dict) -> str:
    rows, ablation_rows, fold_rows, skipped = [], [], [], []
    base = results["baselines"].get("rules", {}).get("main_scores")
    for name, spec in MAIN + ABLATIONS:
        r = results["baselines"].get(name)
        if r is None:
            continue
        if "not_run" in r:
            needs = "needs a spaCy pipeline" if "spaCy" in r["not_run"] else "not run here"
            if (name, spec) in MAIN:
                rows.append(f"| `{name}` | {needs} | " + " | ".join(["-"] * (len(LAYERS) - 1)) + " |")
            skipped.append(f"- `{name}` {needs}, and none was installed when this table was made: `pip install "
                           "'newsclaims[spacy]'`, install a pipeline (README, *Baselines*), then run `newsclaims baselines "
                           "refresh`." if needs.startswith("needs") else f"- `{name}` was not run: {r['not_run']}")
            continue
        cells = [_cell(r["main_scores"][layer]) for layer in LAYERS]
        if (name, spec) in MAIN:
            rows.append(f"| `{name}` | " + " | ".join(cells) + " |")
        else:
            deltas = []
            for layer in LAYERS:
                v, b = r["main_scores"][layer]["value"], base[layer]["value"] if base else None
                deltas.append(f"{v:.3f} ({v - b:+.3f})" if isinstance(v, float) and isinstance(b, float) else str(v))
            ablation_rows.append(f"| {name.removeprefix('rules without ')} | " + " | ".join(deltas) + " |")
    sk = results["baselines"].get("sklearn", {}).get("main_scores")
    if sk:
        for fold, row in enumerate(sk["entities"]["per_document"]):
            tp, predicted, gold = row["tp"], row["predicted"], row["gold"]
            f1 = f1_score(tp, predicted, gold)  # None with nothing predicted and nothing in the gold (the house rule)
            fold_rows.append(f"| {fold} | {row['doc_id']} | {tp} | {predicted} | {gold} | {'–' if f1 is None else f'{f1:.3f}'} |")
    header = "| baseline | " + " | ".join(LAYERS) + " |"
    return "\n".join([
        "# Baselines",
        "",
        f"Generated by `newsclaims baselines refresh` on data {results['data_version']}; do not edit by hand. Each",
        "cell is the layer's main score with its 95% document-level bootstrap interval (`newsclaims eval`):",
        "entities strict micro F1, quotes end-to-end quote+speaker F1, numeric claims end-to-end claim F1.",
        "Each baseline is a `--model` name: `newsclaims eval --model rules`.",
        "",
        header,
        "|---|---|---|---|",
        *rows,
        "",
        *(skipped + [""] if skipped else []),
        "- `rules`: hand-written patterns of English news (`rules.py`); no training, no downloads. The patterns were",
        "  written with these five test documents in view (there is no development split), so its scores are an",
        "  upper bound for rules of this kind, not an estimate of how they do on unseen news.",
        "- `sklearn`: a logistic-regression token tagger over DictVectorizer features, entities only, trained",
        "  leave-one-document-out: each document is tagged by a model trained on the other four (`sklearn_tagger.py`).",
        "- `spacy`: an installed spaCy pipeline (`NEWSCLAIMS_SPACY_MODEL`, default en_core_web_sm) mapped onto the",
        "  layers (`spacy_adapter.py`); entities and numeric claims only.",
        "",
        "## Ablation of the rules",
        "",
        "Main scores with one rule family switched off, and the change from the full rules:",
        "",
        "| rules without | " + " | ".join(LAYERS) + " |",
        "|---|---|---|---|",
        *ablation_rows,
        "",
        "## sklearn folds",
        "",
        "Strict entity F1 of each document, tagged by the model that was trained without it:",
        "",
        "| fold | held-out document | correct | predicted | gold | strict F1 |",
        "|---|---|---|---|---|---|",
        *fold_rows,
        "",
        "The predictions of every baseline are kept in `predictions/`; the test suite re-runs the baselines",
        "and fails when their output or scores differ from these files.",
        "",
    ])
